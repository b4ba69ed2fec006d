"""KG completion of user preference: User -HAS_PROBLEM-> Problem -NEED-> POI  ⇒  User -PREFERS {score}-> POI."""

from __future__ import annotations

from neo4j import Driver

from kg_builder.graph.rules import COMPLETE_PREFERS, REMOVE_STALE_PREFERS

PREFERS_SOURCE = "completion:has_problem+need"


def complete_preferences(driver: Driver, database: str = "neo4j") -> tuple[int, int]:
    """Predict each user's preferred POIs from their problems; returns (links now predicted, stale removed)."""
    removed = driver.execute_query(REMOVE_STALE_PREFERS, source=PREFERS_SOURCE, database_=database).records[0][
        "removed"
    ]
    links = driver.execute_query(COMPLETE_PREFERS, source=PREFERS_SOURCE, database_=database).records[0]["links"]
    return links, removed
