"""Read-only access to the MKG for the assistant: the `GraphStore` protocol and its Neo4j implementation, named
Cypher queries (parameters only, labels and relationship types from kg_builder.graph.ontology) and typed results.
Items whose category the build's check doubts (`category_doubt`) are never listed or recommended. The image queries
(IMAGE_MODEL, RANK_ENTITY_IMAGES, SEARCH_IMAGES) are kg_builder/graph/images.py's, shared with the builder's
ImageSearch.

actions/memory_store.py implements the same protocol in plain Python from the catalog files, for tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from neo4j import Driver
from neo4j.exceptions import DriverError, Neo4jError

from kg_builder.config import Neo4jSettings, connect
from kg_builder.crossmodal.image_search import RankedImage
from kg_builder.graph.images import IMAGE_MODEL, RANK_ENTITY_IMAGES, SEARCH_IMAGES, SHOW_VECTOR_INDEX
from kg_builder.graph.ontology import (
    BRAND,
    CATEGORY,
    CAUSE,
    FAQ,
    HAS_IMAGE,
    HAS_POI,
    HAS_PROPERTY,
    IMAGE,
    IMAGE_INDEX,
    IN_CATEGORY,
    ITEM,
    ITEM_INDEX,
    ITEM_SEARCH_INDEX,
    NEED,
    OF_BRAND,
    OF_PROPERTY,
    POI,
    PROBLEM,
    PROPERTY,
    PROPERTY_VALUE,
    SATISFY,
    SCENARIO,
)

ENTITY_NAMES = f"""
MATCH (n) WHERE n:{CATEGORY} OR n:{PROPERTY} OR n:{BRAND}
   OR ((n:{SCENARIO} OR n:{PROBLEM} OR n:{POI}) AND NOT coalesce(n.predicted, false))
RETURN labels(n)[0] AS label, n.id AS id,
       [x IN [n.name, n.name_zh, n.name_en] + coalesce(n.aliases, []) + coalesce(n.aliases_zh, [])
             + coalesce(n.aliases_en, []) WHERE x IS NOT NULL] AS names"""

# Items of a brand (and maybe a category), else of a category, else all: each starts from the node it names, so
# the cost grows with the brand's or the category's items, not with the catalog (a scan of every item before).
_IN_CATEGORY = f"($category IS NULL OR EXISTS {{ (i)-[:{IN_CATEGORY}]->(:{CATEGORY} {{id: $category}}) }})"
ITEMS_BY_FILTER = {
    "brand": f"""
MATCH (:{BRAND} {{id: $brand}})<-[:{OF_BRAND}]-(i:{ITEM})
WHERE NOT coalesce(i.category_doubt, false) AND {_IN_CATEGORY}
RETURN i.id AS id ORDER BY i.id LIMIT $limit""",
    "category": f"""
MATCH (:{CATEGORY} {{id: $category}})<-[:{IN_CATEGORY}]-(i:{ITEM})
WHERE NOT coalesce(i.category_doubt, false)
RETURN i.id AS id ORDER BY i.id LIMIT $limit""",
    "none": f"""
MATCH (i:{ITEM}) WHERE NOT coalesce(i.category_doubt, false)
RETURN i.id AS id ORDER BY i.id LIMIT $limit""",
}

ITEMS_BY_TEXT = f"""
CALL db.index.fulltext.queryNodes('{ITEM_SEARCH_INDEX}', $query, {{limit: $limit}}) YIELD node, score
WHERE NOT coalesce(node.category_doubt, false)
RETURN node.id AS id, score"""

# Semantic search: the items nearest a query's vector (the vector index the build fills, ITEM_INDEX), and the
# similarity of given items to it.
ITEMS_BY_VECTOR = f"""
CALL db.index.vector.queryNodes('{ITEM_INDEX}', $limit, $query) YIELD node, score
WHERE NOT coalesce(node.category_doubt, false)
RETURN node.id AS id, score"""

ITEM_VECTOR_SIMILARITIES = f"""
UNWIND $ids AS item_id
MATCH (i:{ITEM} {{id: item_id}}) WHERE i.embedding IS NOT NULL
RETURN i.id AS id, vector.similarity.cosine(i.embedding, $query) AS score"""

HAS_ITEM_INDEX = "SHOW VECTOR INDEXES YIELD name WHERE name = $name RETURN count(*) > 0 AS found"

# What an item is, by semantic type, for the enhanced similarity of retrieval: NER mentions of its title
# ("BRAND:名果记", "CATEGORY:面膜贴"), its category and brand names, its property values.
ITEM_PROFILES = f"""
UNWIND $ids AS item_id
MATCH (i:{ITEM} {{id: item_id}})
RETURN i.id AS id, i.title AS title, coalesce(i.ner_entities, []) AS ner_entities,
       [(i)-[:{IN_CATEGORY}]->(c:{CATEGORY}) | [c.name_zh, c.name_en] + coalesce(c.aliases_zh, [])
          + coalesce(c.aliases_en, [])] AS categories,
       [(i)-[:{OF_BRAND}]->(b:{BRAND}) | [b.name, b.name_zh] + coalesce(b.aliases, [])] AS brands,
       [(i)-[:{HAS_PROPERTY}]->(v:{PROPERTY_VALUE}) | [v.value, v.name_zh, v.name_en]] AS values,
       [(i)-[:{OF_BRAND}]->(b:{BRAND}) | b.id][0] AS brand_id, i.price AS price, i.currency AS currency"""

# Every name of every property value: what a shopper may ask the items to be ("red", "XL", "草莓")
VALUE_NAMES = f"""
MATCH (v:{PROPERTY_VALUE})
UNWIND [v.value, v.name_zh, v.name_en] AS name
WITH DISTINCT name WHERE name IS NOT NULL
RETURN name ORDER BY name"""

ITEM_SUMMARIES = f"""
UNWIND $ids AS item_id
MATCH (i:{ITEM} {{id: item_id}})
OPTIONAL MATCH (i)-[:{IN_CATEGORY}]->(c:{CATEGORY})
OPTIONAL MATCH (i)-[:{OF_BRAND}]->(b:{BRAND})
RETURN i.id AS id, i.title AS title, i.lang AS lang, i.price AS price, c.id AS category,
       c.name_zh AS category_zh, c.name_en AS category_en, b.name AS brand, b.name_zh AS brand_zh,
       COLLECT {{ MATCH (i)-[h:{HAS_IMAGE}]->(img:{IMAGE}) RETURN img.path ORDER BY coalesce(h.score, 1.0) DESC }}[0]
         AS image,
       i.currency AS currency, i.title_zh AS title_zh, i.title_en AS title_en"""

ITEM_CARD = f"""
MATCH (i:{ITEM} {{id: $id}})
OPTIONAL MATCH (i)-[:{IN_CATEGORY}]->(c:{CATEGORY})
OPTIONAL MATCH (i)-[:{OF_BRAND}]->(b:{BRAND})
RETURN i.id AS id, i.title AS title, i.title_zh AS title_zh, i.title_en AS title_en, i.lang AS lang,
       i.price AS price, i.currency AS currency, i.source AS source,
       c.id AS category, c.name_zh AS category_zh, c.name_en AS category_en,
       b.name AS brand, b.name_zh AS brand_zh,
       [(i)-[r:{HAS_PROPERTY}]->(v:{PROPERTY_VALUE})-[:{OF_PROPERTY}]->(p:{PROPERTY}) |
          {{position: r.position, property: p.id, name_zh: p.name_zh, name_en: p.name_en,
           value: v.value, value_zh: v.name_zh, value_en: v.name_en}}] AS properties,
       [(i)-[h:{HAS_POI}]->(o:{POI}) | {{id: o.id, name_zh: o.name_zh, name_en: o.name_en,
           inferred: coalesce(h.inferred, false), predicted: coalesce(h.predicted, false),
           source: h.source, score: h.score}}] AS pois,
       [(i)-[:{HAS_IMAGE}]->(img:{IMAGE}) | {{id: img.id, path: img.path, caption: img.caption}}] AS images,
       COLLECT {{ MATCH (i)-[:{HAS_POI}]->(:{POI})<-[:{NEED}]-(:{PROBLEM})<-[:{CAUSE}]-(s:{SCENARIO})
                 RETURN DISTINCT {{name_zh: s.name_zh, name_en: s.name_en}} AS scenario LIMIT 3 }} AS scenarios"""

# A value node is shared by every item that has it ("size: S"): of its images, only those cut from this item's
# own pages or photos, or tied to no item (curated), show this item's value.
PROPERTY_VALUES = f"""
MATCH (i:{ITEM} {{id: $item}})-[r:{HAS_PROPERTY}]->(v:{PROPERTY_VALUE})\
-[:{OF_PROPERTY}]->(p:{PROPERTY} {{id: $property}})
RETURN v.id AS id, v.value AS value, v.name_zh AS value_zh, v.name_en AS value_en,
       p.name_zh AS property_zh, p.name_en AS property_en,
       [(v)-[:{HAS_IMAGE}]->(img:{IMAGE}) WHERE img.item IS NULL OR img.item = $item | img.path] AS images
ORDER BY r.position, v.id"""

PROPERTY_NAMES = f"""
MATCH (p:{PROPERTY} {{id: $property}}) RETURN p.name_zh AS name_zh, p.name_en AS name_en"""


# The cognitive path of the paper: scenario -CAUSE-> problem -NEED-> POI <-SATISFY- value <-HAS_PROPERTY- item.
# Starts from the mentioned problems (with a mentioned scenario that causes them), else from every problem of the
# mentioned scenarios, and from mentioned POIs; items meeting more needs rank first; curated
# SATISFY links before predicted ones. One path per item is returned as the reason.
RECOMMEND = f"""
CALL () {{
  MATCH (p:{PROBLEM})-[:{NEED}]->(o:{POI}) WHERE p.id IN $problems
  OPTIONAL MATCH (s:{SCENARIO})-[:{CAUSE}]->(p) WHERE s.id IN $scenarios
  RETURN s, p, o
  UNION
  MATCH (s:{SCENARIO})-[:{CAUSE}]->(p:{PROBLEM})-[:{NEED}]->(o:{POI}) WHERE s.id IN $scenarios AND size($problems) = 0
  RETURN s, p, o
  UNION
  MATCH (o:{POI}) WHERE o.id IN $pois
  RETURN null AS s, null AS p, o
}}
MATCH (o)<-[sat:{SATISFY}]-(v:{PROPERTY_VALUE})<-[:{HAS_PROPERTY}]-(i:{ITEM})
WHERE NOT coalesce(i.category_doubt, false)
WITH i, s, p, o, v, coalesce(sat.predicted, false) AS predicted
ORDER BY predicted, coalesce(s.id, ''), coalesce(p.id, ''), o.id, v.id
WITH i, collect({{scenario_zh: s.name_zh, scenario_en: s.name_en, problem_zh: p.name_zh, problem_en: p.name_en,
                 poi_zh: o.name_zh, poi_en: o.name_en, value: v.value, value_en: v.name_en,
                 predicted: predicted}}) AS paths,
     count(DISTINCT o) AS needs_met, min(CASE WHEN predicted THEN 1 ELSE 0 END) AS has_curated_path
RETURN i.id AS item, paths[0] AS reason, needs_met
ORDER BY has_curated_path, needs_met DESC, item
LIMIT $limit"""


# An item's story for its video: one cognitive path through it, each node with its images. Paths through the
# problems and scenarios the conversation is about come first, then curated links.
ITEM_STORY = f"""
MATCH (i:{ITEM} {{id: $item}})
OPTIONAL MATCH (i)-[:{HAS_PROPERTY}]->(v:{PROPERTY_VALUE})-[sat:{SATISFY}]->(o:{POI})
OPTIONAL MATCH (o)<-[:{NEED}]-(p:{PROBLEM})
OPTIONAL MATCH (p)<-[:{CAUSE}]-(s:{SCENARIO})
WITH i, v, o, p, s, coalesce(sat.predicted, false) AS predicted
ORDER BY CASE WHEN p.id IN $problems THEN 0 ELSE 1 END, CASE WHEN s.id IN $scenarios THEN 0 ELSE 1 END,
         predicted, s IS NULL, p IS NULL, o IS NULL, o.id, v.id, p.id, s.id
WITH i, collect({{v: v, o: o, p: p, s: s}})[0] AS path
WITH i, path.v AS v, path.o AS o, path.p AS p, path.s AS s
RETURN i.title AS title,
       [(i)-[h:{HAS_IMAGE}]->(img:{IMAGE}) | {{path: img.path, score: h.score}}] AS images,
       CASE WHEN v IS NULL THEN null ELSE {{value: v.value, name_en: v.name_en}} END AS value,
       [(v)-[h:{HAS_IMAGE}]->(img:{IMAGE}) | {{path: img.path, score: h.score}}] AS value_images,
       CASE WHEN o IS NULL THEN null ELSE {{id: o.id, name_zh: o.name_zh, name_en: o.name_en}} END AS poi,
       [(o)-[h:{HAS_IMAGE}]->(img:{IMAGE}) | {{path: img.path, score: h.score}}] AS poi_images,
       CASE WHEN p IS NULL THEN null ELSE {{id: p.id, name_zh: p.name_zh, name_en: p.name_en}} END AS problem,
       [(p)-[h:{HAS_IMAGE}]->(img:{IMAGE}) | {{path: img.path, score: h.score}}] AS problem_images,
       CASE WHEN s IS NULL THEN null ELSE {{id: s.id, name_zh: s.name_zh, name_en: s.name_en}} END AS scenario,
       [(s)-[h:{HAS_IMAGE}]->(img:{IMAGE}) | {{path: img.path, score: h.score}}] AS scenario_images"""


FAQS = f"""
MATCH (f:{FAQ}) WHERE f.question IS NOT NULL AND f.answer IS NOT NULL
RETURN f.id AS id, f.question AS question, f.answer AS answer, coalesce(f.lang, 'zh') AS lang
ORDER BY id"""


class GraphUnavailable(RuntimeError):
    """Neo4j cannot be reached or answered with an error."""


@dataclass(frozen=True)
class ItemSummary:
    """One line of a result list."""

    id: str
    title: str
    lang: str
    price: float | None
    category: str | None
    category_zh: str | None
    category_en: str | None
    brand: str | None
    brand_zh: str | None
    image: str | None = None  # the best-scored linked image
    currency: str | None = None  # ISO 4217 code of the price (None: CNY, as the catalog's default)
    title_zh: str | None = None  # the item's name in Chinese / English where the catalog gives one
    title_en: str | None = None


@dataclass(frozen=True)
class PropertyValue:
    """A value of an item's property, with images linked to it."""

    id: str
    value: str
    value_zh: str | None
    value_en: str | None
    images: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ImageModel:
    """The cross-modal model that embedded the stored images (a folder name of models/crossmodal) and their width."""

    name: str
    dimensions: int


@dataclass(frozen=True)
class ItemCard:
    """Everything the assistant shows about one item."""

    summary: ItemSummary
    source: str | None
    properties: list[dict[str, Any]]
    pois: list[dict[str, Any]]
    images: list[dict[str, Any]]
    scenarios: list[dict[str, Any]] = field(default_factory=list)  # when to use it (through its POIs' problems)


class GraphStore(Protocol):
    """What the assistant reads from the MKG: implemented by `Neo4jGraphStore` (the graph that `make graph` built)
    and by `actions.memory_store.InMemoryGraphStore` (the catalog files, for tests without services)."""

    def recommendations(
        self, scenarios: list[str], problems: list[str], pois: list[str], limit: int
    ) -> list[dict[str, Any]]:
        """Items along the cognitive path from the given starts, each with one path as the reason (RECOMMEND)."""
        ...

    def item_story(
        self, item_id: str, problems: list[str] | None = None, scenarios: list[str] | None = None
    ) -> dict[str, Any] | None:
        """Title, images and one cognitive path of an item (ITEM_STORY), None for an unknown item."""
        ...

    def faqs(self) -> list[dict[str, Any]]:
        """Every FAQ: id, question, answer, language."""
        ...

    def entity_names(self) -> list[dict[str, Any]]:
        """Label, id and names of categories, properties, brands, scenarios, problems and curated POIs."""
        ...

    def value_names(self) -> list[str]:
        """Every name of every property value."""
        ...

    def items_by_filter(self, category: str | None, brand: str | None, limit: int = 50) -> list[str]:
        """Ids of the items in a category and/or of a brand, in id order."""
        ...

    def items_by_text(self, lucene_query: str, limit: int = 50) -> dict[str, float]:
        """Full-text scores of items for an escaped Lucene query (an OR of quoted words)."""
        ...

    def items_by_vector(self, vector: Sequence[float], limit: int = 50) -> dict[str, float]:
        """Cosine similarity of the nearest items to a query vector ({} when the graph has no item vectors)."""
        ...

    def vector_similarities(self, vector: Sequence[float], ids: list[str]) -> dict[str, float]:
        """Cosine similarity of the given items (those with a vector) to a query vector."""
        ...

    def item_profiles(self, ids: list[str]) -> list[dict[str, Any]]:
        """Title, NER mentions, category and brand names and property values of items (ITEM_PROFILES)."""
        ...

    def summaries(self, ids: list[str]) -> list[ItemSummary]:
        """Item summaries in the order of `ids` (unknown ids are left out)."""
        ...

    def item_card(self, item_id: str) -> ItemCard | None:
        """The card of one item, or None when there is no such item."""
        ...

    def property_values(self, item_id: str, property_id: str) -> list[PropertyValue]:
        """The values an item has for one property, in catalog order."""
        ...

    def property_names(self, property_id: str) -> tuple[str | None, str | None]:
        """(Chinese, English) name of a property."""
        ...

    def image_model(self) -> ImageModel | None:
        """The model of the stored image embeddings; None when no image has one or there is no image vector index."""
        ...

    def images_by_vector(
        self, vector: Sequence[float], item_id: str | None = None, limit: int = 3
    ) -> list[RankedImage]:
        """Images nearest a query vector of that model, by cosine scaled to [0, 1] as Neo4j's: the item's own
        (HAS_IMAGE) images when `item_id` is given, else any embedded image."""
        ...


class Neo4jGraphStore:
    """The `GraphStore` on Neo4j. A driver is passed in; every query takes parameters only."""

    def __init__(self, driver: Driver, database: str = "neo4j") -> None:
        self._driver = driver
        self._database = database
        self._has_item_index: bool | None = None  # asked once: a graph built without the learned stages has none

    def _run(self, cypher: str, **params: Any) -> list[dict[str, Any]]:
        try:
            records = self._driver.execute_query(cypher, params, database_=self._database, routing_="r").records
        except (DriverError, Neo4jError, OSError) as error:
            raise GraphUnavailable(str(error)) from error
        return [record.data() for record in records]

    def recommendations(
        self, scenarios: list[str], problems: list[str], pois: list[str], limit: int
    ) -> list[dict[str, Any]]:
        """Items along the cognitive path from the given starts, each with one path as the reason."""
        return self._run(RECOMMEND, scenarios=scenarios, problems=problems, pois=pois, limit=limit)

    def item_story(
        self, item_id: str, problems: list[str] | None = None, scenarios: list[str] | None = None
    ) -> dict[str, Any] | None:
        """Title, images and one cognitive path (value, POI, problem, scenario, each with images) of an item,
        preferring the given problems and scenarios."""
        rows = self._run(ITEM_STORY, item=item_id, problems=problems or [], scenarios=scenarios or [])
        return rows[0] if rows else None

    def faqs(self) -> list[dict[str, Any]]:
        """Every FAQ: id, question, answer, language."""
        return self._run(FAQS)

    def entity_names(self) -> list[dict[str, Any]]:
        """Names and aliases of categories, properties, brands, scenarios, problems and curated POIs."""
        return self._run(ENTITY_NAMES)

    def value_names(self) -> list[str]:
        """Every name of every property value (value, Chinese and English names)."""
        return [row["name"] for row in self._run(VALUE_NAMES)]

    def items_by_filter(self, category: str | None, brand: str | None, limit: int = 50) -> list[str]:
        """Ids of the items in a category and/or of a brand."""
        query = ITEMS_BY_FILTER["brand" if brand is not None else "category" if category is not None else "none"]
        return [row["id"] for row in self._run(query, category=category, brand=brand, limit=limit)]

    def items_by_text(self, lucene_query: str, limit: int = 50) -> dict[str, float]:
        """Full-text scores of items for an escaped Lucene query."""
        rows = self._run(ITEMS_BY_TEXT, query=lucene_query, limit=limit)
        return {row["id"]: row["score"] for row in rows}

    def items_by_vector(self, vector: Sequence[float], limit: int = 50) -> dict[str, float]:
        """Cosine similarity of the nearest items to a query vector, from the vector index."""
        if self._has_item_index is None:
            self._has_item_index = bool(self._run(HAS_ITEM_INDEX, name=ITEM_INDEX)[0]["found"])
        if not self._has_item_index:
            return {}
        rows = self._run(ITEMS_BY_VECTOR, query=list(vector), limit=limit)
        return {row["id"]: row["score"] for row in rows}

    def vector_similarities(self, vector: Sequence[float], ids: list[str]) -> dict[str, float]:
        """Cosine similarity of the given items (those with a vector) to a query vector."""
        rows = self._run(ITEM_VECTOR_SIMILARITIES, query=list(vector), ids=ids)
        return {row["id"]: row["score"] for row in rows}

    def item_profiles(self, ids: list[str]) -> list[dict[str, Any]]:
        """Title, NER mentions, category and brand names and property values of items (see ITEM_PROFILES)."""
        return self._run(ITEM_PROFILES, ids=ids)

    def summaries(self, ids: list[str]) -> list[ItemSummary]:
        """Item summaries in the order of `ids` (unknown ids are left out)."""
        by_id = {row["id"]: ItemSummary(**row) for row in self._run(ITEM_SUMMARIES, ids=ids)}
        return [by_id[item_id] for item_id in ids if item_id in by_id]

    def item_card(self, item_id: str) -> ItemCard | None:
        """The card of one item, or None when there is no such item."""
        rows = self._run(ITEM_CARD, id=item_id)
        if not rows:
            return None
        row = rows[0]
        summary = ItemSummary(**{name: row.get(name) for name in ItemSummary.__dataclass_fields__})
        properties = sorted(row["properties"], key=lambda prop: prop["position"] or 0)
        return ItemCard(summary, row["source"], properties, row["pois"], row["images"], row["scenarios"])

    def property_values(self, item_id: str, property_id: str) -> list[PropertyValue]:
        """The values an item has for one property."""
        rows = self._run(PROPERTY_VALUES, item=item_id, property=property_id)
        return [PropertyValue(r["id"], r["value"], r["value_zh"], r["value_en"], r["images"]) for r in rows]

    def property_names(self, property_id: str) -> tuple[str | None, str | None]:
        """(Chinese, English) name of a property."""
        rows = self._run(PROPERTY_NAMES, property=property_id)
        return (rows[0]["name_zh"], rows[0]["name_en"]) if rows else (None, None)

    def image_model(self) -> ImageModel | None:
        """The model of the stored image embeddings; None when no image has one or there is no image vector index."""
        if not self._run(SHOW_VECTOR_INDEX, name=IMAGE_INDEX):
            return None
        rows = self._run(IMAGE_MODEL)
        return ImageModel(str(rows[0]["name"]), int(rows[0]["dimensions"])) if rows else None

    def images_by_vector(
        self, vector: Sequence[float], item_id: str | None = None, limit: int = 3
    ) -> list[RankedImage]:
        """Images nearest a query vector: the item's own (RANK_ENTITY_IMAGES) or the vector index's (SEARCH_IMAGES)."""
        if item_id is not None:
            rows = self._run(RANK_ENTITY_IMAGES[ITEM], subject=item_id, query=list(vector), limit=limit)
        else:
            rows = self._run(SEARCH_IMAGES, index=IMAGE_INDEX, query=list(vector), limit=limit)
        return [RankedImage(**row) for row in rows]


_shared: Neo4jGraphStore | None = None
# A chat turn must apologise within seconds when Neo4j is down, not after the driver's default 30 s of retries.
CHAT_DRIVER_OPTIONS = {
    "max_transaction_retry_time": 2.0,
    "connection_timeout": 3.0,
    "connection_acquisition_timeout": 5.0,
}


def shared_store() -> Neo4jGraphStore:
    """A process-wide store; a failed connection is retried on the next call."""
    global _shared
    if _shared is None:
        try:
            settings = Neo4jSettings.from_env()
            _shared = Neo4jGraphStore(connect(settings, **CHAT_DRIVER_OPTIONS), settings.database)
        except (DriverError, Neo4jError, OSError, RuntimeError) as error:
            raise GraphUnavailable(str(error)) from error
    return _shared
