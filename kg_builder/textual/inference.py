"""Inference rules that complete the graph: item -HAS_POI-> POI from HAS_PROPERTY and SATISFY."""

from __future__ import annotations

from neo4j import Driver

RULE_SOURCE = "rule:has_property+satisfy"

# Batched in transactions of items, so that a graph of 300k items does not need one huge transaction.
INFER_HAS_POI = """
MATCH (i:Item)
CALL (i) {
  MATCH (i)-[:HAS_PROPERTY]->(:PropertyValue)-[s:SATISFY]->(p:POI)
  WITH i, p, max(coalesce(s.score, 1.0)) AS score,
       all(x IN collect(s) WHERE coalesce(x.predicted, false)) AS only_predicted
  MERGE (i)-[h:HAS_POI]->(p)
  SET h.inferred = true, h.score = score, h.source = $source, h.predicted = only_predicted
  RETURN count(h) AS links
} IN TRANSACTIONS OF 2000 ROWS
RETURN sum(links) AS links"""

REMOVE_STALE_HAS_POI = """
MATCH (i:Item)
CALL (i) {
  MATCH (i)-[h:HAS_POI {inferred: true}]->(p:POI)
  WHERE NOT EXISTS { (i)-[:HAS_PROPERTY]->(:PropertyValue)-[:SATISFY]->(p) }
  DELETE h
  RETURN count(*) AS removed
} IN TRANSACTIONS OF 2000 ROWS
RETURN sum(removed) AS removed"""


def infer_item_pois(driver: Driver, database: str = "neo4j") -> tuple[int, int]:
    """Link each item to every POI one of its values satisfies; drop inferred links whose reason is gone.

    Returns (links now inferred, stale links removed)."""
    with driver.session(database=database) as session:  # CALL ... IN TRANSACTIONS needs an implicit transaction
        removed = session.run(REMOVE_STALE_HAS_POI).single(strict=True)["removed"]
        links = session.run(INFER_HAS_POI, source=RULE_SOURCE).single(strict=True)["links"]
    return links, removed
