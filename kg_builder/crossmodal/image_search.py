"""Online image ranking: a text query is embedded by the cross-modal model and compared with the image
embeddings stored in Neo4j, over an item's linked images or over the whole vector index.

The `*_by_vector` calls take a query vector made elsewhere (the assistant's numpy text tower,
kg_builder/crossmodal/text_query.py); this module loads no torch itself, so `RankedImage` is light to import."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from neo4j import Driver

from kg_builder.graph.images import LINKED_LABELS, RANK_ENTITY_IMAGES, SEARCH_IMAGES
from kg_builder.graph.ontology import IMAGE_INDEX, ITEM

if TYPE_CHECKING:
    from kg_builder.crossmodal.encoder import ImageTextEncoder


@dataclass(frozen=True)
class RankedImage:
    """An image and its similarity to the query (Neo4j's cosine, scaled to [0, 1])."""

    id: str
    path: str
    caption: str
    score: float


class ImageSearch:
    """Ranks stored images for a text query; the driver and a loaded encoder are passed in (no encoder: only the
    `*_by_vector` calls)."""

    def __init__(self, driver: Driver, encoder: ImageTextEncoder | None = None, database: str = "neo4j") -> None:
        self.driver, self.encoder, self.database = driver, encoder, database

    def _query_vector(self, text: str) -> list[float]:
        if not text.strip():
            raise ValueError("empty image query")
        if self.encoder is None:
            raise ValueError("no cross-modal encoder: rank by a query vector instead")
        return self.encoder.query(text[:500]).tolist()

    def _ranked(self, cypher: str, **params: object) -> list[RankedImage]:
        records = self.driver.execute_query(cypher, params, database_=self.database, routing_="r").records
        return [RankedImage(**record.data()) for record in records]

    def rank_entity_images_by_vector(
        self, label: str, subject: str, vector: Sequence[float], limit: int = 10
    ) -> list[RankedImage]:
        """The images linked to one entity, nearest the query vector first."""
        if label not in RANK_ENTITY_IMAGES:
            raise ValueError(f"unknown entity label '{label}' (one of {', '.join(LINKED_LABELS)})")
        return self._ranked(RANK_ENTITY_IMAGES[label], subject=subject, query=list(vector), limit=limit)

    def search_by_vector(self, vector: Sequence[float], limit: int = 10) -> list[RankedImage]:
        """The images of the whole graph nearest the query vector, through the vector index."""
        return self._ranked(SEARCH_IMAGES, index=IMAGE_INDEX, limit=limit, query=list(vector))

    def rank_entity_images(self, label: str, subject: str, text: str, limit: int = 10) -> list[RankedImage]:
        """The images linked to one entity, best match for `text` first."""
        if label not in RANK_ENTITY_IMAGES:
            raise ValueError(f"unknown entity label '{label}' (one of {', '.join(LINKED_LABELS)})")
        return self.rank_entity_images_by_vector(label, subject, self._query_vector(text), limit)

    def rank_item_images(self, item_id: str, text: str, limit: int = 10) -> list[RankedImage]:
        return self.rank_entity_images(ITEM, item_id, text, limit)

    def search(self, text: str, limit: int = 10) -> list[RankedImage]:
        """The best-matching images of the whole graph, through the vector index."""
        return self.search_by_vector(self._query_vector(text), limit)
