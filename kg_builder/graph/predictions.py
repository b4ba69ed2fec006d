"""Writing predicted nodes and links (mined POIs, extracted SATISFY, NER profiles): each run replaces the last.

Predicted links carry `source` (the model) and `score`, and `predicted: true`, so every query can tell them
from curated and imported ones; a curated link with the same ends is never overwritten.

The precision gate: a mined POI or a SATISFY link is written as a POI / SATISFY only when its model passes the gate
(kg_builder.textual.encoder_heads.GatedClassifier); the rest are written as POICandidate nodes and
SATISFY_CANDIDATE links, which no shopper-facing query and no inference rule reads. A curator's decisions
(kg_builder.review) turn candidates into curated facts (source `review`) or delete them for good.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from neo4j import Driver

from kg_builder.graph.ontology import (
    BRAND,
    CATEGORY,
    IN_CATEGORY,
    ITEM,
    OF_BRAND,
    POI,
    POI_CANDIDATE,
    PROPERTY_VALUE,
    SATISFY,
    SATISFY_CANDIDATE,
)
from kg_builder.graph.writer import batches

MINED_POI_SOURCE = "poi_mining"
SATISFY_SOURCE = "relation_model"
NER_SOURCE = "ner"

REVIEW_SOURCE = "review"  # facts a curator accepted: curated from then on (predicted: false)


def _write_mined_pois(label: str) -> str:
    return f"""
UNWIND $rows AS row
MERGE (o:{label} {{id: row.id}})
ON CREATE SET o.source = $source
WITH o, row WHERE o.source = $source
SET o.name_zh = row.name_zh, o.name_en = row.name_en, o.score = row.score, o.predicted = row.predicted,
    o.evidence = row.evidence, o.run = $run"""


WRITE_MINED_POIS = {label: _write_mined_pois(label) for label in (POI, POI_CANDIDATE)}

REMOVE_OLD_MINED_POIS = f"""
MATCH (o:{POI}|{POI_CANDIDATE} {{source: $source}}) WHERE o.run <> $run
DETACH DELETE o
RETURN count(*) AS removed"""


def _write_satisfy(relationship: str) -> str:
    return f"""
UNWIND $rows AS row
MATCH (v:{PROPERTY_VALUE} {{id: row.value_id}})
MATCH (o:{POI} {{id: row.poi_id}})
MERGE (v)-[r:{relationship}]->(o)
ON CREATE SET r.source = $source
WITH r, row WHERE r.source = $source
SET r.score = row.score, r.predicted = row.predicted, r.context = row.context, r.run = $run"""


WRITE_SATISFY = {relationship: _write_satisfy(relationship) for relationship in (SATISFY, SATISFY_CANDIDATE)}

REMOVE_OLD_SATISFY = f"""
MATCH (:{PROPERTY_VALUE})-[r {{source: $source}}]->(:{POI})
WHERE type(r) IN ['{SATISFY}', '{SATISFY_CANDIDATE}'] AND r.run <> $run
DELETE r
RETURN count(*) AS removed"""

# The category check (kg_builder.catalog.category_check): every earlier flag goes, then this run's are written.
CLEAR_CATEGORY_CHECK = f"""
MATCH (i:{ITEM}) WHERE i.category_doubt IS NOT NULL
REMOVE i.category_doubt, i.category_score, i.category_review"""

WRITE_CATEGORY_CHECK = f"""
UNWIND $rows AS row
MATCH (i:{ITEM} {{id: row.item}})
SET i.category_score = row.score, i.category_doubt = row.doubt, i.category_review = row.review"""

# --- review (python -m kg_builder review): the candidates, and a curator's decision applied at once ---

LIST_POI_CANDIDATES = f"""
MATCH (o) WHERE (o:{POI_CANDIDATE} OR (o:{POI} AND $shown AND coalesce(o.predicted, false)))
RETURN o.id AS subject, '-' AS object, coalesce(o.name_zh, o.name_en) AS text, o.score AS score,
       o:{POI} AS shown, o.evidence[0] AS evidence
ORDER BY score DESC, subject LIMIT $limit"""

LIST_SATISFY_CANDIDATES = f"""
MATCH (v:{PROPERTY_VALUE})-[r]->(o:{POI})
WHERE type(r) = '{SATISFY_CANDIDATE}' OR (type(r) = '{SATISFY}' AND $shown AND coalesce(r.predicted, false))
RETURN v.id AS subject, o.id AS object,
       coalesce(v.name_zh, v.value, v.id) + ' -> ' + coalesce(o.name_zh, o.name_en) AS text,
       r.score AS score, type(r) = '{SATISFY}' AS shown, r.context AS evidence
ORDER BY score DESC, subject, object LIMIT $limit"""

LIST_CATEGORY_CANDIDATES = f"""
MATCH (i:{ITEM})-[:{IN_CATEGORY}]->(c:{CATEGORY})
WHERE i.category_doubt AND i.category_review IS NULL OR ($shown AND i.category_doubt = false)
RETURN i.id AS subject, c.id AS object, c.name_zh + ' <- ' + i.title AS text, i.category_score AS score,
       NOT i.category_doubt AS shown, i.source AS evidence
ORDER BY score, subject LIMIT $limit"""

ACCEPT_CATEGORY = f"""
MATCH (i:{ITEM} {{id: $subject}})-[:{IN_CATEGORY}]->(:{CATEGORY} {{id: $object}}) WHERE i.category_doubt IS NOT NULL
SET i.category_doubt = false, i.category_review = 'accept'
RETURN count(i) AS changed"""

REJECT_CATEGORY = f"""
MATCH (i:{ITEM} {{id: $subject}})-[:{IN_CATEGORY}]->(:{CATEGORY} {{id: $object}}) WHERE i.category_doubt IS NOT NULL
SET i.category_doubt = true, i.category_review = 'reject'
RETURN count(i) AS changed"""

ACCEPT_POI = f"""
MATCH (o {{id: $subject}}) WHERE o:{POI_CANDIDATE} OR (o:{POI} AND coalesce(o.predicted, false))
REMOVE o:{POI_CANDIDATE}
SET o:{POI}, o.source = '{REVIEW_SOURCE}', o.predicted = false
RETURN count(o) AS changed"""

REJECT_POI = f"""
MATCH (o {{id: $subject}}) WHERE o:{POI_CANDIDATE} OR (o:{POI} AND coalesce(o.predicted, false))
DETACH DELETE o
RETURN count(*) AS changed"""

ACCEPT_SATISFY = f"""
MATCH (v:{PROPERTY_VALUE} {{id: $subject}})-[c]->(o:{POI} {{id: $object}})
WHERE type(c) = '{SATISFY_CANDIDATE}' OR (type(c) = '{SATISFY}' AND coalesce(c.predicted, false))
MERGE (v)-[r:{SATISFY}]->(o)
SET r.source = '{REVIEW_SOURCE}', r.predicted = false, r.score = c.score, r.context = c.context
FOREACH (_ IN CASE WHEN c <> r THEN [1] ELSE [] END | DELETE c)
RETURN count(*) AS changed"""

REJECT_SATISFY = f"""
MATCH (:{PROPERTY_VALUE} {{id: $subject}})-[c]->(:{POI} {{id: $object}})
WHERE type(c) = '{SATISFY_CANDIDATE}' OR (type(c) = '{SATISFY}' AND coalesce(c.predicted, false))
DELETE c
RETURN count(*) AS changed"""

WRITE_ITEM_PROFILES = f"""
UNWIND $rows AS row
MATCH (i:{ITEM} {{id: row.item}})
SET i.semantic_types = row.types, i.ner_entities = row.entities
WITH i, row WHERE row.brand IS NOT NULL AND NOT EXISTS {{ (i)-[:{OF_BRAND}]->() }}
MERGE (b:{BRAND} {{id: row.brand_id}})
ON CREATE SET b.name = row.brand, b.source = $source, b.predicted = true
MERGE (i)-[r:{OF_BRAND}]->(b)
SET r.source = $source, r.score = row.brand_score, r.predicted = true"""

# Before NER links are written again: those of earlier builds go, with the brands only NER had found.
REMOVE_NER_LINKS = f"""
MATCH (:{ITEM})-[r {{source: $source}}]->() WHERE type(r) IN ['{OF_BRAND}', '{IN_CATEGORY}']
DELETE r
WITH count(*) AS removed
OPTIONAL MATCH (b:{BRAND} {{source: $source}}) WHERE NOT EXISTS {{ (b)<-[:{OF_BRAND}]-() }}
DETACH DELETE b
RETURN removed"""

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
    group_by: str = "label",
    **parameters: Any,
) -> tuple[int, int]:
    """Write this run's predictions, then delete the ones of earlier runs; returns (written, removed).

    `write` is one query, or one query per node label (or other `group_by` field) with rows going by that field
    (labels and types cannot be query parameters); `parameters` go to the remove query."""
    run = _run_key(rows)
    queries = {None: write} if isinstance(write, str) else write
    for label, query in queries.items():
        group = [row for row in rows if label is None or row[group_by] == label]
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
