"""The pretrained encoder in the assistant's services, in process (the in-memory store of the demo catalog, the
real multilingual-e5-small; embeddings come from the on-disk cache after the first run): semantic search finds
items that no word of the query names, and the store FAQ ranker answers paraphrases in both languages."""

from __future__ import annotations

import pytest

from actions.entity_linking import EntityLinker
from actions.memory_store import InMemoryGraphStore
from actions.retrieval import Fusion, ItemRetriever
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


def test_items_that_stand_out_in_meaning_are_found_though_no_word_names_them(
    store: InMemoryGraphStore, encoder: CachedEncoder
) -> None:
    """ "给嘴唇上色的" (something that colours the lips) names no category and no title word of a lipstick; its
    lipsticks stand out at 2.6 standard deviations (the default needs more: chosen on the judged dev queries)."""
    linker = EntityLinker.from_store(store)
    words_only = ItemRetriever(store, linker)
    semantic = ItemRetriever(store, linker, encode=encoder.query, fusion=Fusion(vector_z=2.0))
    query = "给嘴唇上色的"
    assert _lipsticks(semantic.search(semantic.understand(query))) >= 1
    assert _lipsticks(words_only.search(words_only.understand(query))) == 0  # only 上色 of an eyebrow pencil


@pytest.mark.parametrize("query", ["蓝牙耳机", "wireless earbuds"])
def test_a_query_for_what_the_catalog_lacks_finds_nothing(
    store: InMemoryGraphStore, encoder: CachedEncoder, query: str
) -> None:
    """Every item is about as similar to a Bluetooth headset as any other: none stands out, none is listed."""
    semantic = ItemRetriever(store, EntityLinker.from_store(store), encode=encoder.query)
    assert semantic.search(semantic.understand(query)) == []


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
