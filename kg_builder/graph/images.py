"""The image queries of the MKG (paper section 2.2): Image nodes with their embeddings, the vector index over them,
HAS_IMAGE links predicted by the cross-modal model, and ranking an entity's images for a text query.

Labels cannot be query parameters: the per-label queries are built here from the ontology's names only.
"""

from __future__ import annotations

from neo4j import Driver

from kg_builder.graph.ontology import (
    AWAIT_INDEXES,
    CAUSE,
    HAS_IMAGE,
    HAS_IMAGE_CANDIDATE,
    HAS_POI,
    HAS_PROPERTY,
    IMAGE,
    IMAGE_INDEX,
    ITEM,
    NEED,
    POI,
    PROBLEM,
    PROPERTY_VALUE,
    SCENARIO,
)
from kg_builder.graph.predictions import REVIEW_SOURCE

LINKED_LABELS = (ITEM, PROPERTY_VALUE, POI, PROBLEM, SCENARIO)

_NAMES = "[x IN [n.title, n.value, n.name_en, n.name_zh] WHERE x IS NOT NULL AND trim(x) <> '']"
# The items whose images an entity may link to (the paper's candidates: images of the items that have it).
_ITEMS_OF = {
    ITEM: f"MATCH (n:{ITEM}) WITH n, n AS i",
    PROPERTY_VALUE: f"MATCH (i:{ITEM})-[:{HAS_PROPERTY}]->(n:{PROPERTY_VALUE})",
    POI: f"MATCH (i:{ITEM})-[:{HAS_POI}]->(n:{POI})",
    PROBLEM: f"MATCH (i:{ITEM})-[:{HAS_POI}]->(:{POI})<-[:{NEED}]-(n:{PROBLEM})",
    SCENARIO: f"MATCH (i:{ITEM})-[:{HAS_POI}]->(:{POI})<-[:{NEED}]-(:{PROBLEM})<-[:{CAUSE}]-(n:{SCENARIO})",
}
READ_CANDIDATES = "\nUNION ALL\n".join(
    f"""{match}
WHERE n.id STARTS WITH $scope AND i.id IN $items_with_images
RETURN n.id AS id, '{label}' AS label, {_NAMES} AS names, collect(DISTINCT i.id) AS items"""
    for label, match in _ITEMS_OF.items()
)

# Every image gets its embedding; only the images the linker created are described (and later removed) by it,
# so a curated image keeps its path, caption and source.
WRITE_IMAGES = f"""
UNWIND $rows AS row
MERGE (img:{IMAGE} {{id: row.id}})
ON CREATE SET img.created_by = 'linker'
SET img.embedding = row.embedding, img.embedding_model = $model
WITH img, row WHERE img.created_by = 'linker'
SET img.path = row.path, img.kind = row.kind, img.caption = row.caption, img.source = row.source,
    img.item = row.item, img.linker_run = $run"""

REMOVE_OLD_IMAGES = f"""
MATCH (img:{IMAGE}) WHERE img.linker_run IS NOT NULL AND img.linker_run <> $run AND img.id STARTS WITH $scope
DETACH DELETE img
RETURN count(*) AS removed"""

LINK_TYPES = (HAS_IMAGE, HAS_IMAGE_CANDIDATE)  # shown to shoppers / waiting for review (below the precision gate)


def link_slot(label: str, link_type: str) -> str:
    """The key of WRITE_LINKS for links of `link_type` from `label` entities."""
    return f"{label}-{link_type}"


WRITE_LINKS = {
    link_slot(label, link_type): f"""
UNWIND $rows AS row
MATCH (s:{label} {{id: row.subject}})
MATCH (img:{IMAGE} {{id: row.image}})
WHERE NOT EXISTS {{ (s)-[h:{HAS_IMAGE}]->(img) WHERE h.source <> $source }}  // a curated or reviewed link stays alone
MERGE (s)-[r:{link_type}]->(img)
ON CREATE SET r.source = $source
WITH r, row WHERE r.source = $source
SET r.score = row.score, r.model = row.model, r.predicted = true, r.run = $run"""
    for label in LINKED_LABELS
    for link_type in LINK_TYPES
}

REMOVE_OLD_LINKS = f"""
MATCH (s)-[r:{HAS_IMAGE}|{HAS_IMAGE_CANDIDATE} {{source: $source}}]->() WHERE r.run <> $run AND s.id STARTS WITH $scope
DELETE r
RETURN count(*) AS removed"""

# --- review (python -m kg_builder review ... image): predicted links, a curator's decision applied at once ---

LIST_IMAGE_CANDIDATES = f"""
MATCH (s)-[r]->(img:{IMAGE})
WHERE type(r) = '{HAS_IMAGE_CANDIDATE}' OR (type(r) = '{HAS_IMAGE}' AND $shown AND coalesce(r.predicted, false))
RETURN s.id AS subject, img.id AS object,
       labels(s)[0] + ' ' + coalesce(s.title, s.value, s.name_en, s.name_zh, s.id) + ' -> ' +
       coalesce(img.caption, img.id) AS text,
       r.score AS score, type(r) = '{HAS_IMAGE}' AS shown, img.path AS evidence
ORDER BY score DESC, subject, object LIMIT $limit"""

ACCEPT_IMAGE_LINK = f"""
MATCH (s {{id: $subject}})-[c:{HAS_IMAGE}|{HAS_IMAGE_CANDIDATE}]->(img:{IMAGE} {{id: $object}})
WHERE coalesce(c.predicted, false)
MERGE (s)-[r:{HAS_IMAGE}]->(img)
SET r.source = '{REVIEW_SOURCE}', r.predicted = false, r.score = c.score, r.model = c.model
FOREACH (_ IN CASE WHEN c <> r THEN [1] ELSE [] END | DELETE c)
RETURN count(*) AS changed"""

REJECT_IMAGE_LINK = f"""
MATCH (s {{id: $subject}})-[c:{HAS_IMAGE}|{HAS_IMAGE_CANDIDATE}]->(:{IMAGE} {{id: $object}})
WHERE coalesce(c.predicted, false)
DELETE c
RETURN count(*) AS changed"""

SHOW_VECTOR_INDEX = "SHOW VECTOR INDEXES YIELD name, options WHERE name = $name RETURN options"

RANK_ENTITY_IMAGES = {
    label: f"""
MATCH (s:{label} {{id: $subject}})-[:{HAS_IMAGE}]->(img:{IMAGE})
WHERE img.embedding IS NOT NULL
RETURN img.id AS id, img.path AS path, img.caption AS caption,
       vector.similarity.cosine(img.embedding, $query) AS score
ORDER BY score DESC, id
LIMIT $limit"""
    for label in LINKED_LABELS
}

SEARCH_IMAGES = """
CALL db.index.vector.queryNodes($index, $limit, $query) YIELD node, score
RETURN node.id AS id, node.path AS path, node.caption AS caption, score
ORDER BY score DESC, id"""

# The model that embedded the images (the linker writes its name, a folder of models/crossmodal, on every image it
# embeds) and the embeddings' width: a query vector must come from the same model. (With SHOW_VECTOR_INDEX for the
# index that SEARCH_IMAGES needs.)
IMAGE_MODEL = f"""
MATCH (img:{IMAGE}) WHERE img.embedding IS NOT NULL AND img.embedding_model IS NOT NULL
RETURN img.embedding_model AS name, size(img.embedding) AS dimensions
LIMIT 1"""


def create_vector_index(index: str, label: str, dimensions: int) -> str:
    """A cosine vector index over `label`.embedding (names and options cannot be parameters: they come from the
    ontology and the width is an int)."""
    return (
        f"CREATE VECTOR INDEX {index} IF NOT EXISTS FOR (n:{label}) ON n.embedding "
        f"OPTIONS {{indexConfig: {{`vector.dimensions`: {int(dimensions)}, `vector.similarity_function`: 'cosine'}}}}"
    )


def ensure_vector_index(driver: Driver, index: str, label: str, dimensions: int, database: str = "neo4j") -> None:
    """The vector index over `label`.embedding, recreated when the model's width changed."""
    found = driver.execute_query(SHOW_VECTOR_INDEX, name=index, database_=database).records
    if found and found[0]["options"]["indexConfig"]["vector.dimensions"] != dimensions:
        driver.execute_query(f"DROP INDEX {index}", database_=database)
    driver.execute_query(create_vector_index(index, label, dimensions), database_=database)
    driver.execute_query(AWAIT_INDEXES, seconds=120, database_=database)


def ensure_image_index(driver: Driver, dimensions: int, database: str = "neo4j") -> None:
    """The vector index over Image.embedding."""
    ensure_vector_index(driver, IMAGE_INDEX, IMAGE, dimensions, database)
