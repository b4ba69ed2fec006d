"""The bulk path's CSV files: the online writer's graph, the loader's bad-row reports, and a refused target."""

from __future__ import annotations

import csv
import io
import re
import socket
from pathlib import Path

import pytest

from kg_builder.build import BuildReport, load_reported
from kg_builder.catalog.loader import load_catalog
from kg_builder.graph.bulk import (
    ARRAY_DELIMITER,
    NODE_COLUMNS,
    NODE_KINDS,
    BulkRefused,
    Instance,
    _write_table,
    bulk_graph,
    check_target,
    write_csvs,
)
from kg_builder.graph.ontology import HAS_POI, HAS_PROPERTY, ITEM, PROPERTY_VALUE, SATISFY
from kg_builder.graph.rules import RULE_SOURCE, has_poi_links
from kg_builder.graph.writer import IMAGE_QUERIES, WRITE_QUERIES, _params
from kg_builder.timing import StageClock
from tests.conftest import mini_catalog, write_jsonl

_SET = re.compile(r"\b([a-z]+)\.(\w+) = ")


def _catalog_with_a_bad_row(tmp_path: Path) -> Path:
    root = mini_catalog(tmp_path / "catalog")
    items = root / "items.jsonl"
    orphan = {"id": "pytest-orphan", "title": "y", "lang": "en", "category": "pytest-nope", "source": "t"}
    write_jsonl(items, [*items.read_text(encoding="utf-8").splitlines(), orphan])
    write_jsonl(root / "user_problems.jsonl", [{"user": "pytest-u", "problem": "pytest-dull", "source": "t"}])
    return root


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_node_columns_are_the_properties_the_online_queries_set() -> None:
    for kind, label in NODE_KINDS.items():
        query = (WRITE_QUERIES.get(kind) or IMAGE_QUERIES["items"]).split("WITH")[0]  # the node's SET, no links
        online = {prop for _, prop in _SET.findall(query)}
        assert {column.split(":")[0] for column in NODE_COLUMNS[label]} == online, kind
    value_sets = {prop for var, prop in _SET.findall(WRITE_QUERIES["item_properties"]) if var == "v"}
    value_sets |= {prop for var, prop in _SET.findall(WRITE_QUERIES["satisfies"]) if var == "v"}
    assert {column.split(":")[0] for column in NODE_COLUMNS[PROPERTY_VALUE]} == value_sets


def test_a_bad_row_is_reported_as_the_online_path_reports_it(tmp_path: Path) -> None:
    root = _catalog_with_a_bad_row(tmp_path)
    err = io.StringIO()
    report = BuildReport()
    catalog = load_reported(root, report, StageClock(report.stage_seconds), err)
    assert [str(e) for e in report.errors] == ["catalog/items.jsonl:3: unknown category 'pytest-nope'"]
    assert err.getvalue() == "skipped catalog/items.jsonl:3: unknown category 'pytest-nope'\n"
    files = write_csvs(bulk_graph(catalog), tmp_path / "csv")
    items = _read(dict(files.nodes)[ITEM])
    assert [(row[f":ID({ITEM})"], row["id"]) for row in items] == [("0", "pytest-item1"), ("1", "pytest-item2")]


def test_the_csv_files_hold_the_online_graph(tmp_path: Path) -> None:
    catalog = load_catalog(_catalog_with_a_bad_row(tmp_path))
    graph = bulk_graph(catalog)
    files = write_csvs(graph, tmp_path / "csv")
    nodes = dict(files.nodes)
    item1 = _read(nodes[ITEM])[0]
    source_row = next(row for row in catalog.rows["items"] if row["id"] == "pytest-item1")
    assert item1["price:double"] == "9.9" and item1["currency"] == "CNY"
    assert item1["search_text"] == source_row["search_text"] and item1["title_zh"] == ""  # empty: no property
    (value,) = _read(nodes[PROPERTY_VALUE])
    assert value == {
        f":ID({PROPERTY_VALUE})": "0",
        "id": "pytest-ingredient:test licorice",  # <property>:<english value lower-cased>
        "property": "pytest-ingredient",
        "value": "测试甘草",
        "name_zh": "测试甘草",
        "name_en": "test licorice",
    }
    assert _read(nodes["User"]) == [{":ID(User)": "0", "id": "pytest-u"}]
    relationships = {path.name: path for _, path in files.relationships}
    (has_property,) = _read(relationships[f"rels-{HAS_PROPERTY}-{ITEM}-{PROPERTY_VALUE}.csv"])
    assert has_property[f":START_ID({ITEM})"] == "0" and has_property[f":END_ID({PROPERTY_VALUE})"] == "0"
    assert has_property["position:long"] == "0" and has_property["name"] == "pytest-ingredient"
    assert has_property["value_id"] == "pytest-ingredient:test licorice"
    (satisfy,) = _read(relationships[f"rels-{SATISFY}-{PROPERTY_VALUE}-POI.csv"])
    assert satisfy["score:double"] == "1.0"  # coalesce(row.score, 1.0)
    (has_poi,) = _read(relationships[f"rels-{HAS_POI}-{ITEM}-POI.csv"])  # item -> licorice -> POI, as the rule infers
    assert has_poi == {
        f":START_ID({ITEM})": "0",
        ":END_ID(POI)": "0",
        "inferred:boolean": "true",
        "score:double": "1.0",
        "source": RULE_SOURCE,
        "predicted:boolean": "false",
    }
    assert graph.node_count == 10 and graph.relationship_count == 10


def test_has_poi_links_keep_the_best_score_and_are_predicted_only_when_every_reason_is() -> None:
    has_property = [("i1", "v1"), ("i1", "v2"), ("i2", "v2"), ("i3", "v3")]
    satisfy = {
        ("v1", "soft"): {"score": 0.6, "predicted": True},
        ("v2", "soft"): {"score": 0.9},  # curated: no `predicted`
        ("v2", "calm"): {"score": None, "predicted": True},  # no score counts as 1.0
        ("v9", "calm"): {"score": 1.0},  # a value no item has
    }
    links = has_poi_links(has_property, satisfy)
    assert {key: (link["score"], link["predicted"]) for key, link in links.items()} == {
        ("i1", "soft"): (0.9, False),
        ("i1", "calm"): (1.0, True),
        ("i2", "soft"): (0.9, False),
        ("i2", "calm"): (1.0, True),
    }
    assert all(link["inferred"] and link["source"] == RULE_SOURCE for link in links.values())


def test_an_empty_list_is_no_property_on_both_paths(tmp_path: Path) -> None:
    assert _params({"aliases_zh": [], "aliases_en": ["x"], "name": "", "_origin": "f:1"}) == {
        "aliases_zh": None,
        "aliases_en": ["x"],
        "name": "",
    }
    files = write_csvs(bulk_graph(load_catalog(mini_catalog(tmp_path / "catalog"))), tmp_path / "csv")
    (poi,) = _read(dict(files.nodes)["POI"])  # the catalog gives no aliases: empty fields, which neo4j-admin skips
    assert poi["aliases_zh:string[]"] == "" and poi["aliases_en:string[]"] == ""


def test_every_row_is_written_and_counted_across_chunks(tmp_path: Path) -> None:
    counted: list[int] = []
    rows = ([n, [f"a{n}", "b"] if n % 2 else [], n % 3 == 0] for n in range(10_001))
    _write_table(tmp_path / "t.csv", ["n:long", "names:string[]", "odd:boolean"], rows, counted.append)
    written = _read(tmp_path / "t.csv")
    assert counted == [10_000, 1] and len(written) == 10_001
    assert written[9_999] == {"n:long": "9999", "names:string[]": f"a9999{ARRAY_DELIMITER}b", "odd:boolean": "true"}
    assert written[10_000] == {"n:long": "10000", "names:string[]": "", "odd:boolean": "false"}


def test_aliases_become_one_array_field(tmp_path: Path) -> None:
    root = mini_catalog(tmp_path / "catalog")
    write_jsonl(root / "brands.jsonl", [{"id": "pytest-brand", "name": 'A, "B"', "aliases": "x;y|z", "source": "t"}])
    files = write_csvs(bulk_graph(load_catalog(root)), tmp_path / "csv")
    (brand,) = _read(dict(files.nodes)["Brand"])
    assert brand["name"] == 'A, "B"' and brand["aliases:string[]"].split(ARRAY_DELIMITER) == ["x;y", "z"]


def _home(tmp_path: Path, port: int) -> Instance:
    (tmp_path / "home" / "conf").mkdir(parents=True)
    (tmp_path / "home" / "conf" / "neo4j.conf").write_text(f"server.bolt.listen_address=127.0.0.1:{port}\n")
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "neo4j-kernel-5.jar").touch()
    return Instance(tmp_path / "home", tmp_path / "lib")


def test_a_running_instance_or_an_existing_database_is_refused(tmp_path: Path) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        instance = _home(tmp_path, server.getsockname()[1])
        with pytest.raises(BulkRefused, match="is running"):
            check_target(instance, "neo4j")
    check_target(instance, "neo4j")  # stopped, no store: accepted
    instance.store("neo4j").mkdir(parents=True)
    (instance.store("neo4j") / "database_lock").touch()  # what a failed import leaves
    check_target(instance, "neo4j")
    (instance.store("neo4j") / "neostore").touch()
    with pytest.raises(BulkRefused, match="already exists"):
        check_target(instance, "neo4j")


def test_no_has_poi_links_when_the_query_will_infer_them(tmp_path: Path) -> None:
    catalog = load_catalog(mini_catalog(tmp_path / "catalog"))
    assert len(bulk_graph(catalog).relationships[(HAS_POI, ITEM, "POI")]) == 1
    without = bulk_graph(catalog, has_poi=False)
    assert not without.relationships[(HAS_POI, ITEM, "POI")]
    files = write_csvs(without, tmp_path / "csv")
    assert not any(HAS_POI in path.name for _, path in files.relationships)
