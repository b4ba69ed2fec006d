"""Online image ranking: a text query is embedded by the cross-modal model and compared with the image
embeddings stored in Neo4j, over an item's linked images or over the whole vector index."""

from __future__ import annotations

from dataclasses import dataclass

from neo4j import Driver

from kg_builder.crossmodal.encoder import CrossModalEncoder
from kg_builder.graph.images import LINKED_LABELS, RANK_ENTITY_IMAGES, SEARCH_IMAGES
from kg_builder.graph.ontology import IMAGE_INDEX, ITEM


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
            routing_="r",
        ).records
        return [RankedImage(**record.data()) for record in records]

    def rank_item_images(self, item_id: str, text: str, limit: int = 10) -> list[RankedImage]:
        return self.rank_entity_images(ITEM, item_id, text, limit)

    def search(self, text: str, limit: int = 10) -> list[RankedImage]:
        """The best-matching images of the whole graph, through the vector index."""
        records = self.driver.execute_query(
            SEARCH_IMAGES,
            index=IMAGE_INDEX,
            limit=limit,
            query=self._query_vector(text),
            database_=self.database,
            routing_="r",
        ).records
        return [RankedImage(**record.data()) for record in records]
