"""Shared fixtures: the project's test Neo4j (integration tests fail, not skip, when it is down, and refuse any other
database) and temp catalogs."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from neo4j import Driver

from kg_builder.config import PATHS, Neo4jSettings, connect
from kg_builder.graph.stats import database_id

DEMO_CATALOG = PATHS.catalog
TEST_PREFIX = "pytest-"
SHARED_DATA = PATHS.shared_data


TEST_INSTANCE = PATHS.repo / ".neo4j-test"  # the project's test Neo4j (scripts/neo4j.sh with NEO4J_INSTANCE=test)
START_TEST_INSTANCE = "NEO4J_INSTANCE=test scripts/neo4j.sh start"  # `make test` runs it first


def test_instance_settings() -> Neo4jSettings:
    """Where the test instance listens and its generated password; never NEO4J_URI, which may be a user's graph."""
    password_file = TEST_INSTANCE / "password"
    if not password_file.is_file():
        pytest.fail(f"the tests write only to the project's test Neo4j, not set up yet: {START_TEST_INSTANCE}")
    port = os.environ.get("NEO4J_TEST_BOLT_PORT", "7688")
    return Neo4jSettings(f"bolt://127.0.0.1:{port}", "neo4j", password_file.read_text(encoding="utf-8").strip())


def refuse_unless_test_instance(driver: Driver, settings: Neo4jSettings) -> None:
    """Fail unless the database behind the driver is the one scripts/neo4j.sh created for the tests (by its id)."""
    expected_file = TEST_INSTANCE / "database-id"
    expected = expected_file.read_text(encoding="utf-8").strip() if expected_file.is_file() else None
    found = database_id(driver, settings.database)
    if expected is None or found != expected:
        pytest.fail(
            f"refusing to run destructive tests against {settings.uri}: database {found} is not the project's test "
            f"instance ({expected_file} names {expected}). Start the test instance with {START_TEST_INSTANCE}."
        )


@pytest.fixture(scope="session")
def settings() -> Neo4jSettings:
    return test_instance_settings()


@pytest.fixture(scope="session")
def driver(settings: Neo4jSettings) -> Iterator[Driver]:
    """A driver to the project's test Neo4j (its own folder and port); a connection failure or any other database
    fails the test."""
    try:
        graph = connect(settings)
    except Exception as error:  # noqa: BLE001 - any failure to reach Neo4j must fail loudly
        pytest.fail(f"the test Neo4j is not reachable at {settings.uri}: {error}. Start it with {START_TEST_INSTANCE}.")
    try:
        refuse_unless_test_instance(graph, settings)
        yield graph
    finally:
        graph.close()


@pytest.fixture(scope="session")
def demo_driver() -> Iterator[Driver]:
    """A driver to the assistant's graph (NEO4J_URI), for tests that only read what `make graph` built there."""
    settings = Neo4jSettings.from_env()
    try:
        graph = connect(settings)
    except Exception as error:  # noqa: BLE001 - any failure to reach Neo4j must fail loudly
        pytest.fail(f"the assistant's graph is not reachable at {settings.uri}: {error}. Build it with `make graph`.")
    yield graph
    graph.close()


def remove_test_nodes(driver: Driver) -> None:
    """Delete every node whose id starts with the test prefix."""
    driver.execute_query("MATCH (n) WHERE n.id STARTS WITH $prefix DETACH DELETE n", prefix=TEST_PREFIX)


@pytest.fixture
def clean_test_nodes(driver: Driver) -> Iterator[None]:
    """Remove the test's own nodes before and after it."""
    remove_test_nodes(driver)
    yield
    remove_test_nodes(driver)


def write_jsonl(path: Path, rows: list[object | str]) -> Path:
    """Write rows (objects, or raw text lines for malformed input) as JSONL."""
    path.write_text(
        "".join((row if isinstance(row, str) else json.dumps(row, ensure_ascii=False)) + "\n" for row in rows),
        encoding="utf-8",
    )
    return path


def mini_catalog(root: Path, prefix: str = TEST_PREFIX) -> Path:
    """A small valid catalog: one category, property, brand, item, value, POI, problem, scenario."""
    root.mkdir(parents=True, exist_ok=True)
    src = {"source": "test"}
    write_jsonl(
        root / "categories.jsonl",
        [{"id": f"{prefix}mask", "name_zh": "测试面膜", "name_en": "test mask", "domain": "Beauty", **src}],
    )
    write_jsonl(root / "brands.jsonl", [{"id": f"{prefix}brand", "name": "TestBrand", **src}])
    write_jsonl(
        root / "properties.jsonl",
        [{"id": f"{prefix}ingredient", "name_zh": "测试成分", "name_en": "test ingredient", **src}],
    )
    write_jsonl(root / "pois.jsonl", [{"id": f"{prefix}fair", "name_zh": "测试美白", "name_en": "test fair", **src}])
    write_jsonl(
        root / "problems.jsonl", [{"id": f"{prefix}dull", "name_zh": "测试暗沉", "name_en": "test dull", **src}]
    )
    write_jsonl(
        root / "scenarios.jsonl", [{"id": f"{prefix}late", "name_zh": "测试熬夜", "name_en": "test late", **src}]
    )
    write_jsonl(
        root / "items.jsonl",
        [
            {
                "id": f"{prefix}item1",
                "title": "测试面膜一号 test mask one",
                "lang": "zh",
                "category": f"{prefix}mask",
                "brand": f"{prefix}brand",
                "price": 9.9,
                **src,
            },
            {"id": f"{prefix}item2", "title": "Test mask two", "lang": "en", "category": f"{prefix}mask", **src},
        ],
    )
    write_jsonl(
        root / "item_properties.jsonl",
        [
            {
                "item": f"{prefix}item1",
                "property": f"{prefix}ingredient",
                "value": "测试甘草",
                "value_en": "test licorice",
                **src,
            }
        ],
    )
    write_jsonl(
        root / "satisfies.jsonl",
        [{"property": f"{prefix}ingredient", "value": "test licorice", "poi": f"{prefix}fair", **src}],
    )
    write_jsonl(root / "causes.jsonl", [{"scenario": f"{prefix}late", "problem": f"{prefix}dull", **src}])
    write_jsonl(root / "needs.jsonl", [{"problem": f"{prefix}dull", "poi": f"{prefix}fair", **src}])
    return root
