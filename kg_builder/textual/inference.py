"""Inference rules that complete the graph: item -HAS_POI-> POI from HAS_PROPERTY and SATISFY."""

from __future__ import annotations

from neo4j import Driver

from kg_builder.graph.rules import INFER_HAS_POI, REMOVE_STALE_HAS_POI, RULE_SOURCE


def infer_item_pois(driver: Driver, database: str = "neo4j") -> tuple[int, int]:
    """Link each item to every POI one of its values satisfies; drop inferred links whose reason is gone.

    Returns (links now inferred, stale links removed)."""
    with driver.session(database=database) as session:  # CALL ... IN TRANSACTIONS needs an implicit transaction
        removed = session.run(REMOVE_STALE_HAS_POI).single(strict=True)["removed"]
        links = session.run(INFER_HAS_POI, source=RULE_SOURCE).single(strict=True)["links"]
    return links, removed
