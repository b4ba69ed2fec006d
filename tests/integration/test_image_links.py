"""Image links in the real Neo4j: the top-k links {score, model} as candidates until a hand check of their label
passes the precision gate, curated links kept, re-runs converge, reviewed links kept or never written again; the
vector index ranks an item's images for a text query; and the demo graph has them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from neo4j import Driver
from PIL import Image

from kg_builder.build import build_graph
from kg_builder.config import PATHS
from kg_builder.crossmodal import linking
from kg_builder.crossmodal.data import Pair
from kg_builder.crossmodal.encoder import CrossModalEncoder, load_encoder
from kg_builder.crossmodal.finetuning import finetune
from kg_builder.crossmodal.image_search import ImageSearch
from kg_builder.crossmodal.linking import DECISION_KIND, TOP_K, ImageRecord, link_images
from kg_builder.crossmodal.model import CMM_PATCH_TINY, DEFAULT_LINKING_MODEL
from kg_builder.graph.ontology import HAS_IMAGE, HAS_IMAGE_CANDIDATE, IMAGE, IMAGE_INDEX
from kg_builder.textmodels.classifier import TrainSettings
from tests.conftest import TEST_PREFIX, mini_catalog, write_jsonl

SOURCE = f"{TEST_PREFIX}cross_modal"
COLOURS = {"red": (220, 30, 30), "blue": (30, 30, 220), "green": (30, 200, 30)}
TEXTS = {"red": "测试面膜一号 test mask one", "blue": "Test mask two", "green": "test licorice 测试甘草"}
DEMO_MODEL = PATHS.models / "crossmodal" / DEFAULT_LINKING_MODEL


@pytest.fixture(scope="module")
def encoder(tmp_path_factory: pytest.TempPathFactory) -> CrossModalEncoder:
    """A tiny model that learned which colour goes with which test entity."""
    folder = tmp_path_factory.mktemp("cmm")
    pairs = []
    for name, colour in COLOURS.items():
        for shade in range(3):
            path = folder / f"{name}{shade}.png"
            Image.fromarray(np.full((40, 40, 3), np.array(colour) + 10 * shade, dtype=np.uint8)).save(path)
            pairs.append(Pair(path, TEXTS[name], key=name))
    settings = TrainSettings(epochs=40, batch_size=3, learning_rate=2e-3, seed=1)
    model, tokenizer, _ = finetune(pairs, folder / "model", CMM_PATCH_TINY, settings, progress=False)
    return CrossModalEncoder(model, tokenizer, "pytest-cmm")


OWNER = {"red": f"{TEST_PREFIX}item1", "green": f"{TEST_PREFIX}item1", "blue": f"{TEST_PREFIX}item2"}


def _images(tmp_path: Path) -> list[ImageRecord]:
    records = []
    for name, colour in COLOURS.items():
        path = tmp_path / f"{name}.png"
        Image.fromarray(np.full((50, 50, 3), colour, dtype=np.uint8)).save(path)
        records.append(ImageRecord(f"{TEST_PREFIX}img-{name}", path, "photo", name, "test", OWNER[name]))
    return records


def _links(driver: Driver) -> list[dict]:
    """Every image link of the test entities, shown (HAS_IMAGE) or waiting for review (HAS_IMAGE_CANDIDATE)."""
    return [
        r.data()
        for r in driver.execute_query(
            f"MATCH (s)-[r:{HAS_IMAGE}|{HAS_IMAGE_CANDIDATE}]->(img:{IMAGE}) WHERE s.id STARTS WITH $p "
            "RETURN s.id AS subject, img.id AS image, r.score AS score, r.model AS model, r.source AS source, "
            "type(r) = $shown AS shown ORDER BY subject, image",
            p=TEST_PREFIX,
            shown=HAS_IMAGE,
        ).records
    ]


def test_links_respect_threshold_and_top_k_keep_curated_links_and_converge(
    driver: Driver, clean_test_nodes: None, tmp_path: Path, encoder: CrossModalEncoder
) -> None:
    root = mini_catalog(tmp_path / "catalog")
    (root / "images").mkdir()
    Image.fromarray(np.full((30, 30, 3), 128, dtype=np.uint8)).save(root / "images" / "grey.png")
    curated = {"id": f"{TEST_PREFIX}img-curated", "path": "images/grey.png", "subject": f"{TEST_PREFIX}item1"}
    write_jsonl(root / "images.jsonl", [curated | {"subject_kind": "items", "caption": "grey", "source": "test"}])
    assert build_graph(driver, root, progress=False).errors == []
    grey = ImageRecord(curated["id"], root / "images" / "grey.png", "curated", "x", "y", f"{TEST_PREFIX}item1")
    images = _images(tmp_path) + [grey]

    report = link_images(driver, encoder, images, 0.2, Path("/"), progress=False, scope=TEST_PREFIX, source=SOURCE)
    links = _links(driver)
    model_links = [link for link in links if link["source"] == SOURCE]
    above = [link for link in model_links if link["score"] >= 0.2]
    assert above and sum(report.links.values()) - len(above) in (0, 1)  # 1: the curated pair, never a model link
    assert len(model_links) == sum(report.links.values()) + report.below_threshold - 1
    assert (f"{TEST_PREFIX}item1", curated["id"]) not in {(x["subject"], x["image"]) for x in model_links}
    assert all(link["model"] == "pytest-cmm" and not link["shown"] for link in model_links)  # nothing checked yet
    per_subject = [link["subject"] for link in model_links]
    assert max(per_subject.count(s) for s in per_subject) <= TOP_K
    owners = OWNER | {"curated": f"{TEST_PREFIX}item1"}
    item_links = [link for link in model_links if link["subject"].startswith(f"{TEST_PREFIX}item")]
    assert all(owners[link["image"].rsplit("-", 1)[1]] == link["subject"] for link in item_links)  # own images only
    value = [link["image"] for link in model_links if "licorice" in link["subject"]]
    assert value and all(owners[image.rsplit("-", 1)[1]] == f"{TEST_PREFIX}item1" for image in value)
    assert {"subject": f"{TEST_PREFIX}item1", "image": curated["id"], "score": 1.0, "model": "curated"}.items() <= (
        next(x for x in links if x["image"] == curated["id"] and x["subject"] == f"{TEST_PREFIX}item1").items()
    )
    caption = driver.execute_query(f"MATCH (i:{IMAGE} {{id: $id}}) RETURN i.caption AS c", id=curated["id"]).records
    assert caption[0]["c"] == "grey"  # the linker embedded the curated image but did not rewrite it

    again = link_images(driver, encoder, images, 0.2, Path("/"), progress=False, scope=TEST_PREFIX, source=SOURCE)
    assert _links(driver) == links and again.removed_links == 0
    stricter = link_images(driver, encoder, images, 0.9, Path("/"), progress=False, scope=TEST_PREFIX, source=SOURCE)
    assert sum(stricter.links.values()) == sum(link["score"] >= 0.9 for link in model_links)
    assert sum(stricter.links.values()) + stricter.below_threshold == len(model_links) + 1  # + the curated pair


def test_hand_checks_gate_a_label_keep_accepted_links_and_drop_rejected_ones(
    driver: Driver, clean_test_nodes: None, tmp_path: Path, encoder: CrossModalEncoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert build_graph(driver, mini_catalog(tmp_path / "catalog"), progress=False).errors == []
    images = _images(tmp_path)

    def link(decisions: dict[tuple[str, str, str], str]) -> linking.LinkReport:
        return link_images(
            driver, encoder, images, -1.0, Path("/"), progress=False, scope=TEST_PREFIX, source=SOURCE,
            decisions=decisions,
        )  # fmt: skip

    first = link({})
    items = [x for x in _links(driver) if x["subject"].startswith(f"{TEST_PREFIX}item")]
    assert len(items) == 3 and not any(x["shown"] for x in items) and first.precision["Item"].checked == 0
    monkeypatch.setattr(linking, "MIN_CHECKED", 2)
    right, wrong, unchecked = ((DECISION_KIND, x["subject"], x["image"]) for x in items)
    checks = {right: "accept", wrong: "reject"}
    half = link(checks)  # precision 1 of 2: below the gate of 0.8
    assert half.precision["Item"].precision == 0.5 and half.rejected == 1 and half.accepted == 1
    now = {(x["subject"], x["image"]): x for x in _links(driver)}
    assert (wrong[1], wrong[2]) not in now  # a rejected link is gone and is not written again
    assert now[(right[1], right[2])]["shown"] and now[(right[1], right[2])]["source"] == "review"
    assert not now[(unchecked[1], unchecked[2])]["shown"]  # its label did not pass the gate
    monkeypatch.setattr(linking, "MIN_PRECISION", 0.5)
    assert link(checks).precision["Item"].shown  # 0.5 on 2 checked now passes: the unchecked link is shown
    now = {(x["subject"], x["image"]): x for x in _links(driver)}
    assert now[(unchecked[1], unchecked[2])]["shown"] and (wrong[1], wrong[2]) not in now


def test_a_text_query_ranks_an_items_images_through_the_stored_embeddings(
    driver: Driver, clean_test_nodes: None, tmp_path: Path, encoder: CrossModalEncoder
) -> None:
    assert build_graph(driver, mini_catalog(tmp_path / "catalog"), progress=False).errors == []
    images = _images(tmp_path)
    link_images(driver, encoder, images, -1.0, Path("/"), progress=False, scope=TEST_PREFIX, source=SOURCE)
    checked = {(DECISION_KIND, x["subject"], x["image"]): "accept" for x in _links(driver)}  # shown once checked
    link_images(
        driver, encoder, images, -1.0, Path("/"), progress=False, scope=TEST_PREFIX, source=SOURCE, decisions=checked
    )
    search = ImageSearch(driver, encoder)
    ranked = search.rank_item_images(f"{TEST_PREFIX}item1", TEXTS["red"])
    assert len(ranked) == 2 and [r.score for r in ranked] == sorted((r.score for r in ranked), reverse=True)
    assert ranked[0].id == f"{TEST_PREFIX}img-red"
    assert [r.id for r in search.rank_item_images(f"{TEST_PREFIX}item2", "anything")] == [f"{TEST_PREFIX}img-blue"]
    assert search.rank_item_images(f"{TEST_PREFIX}item1", TEXTS["green"])[0].id == f"{TEST_PREFIX}img-green"
    counts = driver.execute_query("MATCH (n) RETURN count(n) AS n").records[0]["n"]
    hostile = search.search("x'}) MATCH (n) DETACH DELETE n // 🍓 面膜", limit=3)
    assert len(hostile) == 3 and driver.execute_query("MATCH (n) RETURN count(n) AS n").records[0]["n"] == counts
    with pytest.raises(ValueError, match="empty image query"):
        search.search("  ")
    with pytest.raises(ValueError, match="unknown entity label"):
        search.rank_entity_images("User", "u1", "x")


def test_the_demo_graph_shows_only_model_links_above_the_measured_threshold_and_has_a_vector_index(
    demo_driver: Driver,
) -> None:
    threshold = json.loads((DEMO_MODEL / "finetuning.json").read_text())["threshold"]["threshold"]
    links = demo_driver.execute_query(
        f"MATCH (s)-[r:{HAS_IMAGE}|{HAS_IMAGE_CANDIDATE}]->(img:{IMAGE}) WHERE r.source IN ['cross_modal', 'review'] "
        "RETURN labels(s)[0] AS label, type(r) AS type, r.source AS source, min(r.score) AS lowest, "
        "collect(DISTINCT r.model) AS models"
    ).records
    assert {r["label"] for r in links} >= {"Item"}
    assert all(r["models"] == [DEMO_MODEL.name] for r in links)
    # a model link is shown only above the threshold; a link a curator accepted is shown whatever its score
    assert all(r["lowest"] >= threshold for r in links if r["type"] == HAS_IMAGE and r["source"] == "cross_modal")
    index = demo_driver.execute_query(
        "SHOW VECTOR INDEXES YIELD name, state, labelsOrTypes, properties WHERE name = $n RETURN *", n=IMAGE_INDEX
    ).records
    assert index and index[0]["state"] == "ONLINE" and index[0]["properties"] == ["embedding"]
    query = f"MATCH (i:{IMAGE}) WHERE i.embedding IS NOT NULL RETURN count(i) AS n"
    embedded = demo_driver.execute_query(query).records
    assert embedded[0]["n"] >= 300  # pieces of the generated pages, the real photos and the curated images
    search = ImageSearch(demo_driver, load_encoder(DEMO_MODEL))
    assert len(search.search("Arla Natural Yoghurt", limit=5)) == 5
