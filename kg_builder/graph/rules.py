"""The rule queries that complete the graph (run by kg_builder.textual.inference and .completion).

- inference: Item -HAS_PROPERTY-> PropertyValue -SATISFY-> POI  ⇒  Item -HAS_POI-> POI;
- completion: User -HAS_PROBLEM-> Problem -NEED-> POI  ⇒  User -PREFERS {score}-> POI.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kg_builder.graph.ontology import (
    HAS_POI,
    HAS_PROBLEM,
    HAS_PROPERTY,
    ITEM,
    NEED,
    POI,
    PREFERS,
    PROBLEM,
    PROPERTY_VALUE,
    SATISFY,
    USER,
)

RULE_SOURCE = "rule:has_property+satisfy"  # the `source` of every inferred HAS_POI

# Batched in transactions of items, so that a graph of 300k items does not need one huge transaction.
INFER_HAS_POI = f"""
MATCH (i:{ITEM})
CALL (i) {{
  MATCH (i)-[:{HAS_PROPERTY}]->(:{PROPERTY_VALUE})-[s:{SATISFY}]->(p:{POI})
  WITH i, p, max(coalesce(s.score, 1.0)) AS score,
       all(x IN collect(s) WHERE coalesce(x.predicted, false)) AS only_predicted
  MERGE (i)-[h:{HAS_POI}]->(p)
  SET h.inferred = true, h.score = score, h.source = $source, h.predicted = only_predicted
  RETURN count(h) AS links
}} IN TRANSACTIONS OF 2000 ROWS
RETURN sum(links) AS links"""


def has_poi_links(
    has_property: Iterable[tuple[str, str]], satisfy: Mapping[tuple[str, str], Mapping[str, Any]]
) -> dict[tuple[str, str], dict[str, Any]]:
    """INFER_HAS_POI over a graph held in memory (the bulk path imports its result instead of running the query).

    `has_property`: (item, value) pairs; `satisfy`: (value, POI) -> properties with `score` (and `predicted` when a
    model predicted the link). Returns (item, POI) -> the properties the query sets. tests/integration/
    test_bulk_import.py checks that both give the same graph."""
    by_value: dict[str, list[tuple[str, float, bool]]] = {}
    for (value, poi), link in satisfy.items():
        score = 1.0 if link.get("score") is None else float(link["score"])
        by_value.setdefault(value, []).append((poi, score, bool(link.get("predicted"))))
    best: dict[tuple[str, str], tuple[float, bool]] = {}  # (item, POI) -> (max score, only predicted links so far)
    for item, value in has_property:
        for poi, score, predicted in by_value.get(value, ()):
            seen = best.get((item, poi))
            best[(item, poi)] = (score, predicted) if seen is None else (max(seen[0], score), seen[1] and predicted)
    properties = {  # one dict per distinct (score, predicted): a million links share a few
        value: {"inferred": True, "score": value[0], "source": RULE_SOURCE, "predicted": value[1]}
        for value in set(best.values())
    }
    return {key: properties[value] for key, value in best.items()}


REMOVE_STALE_HAS_POI = f"""
MATCH (i:{ITEM})
CALL (i) {{
  MATCH (i)-[h:{HAS_POI} {{inferred: true}}]->(p:{POI})
  WHERE NOT EXISTS {{ (i)-[:{HAS_PROPERTY}]->(:{PROPERTY_VALUE})-[:{SATISFY}]->(p) }}
  DELETE h
  RETURN count(*) AS removed
}} IN TRANSACTIONS OF 2000 ROWS
RETURN sum(removed) AS removed"""

# score = share of the user's problems that need the POI (1.0 when every problem needs it)
COMPLETE_PREFERS = f"""
MATCH (u:{USER})-[:{HAS_PROBLEM}]->(q:{PROBLEM})
WITH u, count(q) AS problems
MATCH (u)-[:{HAS_PROBLEM}]->(:{PROBLEM})-[:{NEED}]->(o:{POI})
WITH u, o, count(*) AS needing, problems
MERGE (u)-[r:{PREFERS}]->(o)
SET r.score = toFloat(needing) / problems, r.source = $source, r.predicted = true
RETURN count(r) AS links"""

REMOVE_STALE_PREFERS = f"""
MATCH (u:{USER})-[r:{PREFERS} {{source: $source}}]->(o:{POI})
WHERE NOT EXISTS {{ (u)-[:{HAS_PROBLEM}]->(:{PROBLEM})-[:{NEED}]->(o) }}
DELETE r
RETURN count(*) AS removed"""
