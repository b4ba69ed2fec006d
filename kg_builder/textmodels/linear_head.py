"""A trained head on frozen sentence embeddings: L2-regularised logistic regression in numpy (full-batch gradient
descent, classes weighted to balance), so that a pretrained encoder plus a few thousand distant labels gives a
calibrated yes/no score without fine-tuning the encoder."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class LogisticHead:
    """p(yes | x) = sigmoid(x . weights + bias)."""

    weights: np.ndarray
    bias: float

    @classmethod
    def train(
        cls, features: np.ndarray, labels: np.ndarray, l2: float = 1e-3, steps: int = 400, learning_rate: float = 0.5
    ) -> LogisticHead:
        """Fit on rows of `features` and 0/1 `labels`; each class weighs half of the loss."""
        labels = labels.astype(np.float64)
        positives = max(labels.sum(), 1.0)
        negatives = max(len(labels) - labels.sum(), 1.0)
        sample_weight = np.where(labels == 1, 0.5 / positives, 0.5 / negatives)
        x = features.astype(np.float64)
        weights, bias = np.zeros(x.shape[1]), 0.0
        for _ in range(steps):
            error = (_sigmoid(x @ weights + bias) - labels) * sample_weight
            weights -= learning_rate * (x.T @ error + l2 * weights)
            bias -= learning_rate * float(error.sum())
        return cls(weights, bias)

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        return _sigmoid(features.astype(np.float64) @ self.weights + self.bias)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
