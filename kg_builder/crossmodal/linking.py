"""Images into the MKG: Image nodes with their embeddings in a vector index, and HAS_IMAGE {score, model} links
from items, property values, POIs, problems and scenarios to the images the cross-modal model matches with them.

As in the paper, an entity's candidate images are those of the items that have it: an item's own detail-page
pieces and photos; for a property value, POI, problem or scenario, the images of the items reached through
HAS_PROPERTY, HAS_POI, NEED and CAUSE. Each entity links to its best TOP_K candidates; links that score at least
the threshold chosen on the validation photos when the model was fine-tuned may be shown, the others wait for
review as candidates. Links of an earlier run are replaced; curated links and curated images are never rewritten.

The precision gate: a curator's decisions on links (`python -m kg_builder review accept|reject image ENTITY
IMAGE`, in data/knowledge/review_decisions.tsv) are hand checks. For each entity label, the precision of this
run's links among the checked ones decides: at least MIN_PRECISION over at least MIN_CHECKED checked links, and the
label's links are HAS_IMAGE (shown to shoppers); otherwise HAS_IMAGE_CANDIDATE (waiting for review). An accepted
link is always shown (curated, source `review`); a rejected one is never written again.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from neo4j import Driver
from tqdm import tqdm

from kg_builder.catalog.loader import load_catalog
from kg_builder.crossmodal.data import kept_pieces, product_photos
from kg_builder.crossmodal.encoder import ImageTextEncoder
from kg_builder.graph.images import (
    ACCEPT_IMAGE_LINK,
    LINKED_LABELS,
    READ_CANDIDATES,
    REMOVE_OLD_IMAGES,
    REMOVE_OLD_LINKS,
    WRITE_IMAGES,
    WRITE_LINKS,
    ensure_image_index,
    link_slot,
)
from kg_builder.graph.ontology import HAS_IMAGE, HAS_IMAGE_CANDIDATE
from kg_builder.graph.predictions import replace_predictions
from kg_builder.graph.writer import batches

LINK_SOURCE = "cross_modal"
TOP_K = 3
MIN_PRECISION = 0.8  # of the hand-checked links of a label, for its links to be shown
MIN_CHECKED = 20  # hand-checked links of a label before its precision counts
DECISION_KIND = "image"  # the kind of image-link decisions in the review file

Decisions = Mapping[tuple[str, str, str], str]  # (kind, subject, object) → accept | reject (kg_builder.review)


@dataclass(frozen=True)
class LabelPrecision:
    """The hand check of one label's links in this run."""

    checked: int
    correct: int

    @property
    def precision(self) -> float | None:
        return self.correct / self.checked if self.checked else None

    @property
    def shown(self) -> bool:
        return self.checked >= MIN_CHECKED and (self.precision or 0.0) >= MIN_PRECISION

    def as_text(self) -> str:
        if not self.checked:
            return "not checked"
        return f"precision {self.precision:.2f} on {self.checked} checked"


@dataclass(frozen=True)
class ImageRecord:
    """An image to store: a detail-page piece or a real product photo."""

    id: str
    path: Path
    kind: str  # piece | photo
    caption: str
    source: str
    item: str | None = None  # the catalog item it shows: its detail page, its photos


@dataclass
class LinkReport:
    """What a linking run wrote."""

    images: int = 0
    entities_with_candidates: int = 0
    candidates: int = 0  # (entity, candidate image) pairs scored
    links: dict[str, int] = field(default_factory=dict)
    precision: dict[str, LabelPrecision] = field(default_factory=dict)
    below_threshold: int = 0  # top-k candidates under the threshold: written as candidates for review
    shown: int = 0  # HAS_IMAGE: above the threshold in a label that passed the gate, or accepted by review
    waiting: int = 0  # HAS_IMAGE_CANDIDATE
    accepted: int = 0
    rejected: int = 0
    removed_links: int = 0
    threshold: float = 0.0
    model: str = ""

    def summary(self) -> str:
        per_label = ", ".join(
            f"{label} {count} ({'gate passed' if self.precision[label].shown else 'gate not passed'}: "
            f"{self.precision[label].as_text()})"
            for label, count in self.links.items()
        )
        return (
            f"link-images: {self.images} images embedded ({self.model}); {self.entities_with_candidates} entities "
            f"with candidate images ({self.candidates} pairs scored); top {TOP_K} at score >= {self.threshold:.3f}: "
            f"{per_label}; shown to shoppers {self.shown} ({self.accepted} accepted by review), waiting for review "
            f"{self.waiting} ({self.below_threshold} of them below the threshold); {self.rejected} rejected by "
            f"review; gate: precision >= {MIN_PRECISION} on >= {MIN_CHECKED} hand-checked links of a label; "
            f"{self.removed_links} links of an earlier run removed"
        )


def _relative(path: Path, root: Path) -> str:
    return os.path.relpath(path.resolve(), root.resolve())


def piece_images(extracted_dir: Path, root: Path) -> list[ImageRecord]:
    """The kept pieces of an `images extract` run; the page file is named after its item."""
    return [
        ImageRecord(
            f"piece-{path.stem}",
            Path(_relative(path, root)),
            "piece",
            row.get("ocr_text", "").strip()[:200],
            "generated detail page (kg_builder images generate)",
            Path(row["page"]).stem,
        )
        for path, row in kept_pieces(extracted_dir)
    ]


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
            item = row["subject"] if row["subject_kind"] == "items" else None
            records.append(ImageRecord(row["id"], relative, "curated", row["caption"], row["source"], item))
    return records


def link_images(
    driver: Driver,
    encoder: ImageTextEncoder,
    images: Sequence[ImageRecord],
    threshold: float,
    root: Path,
    database: str = "neo4j",
    progress: bool = True,
    scope: str = "",
    source: str = LINK_SOURCE,
    decisions: Decisions | None = None,
) -> LinkReport:
    """Embed and store the images, then link every textual entity to its best-matching images.

    `scope`: only entities and earlier images whose id starts with it (tests use their own prefix);
    `source`: the links' source, whose earlier links this run replaces; `decisions`: a curator's hand checks."""
    decisions = decisions or {}
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
            "item": record.item,
            "embedding": [round(x, 6) for x in vector.tolist()],
        }
        for record, vector in zip(images, embeddings, strict=True)
    ]
    ensure_image_index(driver, encoder.dimensions, database)
    run = hashlib.sha256(json.dumps([encoder.name, [r["id"] for r in image_rows]]).encode()).hexdigest()[:16]
    for batch in tqdm(batches(image_rows, 200), desc="write images", disable=not progress, file=sys.stderr):
        driver.execute_query(WRITE_IMAGES, rows=batch, model=encoder.name, run=run, database_=database)
    driver.execute_query(REMOVE_OLD_IMAGES, run=run, scope=scope, database_=database)
    columns_of_item: dict[str, list[int]] = {}
    for column, record in enumerate(images):
        if record.item:
            columns_of_item.setdefault(record.item, []).append(column)
    entities = driver.execute_query(
        READ_CANDIDATES, items_with_images=sorted(columns_of_item), scope=scope, database_=database
    ).records
    entities = [e for e in entities if e["names"]]
    report.entities_with_candidates = len(entities)
    texts = [" ".join(dict.fromkeys(e["names"]))[:200] for e in entities]
    scores = encoder.texts(texts) @ embeddings.T
    rows: list[dict[str, Any]] = []
    for entity, row_scores in zip(entities, scores, strict=True):
        candidates = sorted({c for item in entity["items"] for c in columns_of_item[item]})
        report.candidates += len(candidates)
        ranked = sorted(((float(row_scores[c]), c) for c in candidates), key=lambda pair: (-pair[0], pair[1]))
        for value, column in ranked[:TOP_K]:
            verdict = decisions.get((DECISION_KIND, entity["id"], images[column].id))
            rows.append(
                {
                    "label": entity["label"],
                    "subject": entity["id"],
                    "image": images[column].id,
                    "score": round(value, 4),
                    "model": encoder.name,
                    "verdict": verdict,
                }
            )
    for label in LINKED_LABELS:  # the precision counts the rejected links too: they are the model's errors
        linked = [row for row in rows if row["label"] == label and row["score"] >= threshold]
        checked = [row["verdict"] for row in linked if row["verdict"]]
        report.precision[label] = LabelPrecision(len(checked), checked.count("accept"))
        report.links[label] = len(linked) - checked.count("reject")
    report.rejected = sum(row["verdict"] == "reject" for row in rows)
    rows = [row for row in rows if row["verdict"] != "reject"]
    for row in rows:
        shown = row["score"] >= threshold and report.precision[row["label"]].shown
        row["slot"] = link_slot(row["label"], HAS_IMAGE if shown else HAS_IMAGE_CANDIDATE)
        if shown or row["verdict"] == "accept":
            report.shown += 1
        else:
            report.waiting += 1
    report.below_threshold = sum(row["score"] < threshold and row["verdict"] != "accept" for row in rows)
    _, report.removed_links = replace_predictions(
        driver, WRITE_LINKS, REMOVE_OLD_LINKS, rows, source, database, group_by="slot", scope=scope
    )
    accepted = [row for row in rows if row["verdict"] == "accept"]
    for row in accepted:
        driver.execute_query(ACCEPT_IMAGE_LINK, subject=row["subject"], object=row["image"], database_=database)
    report.accepted = len(accepted)
    return report
