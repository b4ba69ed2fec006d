"""The item vectors of semantic search (paper section 3, item retrieval): each item's text (title, category, brand,
key values) embedded by the pretrained encoder, stored on Item.embedding under the cosine vector index ITEM_INDEX
(the assistant's queries of it are in actions/graph_store.py)."""

from __future__ import annotations

from kg_builder.graph.ontology import BRAND, CATEGORY, HAS_PROPERTY, IN_CATEGORY, ITEM, OF_BRAND
from kg_builder.graph.ontology import PROPERTY_VALUE as VALUE

KEY_VALUES = 6  # the first values of an item (in catalog order) that go into its text

ITEM_TEXTS = f"""
MATCH (i:{ITEM})
RETURN i.id AS id, i.title AS title,
       [(i)-[:{IN_CATEGORY}]->(c:{CATEGORY}) | c.name_zh + ' / ' + c.name_en] AS categories,
       [(i)-[:{OF_BRAND}]->(b:{BRAND}) | coalesce(b.name_zh, b.name)] AS brands,
       [(i)-[r:{HAS_PROPERTY}]->(v:{VALUE}) | [r.position, coalesce(v.name_zh, v.value), v.name_en]] AS values
ORDER BY id"""

WRITE_ITEM_EMBEDDINGS = f"""
UNWIND $rows AS row
MATCH (i:{ITEM} {{id: row.id}})
SET i.embedding = row.embedding, i.embedding_text = row.text, i.embedding_model = $model"""


def item_text(row: dict) -> str:
    """What an item's vector says: its title, category names, brand and first key values."""
    values = sorted(row["values"], key=lambda value: value[0] if value[0] is not None else 1_000_000)
    names = [" / ".join(dict.fromkeys(name for name in value[1:] if name)) for value in values[:KEY_VALUES]]
    parts = [row["title"] or "", *row["categories"], *row["brands"], *names]
    return " | ".join(part for part in parts if part)
