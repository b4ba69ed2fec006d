"""The MKG ontology of DESIGN.md section 2: labels, relationship types and the schema that enforces them."""

from __future__ import annotations

from neo4j import Driver

ITEM = "Item"
PROPERTY_VALUE = "PropertyValue"
POI = "POI"
PROBLEM = "Problem"
SCENARIO = "Scenario"
IMAGE = "Image"
USER = "User"
FAQ = "FAQ"
CATEGORY = "Category"
BRAND = "Brand"
PROPERTY = "Property"
POI_CANDIDATE = "POICandidate"  # a mined phrase below the precision gate, waiting for review (never shown)

NODE_LABELS: tuple[str, ...] = (
    ITEM,
    PROPERTY_VALUE,
    POI,
    PROBLEM,
    SCENARIO,
    IMAGE,
    USER,
    FAQ,
    CATEGORY,
    BRAND,
    PROPERTY,
    POI_CANDIDATE,
)

HAS_PROPERTY = "HAS_PROPERTY"
SATISFY = "SATISFY"
HAS_POI = "HAS_POI"
CAUSE = "CAUSE"
NEED = "NEED"
HAS_IMAGE = "HAS_IMAGE"
HAS_PROBLEM = "HAS_PROBLEM"
PREFERS = "PREFERS"
IN_CATEGORY = "IN_CATEGORY"
OF_BRAND = "OF_BRAND"
ABOUT = "ABOUT"  # FAQ -> Item it is about
OF_PROPERTY = "OF_PROPERTY"  # PropertyValue -> Property it is a value of
SATISFY_CANDIDATE = "SATISFY_CANDIDATE"  # a predicted SATISFY below the precision gate, waiting for review
HAS_IMAGE_CANDIDATE = "HAS_IMAGE_CANDIDATE"  # a predicted image link below the precision gate, waiting for review

RELATIONSHIP_TYPES: tuple[str, ...] = (
    HAS_PROPERTY,
    SATISFY,
    HAS_POI,
    CAUSE,
    NEED,
    HAS_IMAGE,
    HAS_PROBLEM,
    PREFERS,
    IN_CATEGORY,
    OF_BRAND,
    ABOUT,
    OF_PROPERTY,
    SATISFY_CANDIDATE,
    HAS_IMAGE_CANDIDATE,
)

ITEM_SEARCH_INDEX = "item_search"
UNUSED_ENTITY_NAMES_INDEX = "entity_names"  # dropped: see schema_statements
IMAGE_INDEX = "image_embeddings"  # vector index over Image.embedding (kg_builder.graph.images)
ITEM_INDEX = "item_embeddings"  # vector index over Item.embedding (kg_builder.graph.item_vectors)

AWAIT_INDEXES = "CALL db.awaitIndexes($seconds)"  # Neo4j raises after $seconds


def schema_statements() -> list[str]:
    """Indexes and constraints, idempotent (IF NOT EXISTS); labels come from this module, never from data.

    The full-text index comes first, so that Neo4j fills it in the background while it builds the constraints
    (by hand on the paper-scale graph, a warm server: 14-20 s against 20-29 s the other way round). A second
    full-text index, over the names of every node (`entity_names`), was made from the start and never queried (the
    assistant links names itself, actions/entity_linking.py); a graph made before keeps it until this drops it."""
    cjk = "OPTIONS {indexConfig: {`fulltext.analyzer`: 'cjk'}}"
    return [
        f"DROP INDEX {UNUSED_ENTITY_NAMES_INDEX} IF EXISTS",
        f"CREATE FULLTEXT INDEX {ITEM_SEARCH_INDEX} IF NOT EXISTS "
        f"FOR (n:{ITEM}) ON EACH [n.title, n.search_text] {cjk}",
        *(
            f"CREATE CONSTRAINT {label.lower()}_id IF NOT EXISTS FOR (n:{label}) REQUIRE n.id IS UNIQUE"
            for label in NODE_LABELS
        ),
    ]


def ensure_schema(driver: Driver, database: str = "neo4j", seconds: int = 120) -> None:
    """Create every index and constraint, then wait until the indexes are online (Neo4j raises after `seconds`)."""
    for statement in schema_statements():
        driver.execute_query(statement, database_=database)
    driver.execute_query(AWAIT_INDEXES, seconds=seconds, database_=database)
