"""The pretrained encoder in the assistant's services, in process (the in-memory store of the demo catalog, the
real multilingual-e5-small; embeddings come from the on-disk cache after the first run): semantic search finds
items that no word of the query names, and the store FAQ ranker answers paraphrases in both languages."""

from __future__ import annotations

import pytest

from actions.entity_linking import EntityLinker
from actions.memory_store import InMemoryGraphStore
from actions.retrieval import ItemRetriever
from kg_builder.faq.store_ranker import FaqRanker
from kg_builder.textmodels.encoder import CachedEncoder, text_encoder


@pytest.fixture(scope="module")
def encoder() -> CachedEncoder:
    return text_encoder()


@pytest.fixture(scope="module")
def store(encoder: CachedEncoder) -> InMemoryGraphStore:
    return InMemoryGraphStore.from_catalog(encoder=encoder)


def test_without_an_encoder_the_store_has_no_item_vectors(encoder: CachedEncoder) -> None:
    assert InMemoryGraphStore.from_catalog().items_by_vector(encoder.query("口红"), 5) == {}


def test_the_nearest_items_of_a_query_vector_are_what_it_means(
    store: InMemoryGraphStore, encoder: CachedEncoder
) -> None:
    nearest = store.items_by_vector(encoder.query("补水的面膜"), 5)
    assert {summary.category for summary in store.summaries(list(nearest))} == {"facial_mask"}
    assert list(nearest.values()) == sorted(nearest.values(), reverse=True)


def _lipsticks(items: list) -> int:
    return sum(item.category == "lipstick" for item in items)


def test_semantic_search_finds_items_no_word_of_the_query_names(
    store: InMemoryGraphStore, encoder: CachedEncoder
) -> None:
    """ "给嘴唇上色的" (something that colours the lips) names no category and no title word of a lipstick."""
    linker = EntityLinker.from_store(store)
    words_only = ItemRetriever(store, linker)
    semantic = ItemRetriever(store, linker, encode=encoder.query)
    query = "给嘴唇上色的"
    found = semantic.search(semantic.understand(query))
    assert _lipsticks(found) >= 3 > _lipsticks(words_only.search(words_only.understand(query)))


@pytest.mark.parametrize(
    ("question", "faq"),
    [
        ("几天能收到货", "faq_delivery_time_zh"),
        ("能不能用花呗付款", "faq_payment_zh"),
        ("do you take paypal", "faq_payment_en"),
        ("is this the real thing or a fake", "faq_genuine_en"),
    ],
)
def test_the_faq_ranker_answers_paraphrases_of_store_faqs(
    store: InMemoryGraphStore, encoder: CachedEncoder, question: str, faq: str
) -> None:
    faqs = [row for row in store.faqs() if row["lang"] == faq[-2:]]
    scores = FaqRanker(encoder)(question, faqs)
    assert faqs[max(range(len(faqs)), key=scores.__getitem__)]["id"] == faq
