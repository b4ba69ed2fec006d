"""Predicted nodes and links in the real Neo4j: marked, never overwriting curated data, replaced on re-run."""

from __future__ import annotations

from pathlib import Path

from neo4j import Driver

from actions.graph_store import Neo4jGraphStore
from kg_builder.build import build_graph
from kg_builder.graph.ontology import (
    HAS_POI,
    HAS_PROBLEM,
    ITEM,
    POI,
    POI_CANDIDATE,
    PREFERS,
    PROPERTY_VALUE,
    SATISFY,
    SATISFY_CANDIDATE,
    USER,
)
from kg_builder.graph.predictions import (
    REMOVE_OLD_MINED_POIS,
    REMOVE_OLD_SATISFY,
    WRITE_CATEGORY_CHECK,
    WRITE_MINED_POIS,
    WRITE_SATISFY,
    replace_predictions,
    write_rows,
)
from kg_builder.review import apply_decision, list_candidates
from kg_builder.textual.completion import PREFERS_SOURCE, complete_preferences
from kg_builder.textual.inference import infer_item_pois
from tests.conftest import TEST_PREFIX, mini_catalog, write_jsonl

SOURCE = f"{TEST_PREFIX}model"  # a source of the test's own, so the demo graph's predictions are left alone
VALUE = f"{TEST_PREFIX}ingredient:test licorice"
SHOWN = {"label": SATISFY, "predicted": True}


def _build(driver: Driver, tmp_path: Path) -> Path:
    root = mini_catalog(tmp_path / "catalog")
    write_jsonl(
        root / "pois.jsonl",
        [
            {"id": f"{TEST_PREFIX}fair", "name_zh": "测试美白", "name_en": "test fair", "source": "test"},
            {"id": f"{TEST_PREFIX}calm", "name_zh": "测试舒缓", "name_en": "test calm", "source": "test"},
        ],
    )
    write_jsonl(
        root / "user_problems.jsonl",
        [{"user": f"{TEST_PREFIX}user", "problem": f"{TEST_PREFIX}dull", "source": "test"}],
    )
    report = build_graph(driver, root, progress=False)
    assert report.errors == []
    return root


def _satisfy(driver: Driver, relationship: str = SATISFY) -> dict[str, dict]:
    records = driver.execute_query(
        f"MATCH (:{PROPERTY_VALUE} {{id: $v}})-[r:{relationship}]->(o:{POI}) RETURN o.id AS poi, properties(r) AS r",
        v=VALUE,
    ).records
    return {record["poi"]: record["r"] for record in records}


def test_predicted_satisfy_is_marked_and_never_overwrites_a_curated_link(
    driver: Driver, clean_test_nodes: None, tmp_path: Path
) -> None:
    _build(driver, tmp_path)
    rows = [
        {"value_id": VALUE, "poi_id": f"{TEST_PREFIX}fair", "score": 0.7, "context": "c", **SHOWN},
        {"value_id": VALUE, "poi_id": f"{TEST_PREFIX}calm", "score": 0.9, "context": "甘草舒缓", **SHOWN},
    ]
    replace_predictions(driver, WRITE_SATISFY, REMOVE_OLD_SATISFY, rows, SOURCE)
    links = _satisfy(driver)
    assert links[f"{TEST_PREFIX}fair"]["source"] == "test" and "predicted" not in links[f"{TEST_PREFIX}fair"]
    assert links[f"{TEST_PREFIX}calm"] | {"run": None} == {
        "source": SOURCE,
        "score": 0.9,
        "predicted": True,
        "context": "甘草舒缓",
        "run": None,
    }
    infer_item_pois(driver)
    has_poi = driver.execute_query(
        f"MATCH (:{ITEM} {{id: $i}})-[h:{HAS_POI}]->(o:{POI}) RETURN o.id AS poi, h.predicted AS predicted",
        i=f"{TEST_PREFIX}item1",
    ).records
    assert {r["poi"]: r["predicted"] for r in has_poi} == {f"{TEST_PREFIX}fair": False, f"{TEST_PREFIX}calm": True}


def test_a_rerun_replaces_earlier_predictions(driver: Driver, clean_test_nodes: None, tmp_path: Path) -> None:
    _build(driver, tmp_path)
    first = [{"value_id": VALUE, "poi_id": f"{TEST_PREFIX}calm", "score": 0.9, "context": "", **SHOWN}]
    replace_predictions(driver, WRITE_SATISFY, REMOVE_OLD_SATISFY, first, SOURCE)
    assert replace_predictions(driver, WRITE_SATISFY, REMOVE_OLD_SATISFY, first, SOURCE) == (1, 0)  # converges
    assert replace_predictions(driver, WRITE_SATISFY, REMOVE_OLD_SATISFY, [], SOURCE) == (0, 1)
    assert f"{TEST_PREFIX}calm" not in _satisfy(driver) and f"{TEST_PREFIX}fair" in _satisfy(driver)


def test_mined_pois_are_candidate_nodes_that_a_rerun_replaces(driver: Driver, clean_test_nodes: None) -> None:
    mined = [
        {
            "id": f"{TEST_PREFIX}mined:zh:加绒",
            "name_zh": "加绒",
            "name_en": None,
            "score": 0.8,
            "evidence": ["a#L1"],
            "label": POI,
            "predicted": True,
        }
    ]
    replace_predictions(driver, WRITE_MINED_POIS, REMOVE_OLD_MINED_POIS, mined, SOURCE)
    node = driver.execute_query(f"MATCH (o:{POI} {{id: $id}}) RETURN properties(o) AS o", id=mined[0]["id"]).records[0][
        "o"
    ]
    assert (node["source"], node["predicted"], node["score"], node["evidence"]) == (SOURCE, True, 0.8, ["a#L1"])
    replace_predictions(driver, WRITE_MINED_POIS, REMOVE_OLD_MINED_POIS, [], SOURCE)
    assert not driver.execute_query(f"MATCH (o:{POI} {{id: $id}}) RETURN o", id=mined[0]["id"]).records


def test_users_prefer_the_pois_their_problems_need(driver: Driver, clean_test_nodes: None, tmp_path: Path) -> None:
    _build(driver, tmp_path)
    query = (
        f"MATCH (:{USER} {{id: $u}})-[r:{PREFERS}]->(o:{POI}) RETURN o.id AS poi, r.score AS score, r.source AS source"
    )
    user = f"{TEST_PREFIX}user"
    assert [tuple(r.values()) for r in driver.execute_query(query, u=user).records] == [
        (f"{TEST_PREFIX}fair", 1.0, PREFERS_SOURCE)
    ]
    driver.execute_query(f"MATCH (:{USER} {{id: $u}})-[r:{HAS_PROBLEM}]->() DELETE r", u=user)
    complete_preferences(driver)
    assert driver.execute_query(query, u=user).records == []


def _has_poi(driver: Driver) -> set[str]:
    records = driver.execute_query(
        f"MATCH (:{ITEM} {{id: $i}})-[:{HAS_POI}]->(o:{POI}) RETURN o.id AS poi", i=f"{TEST_PREFIX}item1"
    ).records
    return {record["poi"] for record in records}


def test_candidates_below_the_gate_stay_out_of_sight_until_a_curator_accepts_them(
    driver: Driver, clean_test_nodes: None, tmp_path: Path
) -> None:
    _build(driver, tmp_path)
    calm, fair = f"{TEST_PREFIX}calm", f"{TEST_PREFIX}fair"
    candidate = {"value_id": VALUE, "poi_id": calm, "score": 0.6, "context": "", "label": SATISFY_CANDIDATE}
    replace_predictions(driver, WRITE_SATISFY, REMOVE_OLD_SATISFY, [candidate | {"predicted": True}], SOURCE)
    infer_item_pois(driver)
    assert calm in _satisfy(driver, SATISFY_CANDIDATE) and calm not in _satisfy(driver)
    assert _has_poi(driver) == {fair}  # a candidate is never a reason for HAS_POI
    listed = [c for c in list_candidates(driver, ["satisfy"], limit=10_000) if c.subject == VALUE]
    assert [(c.object, c.shown) for c in listed] == [(calm, False)]

    assert apply_decision(driver, "satisfy", VALUE, calm, "accept") == 1
    assert _satisfy(driver)[calm]["source"] == "review" and _satisfy(driver)[calm]["predicted"] is False
    assert calm not in _satisfy(driver, SATISFY_CANDIDATE) and _has_poi(driver) == {fair, calm}
    assert apply_decision(driver, "satisfy", VALUE, calm, "reject") == 0  # curated now: nothing to reject


def test_a_rejected_mined_poi_is_deleted_and_an_accepted_one_becomes_curated(
    driver: Driver, clean_test_nodes: None
) -> None:
    rows = [
        {"id": f"{TEST_PREFIX}mined:zh:{word}", "name_zh": word, "name_en": None, "score": 0.5, "evidence": []}
        | {"label": POI_CANDIDATE, "predicted": True}
        for word in ("加绒", "显瘦")
    ]
    replace_predictions(driver, WRITE_MINED_POIS, REMOVE_OLD_MINED_POIS, rows, SOURCE)
    keep, drop = (row["id"] for row in rows)
    assert apply_decision(driver, "poi", keep, "-", "accept") == 1
    assert apply_decision(driver, "poi", drop, "-", "reject") == 1
    query = "MATCH (o {id: $id}) RETURN labels(o) AS labels, o.source AS source, o.predicted AS predicted"
    assert [r.values() for r in driver.execute_query(query, id=keep).records] == [[[POI], "review", False]]
    assert driver.execute_query(query, id=drop).records == []


def test_an_item_with_a_doubtful_category_is_not_listed_until_a_curator_accepts_it(
    driver: Driver, clean_test_nodes: None, tmp_path: Path
) -> None:
    _build(driver, tmp_path)
    store = Neo4jGraphStore(driver)
    item, category = f"{TEST_PREFIX}item1", f"{TEST_PREFIX}mask"
    row = {"item": item, "score": 0.2, "doubt": True, "review": None}
    write_rows(driver, WRITE_CATEGORY_CHECK, [row], "test")
    assert item not in store.items_by_filter(category, None)
    assert f"{TEST_PREFIX}item2" in store.items_by_filter(category, None)
    listed = [c for c in list_candidates(driver, ["category"], limit=10_000) if c.subject == item]
    assert [(c.object, c.shown) for c in listed] == [(category, False)]
    assert apply_decision(driver, "category", item, category, "accept") == 1
    assert item in store.items_by_filter(category, None)
    assert apply_decision(driver, "category", item, category, "reject") == 1
    assert item not in store.items_by_filter(category, None)
