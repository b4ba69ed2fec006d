"""Item vectors for semantic search: every item's text embedded as an e5 passage and written to the graph, with the
vector index over them (kg_builder.graph.item_vectors). Embeddings are cached, so a rebuild only embeds what changed."""

from __future__ import annotations

import logging

from neo4j import Driver

from kg_builder.graph.images import ensure_vector_index
from kg_builder.graph.item_vectors import ITEM_TEXTS, WRITE_ITEM_EMBEDDINGS, item_text
from kg_builder.graph.ontology import ITEM, ITEM_INDEX
from kg_builder.graph.writer import batches
from kg_builder.textmodels.encoder import CachedEncoder

log = logging.getLogger(__name__)


def embed_items(driver: Driver, encoder: CachedEncoder, database: str = "neo4j", progress: bool = True) -> int:
    """Embed and write every item's text; returns the number of items."""
    rows = [record.data() for record in driver.execute_query(ITEM_TEXTS, database_=database).records]
    texts = [item_text(row) for row in rows]
    vectors = encoder.embed(texts, "passage", progress=progress) if texts else []
    ensure_vector_index(driver, ITEM_INDEX, ITEM, encoder.info.dimensions, database)
    written = [
        {"id": row["id"], "text": text, "embedding": [float(x) for x in vector]}
        for row, text, vector in zip(rows, texts, vectors, strict=True)
    ]
    for batch in batches(written):
        driver.execute_query(WRITE_ITEM_EMBEDDINGS, rows=batch, model=encoder.info.name, database_=database)
    log.info("item vectors: %d items embedded and indexed (%s)", len(written), ITEM_INDEX)
    return len(written)
