"""Inference rules that complete the graph: item -HAS_POI-> POI from HAS_PROPERTY and SATISFY."""

from __future__ import annotations

from neo4j import Driver

RULE_SOURCE = "rule:has_property+satisfy"

INFER_HAS_POI = """
MATCH (i:Item)-[:HAS_PROPERTY]->(:PropertyValue)-[s:SATISFY]->(p:POI)
WITH i, p, max(coalesce(s.score, 1.0)) AS score,
     all(x IN collect(s) WHERE coalesce(x.predicted, false)) AS only_predicted
MERGE (i)-[h:HAS_POI]->(p)
SET h.inferred = true, h.score = score, h.source = $source, h.predicted = only_predicted
RETURN count(h) AS links"""

REMOVE_STALE_HAS_POI = """
MATCH (i:Item)-[h:HAS_POI {inferred: true}]->(p:POI)
WHERE NOT EXISTS { (i)-[:HAS_PROPERTY]->(:PropertyValue)-[:SATISFY]->(p) }
DELETE h
RETURN count(*) AS removed"""


def infer_item_pois(driver: Driver, database: str = "neo4j") -> tuple[int, int]:
    """Link each item to every POI one of its values satisfies; drop inferred links whose reason is gone.

    Returns (links now inferred, stale links removed)."""
    removed = driver.execute_query(REMOVE_STALE_HAS_POI, database_=database).records[0]["removed"]
    links = driver.execute_query(INFER_HAS_POI, source=RULE_SOURCE, database_=database).records[0]["links"]
    return links, removed
