"""Online image ranking: a text query is embedded by the cross-modal model and compared with the image
embeddings stored in Neo4j, over an item's linked images or over the whole vector index."""

from __future__ import annotations

from dataclasses import dataclass

from kg_builder.crossmodal.encoder import CrossModalEncoder
from kg_builder.crossmodal.linking import IMAGE_INDEX, LINKED_LABELS
from neo4j import Driver

RANK_ENTITY_IMAGES = {  # one query per label (labels cannot be parameters; these come from the ontology)
    label: f"""
MATCH (s:{label} {{id: $subject}})-[:HAS_IMAGE]->(img:Image)
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


@dataclass(frozen=True)
class RankedImage:
    """An image and its similarity to the query (Neo4j's cosine, scaled to [0, 1])."""

    id: str
    path: str
    caption: str
    score: float


class ImageSearch:
    """Ranks stored images for a text query; the driver and a loaded encoder are passed in."""

    def __init__(self, driver: Driver, encoder: CrossModalEncoder, database: str = "neo4j") -> None:
        self.driver, self.encoder, self.database = driver, encoder, database

    def _query_vector(self, text: str) -> list[float]:
        if not text.strip():
            raise ValueError("empty image query")
        return self.encoder.texts([text[:500]])[0].tolist()

    def rank_entity_images(self, label: str, subject: str, text: str, limit: int = 10) -> list[RankedImage]:
        """The images linked to one entity, best match for `text` first."""
        if label not in RANK_ENTITY_IMAGES:
            raise ValueError(f"unknown entity label '{label}' (one of {', '.join(LINKED_LABELS)})")
        records = self.driver.execute_query(
            RANK_ENTITY_IMAGES[label],
            subject=subject,
            query=self._query_vector(text),
            limit=limit,
            database_=self.database,
        ).records
        return [RankedImage(**record.data()) for record in records]

    def rank_item_images(self, item_id: str, text: str, limit: int = 10) -> list[RankedImage]:
        return self.rank_entity_images("Item", item_id, text, limit)

    def search(self, text: str, limit: int = 10) -> list[RankedImage]:
        """The best-matching images of the whole graph, through the vector index."""
        records = self.driver.execute_query(
            SEARCH_IMAGES, index=IMAGE_INDEX, limit=limit, query=self._query_vector(text), database_=self.database
        ).records
        return [RankedImage(**record.data()) for record in records]
