"""KG completion of user preference: User -HAS_PROBLEM-> Problem -NEED-> POI  ⇒  User -PREFERS {score}-> POI."""

from __future__ import annotations

from neo4j import Driver

PREFERS_SOURCE = "completion:has_problem+need"

# score = share of the user's problems that need the POI (1.0 when every problem needs it)
COMPLETE_PREFERS = """
MATCH (u:User)-[:HAS_PROBLEM]->(q:Problem)
WITH u, count(q) AS problems
MATCH (u)-[:HAS_PROBLEM]->(:Problem)-[:NEED]->(o:POI)
WITH u, o, count(*) AS needing, problems
MERGE (u)-[r:PREFERS]->(o)
SET r.score = toFloat(needing) / problems, r.source = $source, r.predicted = true
RETURN count(r) AS links"""

REMOVE_STALE_PREFERS = """
MATCH (u:User)-[r:PREFERS {source: $source}]->(o:POI)
WHERE NOT EXISTS { (u)-[:HAS_PROBLEM]->(:Problem)-[:NEED]->(o) }
DELETE r
RETURN count(*) AS removed"""


def complete_preferences(driver: Driver, database: str = "neo4j") -> tuple[int, int]:
    """Predict each user's preferred POIs from their problems; returns (links now predicted, stale removed)."""
    removed = driver.execute_query(REMOVE_STALE_PREFERS, source=PREFERS_SOURCE, database_=database).records[0][
        "removed"
    ]
    links = driver.execute_query(COMPLETE_PREFERS, source=PREFERS_SOURCE, database_=database).records[0]["links"]
    return links, removed
