"""Idempotent, batched graph writes: one parameterised `UNWIND $rows ... MERGE` query per record kind."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from neo4j import Driver

from kg_builder.graph.ontology import (
    ABOUT,
    BRAND,
    CATEGORY,
    CAUSE,
    FAQ,
    HAS_IMAGE,
    HAS_PROBLEM,
    HAS_PROPERTY,
    IMAGE,
    IN_CATEGORY,
    ITEM,
    NEED,
    OF_BRAND,
    OF_PROPERTY,
    POI,
    PROBLEM,
    PROPERTY,
    PROPERTY_VALUE,
    SATISFY,
    SCENARIO,
    USER,
)

BATCH_SIZE = 500

_NAMED_NODE_SET = (
    "SET n.name_zh = row.name_zh, n.name_en = row.name_en, n.aliases_zh = row.aliases_zh, "
    "n.aliases_en = row.aliases_en, n.source = row.source"
)


def _named_node(label: str) -> str:
    """MERGE a node with names in both languages (label from this module only)."""
    return f"""
UNWIND $rows AS row
MERGE (n:{label} {{id: row.id}})
{_NAMED_NODE_SET}"""


def _link(start: str, start_field: str, rel: str, end: str, end_field: str) -> str:
    """MERGE a curated relationship between two existing nodes."""
    return f"""
UNWIND $rows AS row
MATCH (a:{start} {{id: row.{start_field}}})
MATCH (b:{end} {{id: row.{end_field}}})
MERGE (a)-[r:{rel}]->(b)
SET r.source = row.source"""


WRITE_QUERIES: dict[str, str] = {
    "categories": f"""
UNWIND $rows AS row
MERGE (n:{CATEGORY} {{id: row.id}})
{_NAMED_NODE_SET}, n.domain = row.domain""",
    "brands": f"""
UNWIND $rows AS row
MERGE (n:{BRAND} {{id: row.id}})
SET n.name = row.name, n.name_zh = row.name_zh, n.aliases = row.aliases, n.source = row.source""",
    "items": f"""
UNWIND $rows AS row
MERGE (i:{ITEM} {{id: row.id}})
SET i.title = row.title, i.title_zh = row.title_zh, i.title_en = row.title_en, i.lang = row.lang,
    i.price = row.price, i.currency = row.currency, i.source = row.source, i.search_text = row.search_text
WITH i, row
MATCH (c:{CATEGORY} {{id: row.category}})
MERGE (i)-[:{IN_CATEGORY}]->(c)
WITH i, row, c
OPTIONAL MATCH (i)-[old:{IN_CATEGORY}]->(other:{CATEGORY}) WHERE other <> c AND old.predicted IS NULL
DELETE old
WITH i, row
OPTIONAL MATCH (i)-[old_brand:{OF_BRAND}]->(b:{BRAND})
WHERE b.id <> coalesce(row.brand, '') AND old_brand.predicted IS NULL
DELETE old_brand
WITH i, row WHERE row.brand IS NOT NULL
MATCH (b:{BRAND} {{id: row.brand}})
MERGE (i)-[:{OF_BRAND}]->(b)""",
    "item_properties": f"""
UNWIND $rows AS row
MATCH (i:{ITEM} {{id: row.item}})
MATCH (p:{PROPERTY} {{id: row.property}})
MERGE (v:{PROPERTY_VALUE} {{id: row.value_id}})
SET v.property = row.property, v.value = coalesce(v.value, row.value),
    v.name_zh = coalesce(row.value_name_zh, v.name_zh), v.name_en = coalesce(row.value_name_en, v.name_en)
MERGE (v)-[:{OF_PROPERTY}]->(p)
MERGE (i)-[r:{HAS_PROPERTY} {{name: row.property, value_id: row.value_id}}]->(v)
SET r.source = row.source, r.position = row.position""",
    "satisfies": f"""
UNWIND $rows AS row
MATCH (p:{PROPERTY} {{id: row.property}})
MATCH (o:{POI} {{id: row.poi}})
MERGE (v:{PROPERTY_VALUE} {{id: row.value_id}})
ON CREATE SET v.property = row.property, v.value = row.value, v.name_en = row.value_en
MERGE (v)-[:{OF_PROPERTY}]->(p)
MERGE (v)-[r:{SATISFY}]->(o)
SET r.score = coalesce(row.score, 1.0), r.source = row.source""",
    "properties": _named_node(PROPERTY),
    "pois": _named_node(POI),
    "problems": _named_node(PROBLEM),
    "scenarios": _named_node(SCENARIO),
    "causes": _link(SCENARIO, "scenario", CAUSE, PROBLEM, "problem"),
    "needs": _link(PROBLEM, "problem", NEED, POI, "poi"),
    "user_problems": f"""
UNWIND $rows AS row
MATCH (p:{PROBLEM} {{id: row.problem}})
MERGE (u:{USER} {{id: row.user}})
MERGE (u)-[r:{HAS_PROBLEM}]->(p)
SET r.source = row.source""",
    "faqs": f"""
UNWIND $rows AS row
MERGE (f:{FAQ} {{id: row.id}})
SET f.question = row.question, f.answer = row.answer, f.lang = row.lang, f.source = row.source
WITH f, row WHERE row.item IS NOT NULL
MATCH (i:{ITEM} {{id: row.item}})
MERGE (f)-[:{ABOUT}]->(i)""",
}

SUBJECT_LABELS = {
    "items": ITEM,
    "pois": POI,
    "problems": PROBLEM,
    "scenarios": SCENARIO,
    "property_values": PROPERTY_VALUE,
    "categories": CATEGORY,
}

# One image query per subject label (labels cannot be parameters; these come from this module only).
IMAGE_QUERIES: dict[str, str] = {
    kind: f"""
UNWIND $rows AS row
MERGE (img:{IMAGE} {{id: row.id}})
SET img.path = row.path, img.caption = row.caption, img.source = row.source
WITH img, row
MATCH (s:{label} {{id: row.subject}})
MERGE (s)-[r:{HAS_IMAGE}]->(img)
SET r.score = 1.0, r.model = 'curated', r.source = row.source"""
    for kind, label in SUBJECT_LABELS.items()
}


def batches(rows: Sequence[dict[str, Any]], size: int = BATCH_SIZE) -> Iterable[list[dict[str, Any]]]:
    """Consecutive slices of at most `size` rows."""
    for start in range(0, len(rows), size):
        yield list(rows[start : start + size])


def _params(row: dict[str, Any]) -> dict[str, Any]:
    """The row as query parameters, internal keys dropped; an empty list as null, i.e. no property (as the bulk
    path stores it, since neo4j-admin cannot: readers coalesce a missing alias list to [])."""
    return {key: None if value == [] else value for key, value in row.items() if not key.startswith("_")}


def _grouped(kind: str, rows: Sequence[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """(query, rows) pairs: one pair for most kinds, one per subject label for images."""
    if kind != "images":
        return [(WRITE_QUERIES[kind], list(rows))]
    return [
        (query, [row for row in rows if row["subject_kind"] == subject_kind])
        for subject_kind, query in IMAGE_QUERIES.items()
    ]


def write_kind(
    driver: Driver,
    kind: str,
    rows: Sequence[dict[str, Any]],
    database: str = "neo4j",
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Write all rows of one kind in batches; return how many rows were sent."""
    for query, group in _grouped(kind, rows):
        for batch in batches(group):
            driver.execute_query(query, rows=[_params(row) for row in batch], database_=database)
            if on_batch:
                on_batch(len(batch))
    return len(rows)
