"""The bulk path for real: neo4j-admin into a scratch instance this test creates (its own home and free ports, never
the project's or the test instance), then the online build of the same catalog into it must give the same graph."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from neo4j import Driver

from kg_builder.build import build_graph
from kg_builder.bulk_build import bulk_build
from kg_builder.config import PATHS, connect
from kg_builder.graph.bulk import BulkRefused, Instance, instance_settings
from tests.conftest import mini_catalog, write_jsonl
from tests.ports import free_port

pytestmark = pytest.mark.integration
NEO4J_SH = str(PATHS.repo / "scripts" / "neo4j.sh")


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Instance, dict[str, str]]]:
    """A fresh Neo4j home (conf written, never started) and the environment that makes scripts/neo4j.sh run it."""
    base = tmp_path_factory.mktemp("bulk")
    environment = {
        **os.environ,
        "NEO4J_INSTANCE": "bulk",
        "NEO4J_BULK_HOME": str(base / "home"),
        "NEO4J_BULK_BOLT_PORT": str(free_port()),
        "NEO4J_BULK_HTTP_PORT": str(free_port()),
        "MKG_RUN_DIR": str(base / "run"),
    }
    subprocess.run([NEO4J_SH, "conf"], env=environment, check=True)
    try:
        yield Instance(base / "home", PATHS.repo / "neo4j-server" / "lib"), environment
    finally:
        subprocess.run([NEO4J_SH, "stop"], env=environment, check=False)


def _graph(driver: Driver) -> tuple[list[Any], list[Any]]:
    nodes = driver.execute_query("MATCH (n) RETURN labels(n) AS labels, properties(n) AS props ORDER BY n.id").records
    links = driver.execute_query(
        "MATCH (a)-[r]->(b) RETURN a.id AS a, type(r) AS type, b.id AS b, properties(r) AS props ORDER BY a, type, b"
    ).records
    return [(r["labels"], r["props"]) for r in nodes], [tuple(r.values()) for r in links]


def _add_lines(path: Path, *rows: dict[str, Any]) -> None:
    write_jsonl(path, [*path.read_text(encoding="utf-8").splitlines(), *rows])


def test_the_bulk_path_builds_the_online_graph(scratch: tuple[Instance, dict[str, str]], tmp_path: Path) -> None:
    instance, environment = scratch
    root = mini_catalog(tmp_path / "catalog")
    items = root / "items.jsonl"
    write_jsonl(items, [*items.read_text(encoding="utf-8").splitlines(), '{"id": "pytest-broken", "title": "x", '])
    write_jsonl(root / "user_problems.jsonl", [{"user": "pytest-u", "problem": "pytest-dull", "source": "t"}])
    _add_lines(root / "pois.jsonl", {"id": "pytest-calm", "name_zh": "测试舒缓", "name_en": "test calm", "source": "t"})
    rice = {"property": "pytest-ingredient", "value": "test rice", "source": "t"}
    _add_lines(root / "item_properties.jsonl", {**rice, "item": "pytest-item1"}, {**rice, "item": "pytest-item2"})
    # item1 reaches `fair` through two values (scores 1.0 and 0.4): HAS_POI keeps the best
    fair, calm = {**rice, "poi": "pytest-fair", "score": 0.4}, {**rice, "poi": "pytest-calm", "score": 0.7}
    _add_lines(root / "satisfies.jsonl", fair, calm)

    def start() -> None:
        subprocess.run([NEO4J_SH, "start"], env=environment, check=True)

    report = bulk_build(root, instance, start, progress=False)
    assert [str(e).split(": ")[0] for e in report.errors] == ["catalog/items.jsonl:3"]
    assert report.inferred_has_poi == 4 and report.prefers == 1
    with pytest.raises(BulkRefused, match="is running"):
        bulk_build(root, instance, start, progress=False)
    with connect(instance_settings(instance)) as driver:
        bulk = _graph(driver)
        driver.execute_query("MATCH (n) DETACH DELETE n")
        online_report = build_graph(driver, root, progress=False)
        online = _graph(driver)
    assert online_report.errors == report.errors
    assert bulk == online
    has_poi = {(a, b): props["score"] for a, kind, b, props in bulk[1] if kind == "HAS_POI"}
    assert has_poi == {
        ("pytest-item1", "pytest-fair"): 1.0,  # licorice 1.0 beats rice 0.4
        ("pytest-item1", "pytest-calm"): 0.7,
        ("pytest-item2", "pytest-fair"): 0.4,
        ("pytest-item2", "pytest-calm"): 0.7,
    }
    assert len(bulk[0]) == 12 and len(bulk[1]) == 19  # 14 imported links, 4 HAS_POI and 1 PREFERS added
