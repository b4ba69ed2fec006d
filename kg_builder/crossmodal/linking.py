"""Images into the MKG: Image nodes with their embeddings in a vector index, and HAS_IMAGE {score, model} links
from items, property values, POIs, problems and scenarios to the images the cross-modal model matches with them.

Each entity gets at most `top_k` images, each scoring at least the threshold chosen on the validation photos
when the model was fine-tuned. Links of an earlier run are replaced; curated links are never touched.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from kg_builder.catalog import load_catalog
from kg_builder.crossmodal.data import product_photos
from kg_builder.crossmodal.encoder import CrossModalEncoder
from kg_builder.ontology import HAS_IMAGE, IMAGE, ITEM, POI, PROBLEM, PROPERTY_VALUE, SCENARIO
from kg_builder.predictions import replace_predictions
from kg_builder.writer import batches
from neo4j import Driver

LINK_SOURCE = "cross_modal"
IMAGE_INDEX = "image_embeddings"
LINKED_LABELS = (ITEM, PROPERTY_VALUE, POI, PROBLEM, SCENARIO)
TOP_K = 3

READ_ENTITIES = f"""
MATCH (n) WHERE ({" OR ".join(f"n:{label}" for label in LINKED_LABELS)}) AND n.id STARTS WITH $scope
RETURN n.id AS id, [l IN labels(n) WHERE l IN $labels][0] AS label,
       [x IN [n.title, n.value, n.name_en, n.name_zh] WHERE x IS NOT NULL AND trim(x) <> ''] AS names
ORDER BY n.id"""

# Every image gets its embedding; only the images the linker created are described (and later removed) by it,
# so a curated image keeps its path, caption and source.
WRITE_IMAGES = f"""
UNWIND $rows AS row
MERGE (img:{IMAGE} {{id: row.id}})
ON CREATE SET img.created_by = 'linker'
SET img.embedding = row.embedding, img.embedding_model = $model
WITH img, row WHERE img.created_by = 'linker'
SET img.path = row.path, img.kind = row.kind, img.caption = row.caption, img.source = row.source,
    img.page_item = row.page_item, img.linker_run = $run"""

REMOVE_OLD_IMAGES = f"""
MATCH (img:{IMAGE}) WHERE img.linker_run IS NOT NULL AND img.linker_run <> $run AND img.id STARTS WITH $scope
DETACH DELETE img
RETURN count(*) AS removed"""

WRITE_LINKS = {
    label: f"""
UNWIND $rows AS row
MATCH (s:{label} {{id: row.subject}})
MATCH (img:{IMAGE} {{id: row.image}})
MERGE (s)-[r:{HAS_IMAGE}]->(img)
ON CREATE SET r.source = $source
WITH r, row WHERE r.source = $source
SET r.score = row.score, r.model = row.model, r.predicted = true, r.run = $run"""
    for label in LINKED_LABELS
}

REMOVE_OLD_LINKS = f"""
MATCH (s)-[r:{HAS_IMAGE} {{source: $source}}]->() WHERE r.run <> $run AND s.id STARTS WITH $scope
DELETE r
RETURN count(*) AS removed"""

SHOW_IMAGE_INDEX = "SHOW VECTOR INDEXES YIELD name, options WHERE name = $name RETURN options"


@dataclass(frozen=True)
class ImageRecord:
    """An image to store: a detail-page piece or a real product photo."""

    id: str
    path: Path
    kind: str  # piece | photo
    caption: str
    source: str
    page_item: str | None = None  # the item whose detail page a piece was cut from


@dataclass
class LinkReport:
    """What a linking run wrote, and how often links reached an image known to belong to the entity."""

    images: int = 0
    links: dict[str, int] = field(default_factory=dict)
    removed_links: int = 0
    threshold: float = 0.0
    model: str = ""
    known_links: int = 0  # links from an entity whose own images are known (grocery items, page items)
    correct_known_links: int = 0

    def summary(self) -> str:
        per_label = ", ".join(f"{label} {count}" for label, count in self.links.items())
        precision = self.correct_known_links / self.known_links if self.known_links else float("nan")
        return (
            f"link-images: {self.images} images embedded ({self.model}); HAS_IMAGE links at score >= "
            f"{self.threshold:.3f}, top {TOP_K}: {per_label}; {self.removed_links} links of an earlier run removed; "
            f"links to an entity's own images: {self.correct_known_links}/{self.known_links} ({precision:.2f})"
        )


def _relative(path: Path, root: Path) -> str:
    return os.path.relpath(path.resolve(), root.resolve())


def piece_images(extracted_dir: Path, root: Path) -> list[ImageRecord]:
    """The kept pieces of an `images extract` run; the page file is named after its item."""
    records = []
    for line in (extracted_dir / "pieces.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        path = extracted_dir / "pieces" / f"{Path(row['page']).stem}-{row['piece']:02d}.jpg"
        if row["keep"] and path.is_file():
            records.append(
                ImageRecord(
                    f"piece-{path.stem}",
                    Path(_relative(path, root)),
                    "piece",
                    row.get("ocr_text", "").strip()[:200],
                    "generated detail page (kg_builder images generate)",
                    Path(row["page"]).stem,
                )
            )
    return records


def photo_images(data_dir: Path, root: Path) -> list[ImageRecord]:
    """Every real product photo of the shared data, captioned with its product's text."""
    records = []
    for product in product_photos(data_dir):
        for image in product.images:
            relative = _relative(image, root)
            digest = hashlib.sha1(relative.encode()).hexdigest()[:12]
            record = ImageRecord(f"photo-{digest}", Path(relative), "photo", product.text, product.source, product.key)
            records.append(record)
    return records


def catalog_images(catalog_dir: Path, root: Path) -> list[ImageRecord]:
    """The curated images of a catalog folder (`images.jsonl`), so that they get embeddings too."""
    records = []
    for row in load_catalog(catalog_dir).rows.get("images", []):
        path = catalog_dir / row["path"]
        if path.is_file():
            relative = Path(_relative(path, root))
            records.append(ImageRecord(row["id"], relative, "curated", row["caption"], row["source"]))
    return records


def ensure_image_index(driver: Driver, dimensions: int, database: str = "neo4j") -> None:
    """The cosine vector index over Image.embedding, recreated when the model's width changed."""
    found = driver.execute_query(SHOW_IMAGE_INDEX, name=IMAGE_INDEX, database_=database).records
    if found and found[0]["options"]["indexConfig"]["vector.dimensions"] != dimensions:
        driver.execute_query(f"DROP INDEX {IMAGE_INDEX}", database_=database)
    driver.execute_query(
        f"CREATE VECTOR INDEX {IMAGE_INDEX} IF NOT EXISTS FOR (img:{IMAGE}) ON img.embedding "
        f"OPTIONS {{indexConfig: {{`vector.dimensions`: {int(dimensions)}, `vector.similarity_function`: 'cosine'}}}}",
        database_=database,
    )
    driver.execute_query("CALL db.awaitIndexes(120)", database_=database)


def link_images(
    driver: Driver,
    encoder: CrossModalEncoder,
    images: Sequence[ImageRecord],
    threshold: float,
    root: Path,
    database: str = "neo4j",
    progress: bool = True,
    scope: str = "",
    source: str = LINK_SOURCE,
) -> LinkReport:
    """Embed and store the images, then link every textual entity to its best-matching images.

    `scope`: only entities and earlier images whose id starts with it (tests use their own prefix);
    `source`: the links' source, whose earlier links this run replaces."""
    if not images:
        raise ValueError("no images to link")
    report = LinkReport(images=len(images), threshold=threshold, model=encoder.name)
    embeddings = encoder.images([root / record.path for record in images], progress=progress)
    image_rows = [
        {
            "id": record.id,
            "path": str(record.path),
            "kind": record.kind,
            "caption": record.caption,
            "source": record.source,
            "page_item": record.page_item,
            "embedding": [round(x, 6) for x in vector.tolist()],
        }
        for record, vector in zip(images, embeddings, strict=True)
    ]
    ensure_image_index(driver, encoder.dimensions, database)
    run = hashlib.sha256(json.dumps([encoder.name, [r["id"] for r in image_rows]]).encode()).hexdigest()[:16]
    for batch in tqdm(batches(image_rows, 200), desc="write images", disable=not progress, file=sys.stderr):
        driver.execute_query(WRITE_IMAGES, rows=batch, model=encoder.name, run=run, database_=database)
    driver.execute_query(REMOVE_OLD_IMAGES, run=run, scope=scope, database_=database)
    entities = driver.execute_query(READ_ENTITIES, labels=list(LINKED_LABELS), scope=scope, database_=database).records
    entities = [e for e in entities if e["names"]]
    texts = [" ".join(dict.fromkeys(e["names"]))[:200] for e in entities]
    scores = encoder.texts(texts) @ embeddings.T
    best = scores.topk(min(TOP_K, len(images)), dim=1)
    owners = {record.page_item for record in images}
    rows: list[dict[str, Any]] = []
    for entity, values, columns in zip(entities, best.values.tolist(), best.indices.tolist(), strict=True):
        for value, column in zip(values, columns, strict=True):
            if value >= threshold:
                rows.append(
                    {
                        "label": entity["label"],
                        "subject": entity["id"],
                        "image": images[column].id,
                        "score": round(value, 4),
                        "model": encoder.name,
                    }
                )
                if entity["id"] in owners:
                    report.known_links += 1
                    report.correct_known_links += images[column].page_item == entity["id"]
    for label in LINKED_LABELS:
        report.links[label] = sum(row["label"] == label for row in rows)
    _, report.removed_links = replace_predictions(
        driver, WRITE_LINKS, REMOVE_OLD_LINKS, rows, source, database, scope=scope
    )
    return report
