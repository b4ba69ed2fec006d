"""The destructive tests write only to the project's test Neo4j: any other database is refused by its id."""

from __future__ import annotations

from pathlib import Path

import pytest
from neo4j import Driver

import tests.conftest as shared
from actions.graph_store import GraphUnavailable, Neo4jGraphStore
from kg_builder.config import Neo4jSettings, connect
from kg_builder.graph.stats import database_id


def test_the_tests_run_on_the_instance_the_start_script_recorded(driver: Driver, settings: Neo4jSettings) -> None:
    assert settings.uri.startswith("bolt://127.0.0.1:") and not settings.uri.endswith(":7687")
    assert database_id(driver) == (shared.TEST_INSTANCE / "database-id").read_text(encoding="utf-8").strip()


def test_a_database_with_another_id_is_refused(
    driver: Driver, settings: Neo4jSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "database-id").write_text("SOMEONE-ELSES-DATABASE\n", encoding="utf-8")
    monkeypatch.setattr(shared, "TEST_INSTANCE", tmp_path)
    with pytest.raises(pytest.fail.Exception, match="refusing to run destructive tests against bolt://127.0.0.1"):
        shared.refuse_unless_test_instance(driver, settings)


def test_the_demo_graph_that_neo4j_uri_names_is_refused() -> None:
    """NEO4J_URI (the assistant's graph, or a user's) is never the test instance."""
    try:
        demo = connect(Neo4jSettings.from_env())
    except Exception as error:  # noqa: BLE001 - without the demo graph there is nothing to refuse
        pytest.skip(f"the graph NEO4J_URI names is not reachable: {error}")
    try:
        with pytest.raises(pytest.fail.Exception, match="is not the project's test instance"):
            shared.refuse_unless_test_instance(demo, Neo4jSettings.from_env())
    finally:
        demo.close()


def test_the_assistants_store_reads_in_read_transactions(driver: Driver, clean_test_nodes: None) -> None:
    """So a `neo4j://` routing URI sends them to any cluster member; a write through the store is refused."""
    store = Neo4jGraphStore(driver)
    with pytest.raises(GraphUnavailable, match="read access mode|AccessMode"):
        store._run("CREATE (:Item {id: $id})", id=f"{shared.TEST_PREFIX}written-by-a-read")
    assert store._run("MATCH (n {id: $id}) RETURN n", id=f"{shared.TEST_PREFIX}written-by-a-read") == []
