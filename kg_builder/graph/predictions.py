"""Writing predicted nodes and links (mined POIs, extracted SATISFY, NER profiles): each run replaces the last.

Predicted links carry `source` (the model) and `score`, and `predicted: true`, so every query can tell them
from curated and imported ones; a curated link with the same ends is never overwritten.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from neo4j import Driver

from kg_builder.graph.ontology import BRAND, CATEGORY, IN_CATEGORY, ITEM, OF_BRAND, POI, PROPERTY_VALUE, SATISFY
from kg_builder.graph.writer import batches

MINED_POI_SOURCE = "poi_mining"
SATISFY_SOURCE = "relation_model"
NER_SOURCE = "ner"

WRITE_MINED_POIS = f"""
UNWIND $rows AS row
MERGE (o:{POI} {{id: row.id}})
ON CREATE SET o.source = $source
WITH o, row WHERE o.source = $source
SET o.name_zh = row.name_zh, o.name_en = row.name_en, o.score = row.score, o.predicted = true,
    o.evidence = row.evidence, o.run = $run"""

REMOVE_OLD_MINED_POIS = f"""
MATCH (o:{POI} {{source: $source}}) WHERE o.run <> $run
DETACH DELETE o
RETURN count(*) AS removed"""

WRITE_SATISFY = f"""
UNWIND $rows AS row
MATCH (v:{PROPERTY_VALUE} {{id: row.value_id}})
MATCH (o:{POI} {{id: row.poi_id}})
MERGE (v)-[r:{SATISFY}]->(o)
ON CREATE SET r.source = $source
WITH r, row WHERE r.source = $source
SET r.score = row.score, r.predicted = true, r.context = row.context, r.run = $run"""

REMOVE_OLD_SATISFY = f"""
MATCH (:{PROPERTY_VALUE})-[r:{SATISFY} {{source: $source}}]->(:{POI}) WHERE r.run <> $run
DELETE r
RETURN count(*) AS removed"""

WRITE_ITEM_PROFILES = f"""
UNWIND $rows AS row
MATCH (i:{ITEM} {{id: row.item}})
SET i.semantic_types = row.types, i.ner_entities = row.entities
WITH i, row WHERE row.brand IS NOT NULL AND NOT EXISTS {{ (i)-[:{OF_BRAND}]->() }}
MERGE (b:{BRAND} {{id: row.brand_id}})
ON CREATE SET b.name = row.brand, b.source = $source, b.predicted = true
MERGE (i)-[r:{OF_BRAND}]->(b)
SET r.source = $source, r.score = row.brand_score, r.predicted = true"""

WRITE_NER_CATEGORIES = f"""
UNWIND $rows AS row
MATCH (i:{ITEM} {{id: row.item}})
MATCH (c:{CATEGORY} {{id: row.category}})
MERGE (i)-[r:{IN_CATEGORY}]->(c)
ON CREATE SET r.source = $source, r.score = row.score, r.predicted = true"""


def replace_predictions(
    driver: Driver,
    write: str | Mapping[str, str],
    remove: str,
    rows: Sequence[dict[str, Any]],
    source: str,
    database: str = "neo4j",
    **parameters: Any,
) -> tuple[int, int]:
    """Write this run's predictions, then delete the ones of earlier runs; returns (written, removed).

    `write` is one query, or one query per node label with rows going by their `label` (labels cannot be
    query parameters); `parameters` go to the remove query."""
    run = _run_key(rows)
    queries = {None: write} if isinstance(write, str) else write
    for label, query in queries.items():
        group = [row for row in rows if label is None or row["label"] == label]
        for batch in batches(group):
            driver.execute_query(query, rows=batch, source=source, run=run, database_=database)
    removed = driver.execute_query(remove, source=source, run=run, database_=database, **parameters)
    return len(rows), removed.records[0]["removed"]


def write_rows(driver: Driver, query: str, rows: Sequence[dict[str, Any]], source: str, database: str = "neo4j") -> int:
    for batch in batches(rows):
        driver.execute_query(query, rows=batch, source=source, database_=database)
    return len(rows)


def _run_key(rows: Sequence[dict[str, Any]]) -> str:
    """Equal predictions give an equal key, so a re-run with the same model changes nothing."""
    return hashlib.sha256(json.dumps(list(rows), sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]
