"""Building the MKG in the real Neo4j: idempotent, bad rows skipped, inference rule, the paper's example path."""

from __future__ import annotations

import io
from pathlib import Path

from neo4j import Driver

from kg_builder.build import build_graph
from kg_builder.graph.ontology import (
    BRAND,
    CATEGORY,
    CAUSE,
    HAS_POI,
    HAS_PROPERTY,
    IN_CATEGORY,
    ITEM,
    NEED,
    OF_BRAND,
    POI,
    PROBLEM,
    PROPERTY_VALUE,
    SATISFY,
    SCENARIO,
)
from kg_builder.graph.stats import graph_stats
from kg_builder.textual.inference import infer_item_pois
from tests.conftest import DEMO_CATALOG, TEST_PREFIX, mini_catalog, write_jsonl


def test_building_the_demo_twice_gives_the_same_counts(driver: Driver) -> None:
    first = build_graph(driver, DEMO_CATALOG, progress=False)
    counts = graph_stats(driver)
    second = build_graph(driver, DEMO_CATALOG, progress=False)
    assert first.errors == [] and second.errors == []
    assert graph_stats(driver) == counts
    assert counts.nodes["Item"] >= 30 and counts.relationships["HAS_POI"] > 0
    assert "rows written, 0 rejected" in second.summary()


def test_the_papers_example_path_exists(driver: Driver) -> None:
    build_graph(driver, DEMO_CATALOG, progress=False)
    records = driver.execute_query(
        f"""MATCH (:{SCENARIO} {{id: 'stay_up_late'}})-[:{CAUSE}]->(:{PROBLEM} {{id: 'dull_skin'}})
                 -[:{NEED}]->(p:{POI} {{id: 'fair_skin'}})<-[:{SATISFY}]-(v:{PROPERTY_VALUE})
                 <-[r:{HAS_PROPERTY} {{name: 'ingredient'}}]-(i:{ITEM})
                 -[:{IN_CATEGORY}]->(:{CATEGORY} {{id: 'facial_mask'}})
           RETURN v.name_zh AS value, v.name_en AS value_en, i.id AS item,
                  EXISTS {{ (i)-[:{HAS_POI} {{inferred: true}}]->(p) }} AS inferred"""
    ).records
    assert [(r["value"], r["value_en"], r["inferred"]) for r in records] == [
        ("甘草酸二钾", "dipotassium glycyrrhizinate", True)
    ]


def test_malformed_row_is_reported_and_the_rest_loads(driver: Driver, clean_test_nodes: None, tmp_path: Path) -> None:
    root = mini_catalog(tmp_path / "catalog")
    items = root / "items.jsonl"
    write_jsonl(
        items,
        [
            *items.read_text(encoding="utf-8").splitlines(),
            '{"id": "pytest-broken", "title": "x", ',
            {"id": "pytest-orphan", "title": "y", "lang": "en", "category": "pytest-nope", "source": "t"},
        ],
    )
    err = io.StringIO()
    report = build_graph(driver, root, progress=False, err=err)
    errors = [str(e) for e in report.errors]
    assert len(errors) == 2
    assert errors[0].startswith("catalog/items.jsonl:3: invalid JSON: ")
    assert errors[1] == "catalog/items.jsonl:4: unknown category 'pytest-nope'"
    assert "skipped catalog/items.jsonl:3: invalid JSON" in err.getvalue()
    ids = {
        r["id"]
        for r in driver.execute_query(
            f"MATCH (i:{ITEM}) WHERE i.id STARTS WITH $p RETURN i.id AS id", p=TEST_PREFIX
        ).records
    }
    assert ids == {"pytest-item1", "pytest-item2"}


def test_inference_rule_adds_and_removes_has_poi(driver: Driver, clean_test_nodes: None, tmp_path: Path) -> None:
    build_graph(driver, mini_catalog(tmp_path / "catalog"), progress=False)
    query = (
        f"MATCH (:{ITEM} {{id: 'pytest-item1'}})-[h:{HAS_POI}]->(p:{POI}) RETURN p.id AS poi, h.inferred AS inferred"
    )
    assert [(r["poi"], r["inferred"]) for r in driver.execute_query(query).records] == [("pytest-fair", True)]
    assert driver.execute_query(f"MATCH (:{ITEM} {{id: 'pytest-item2'}})-[h:{HAS_POI}]->() RETURN h").records == []
    driver.execute_query(
        f"MATCH (:{PROPERTY_VALUE} {{id: 'pytest-ingredient:test licorice'}})-[s:{SATISFY}]->() DELETE s"
    )
    _, removed = infer_item_pois(driver)
    assert removed >= 1
    assert driver.execute_query(query).records == []


def test_an_import_without_the_learned_stages_keeps_predicted_category_and_brand_links(
    driver: Driver, clean_test_nodes: None, tmp_path: Path
) -> None:
    root = mini_catalog(tmp_path / "catalog")
    build_graph(driver, root, progress=False)
    driver.execute_query(
        f"""MERGE (c:{CATEGORY} {{id: 'pytest-serum'}}) MERGE (b:{BRAND} {{id: 'pytest-ner-brand'}})
        WITH c, b MATCH (i:{ITEM} {{id: 'pytest-item1'}})
        CREATE (i)-[:{IN_CATEGORY} {{source: 'ner', predicted: true}}]->(c),
               (i)-[:{OF_BRAND} {{source: 'ner', predicted: true}}]->(b)"""
    )
    build_graph(driver, root, progress=False)  # no extraction settings: the learned stages are skipped
    records = driver.execute_query(
        f"""MATCH (:{ITEM} {{id: 'pytest-item1'}})-[r]->(n) WHERE type(r) IN ['{IN_CATEGORY}', '{OF_BRAND}']
        RETURN type(r) AS type, n.id AS target, r.predicted AS predicted ORDER BY type, target"""
    ).records
    assert [tuple(r.values()) for r in records] == [
        (IN_CATEGORY, "pytest-mask", None),
        (IN_CATEGORY, "pytest-serum", True),
        (OF_BRAND, "pytest-brand", None),
        (OF_BRAND, "pytest-ner-brand", True),
    ]
