"""A DSSM-style question-answer matcher: hashed character n-grams (Chinese) and word + letter-trigram features
(English) → two small towers → unit vectors; the match score is their dot product. Trained with the
bi-directional in-batch contrastive loss on real (question, answer) pairs; small enough to train on 2 CPUs."""

from __future__ import annotations

import json
import random
import zlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from kg_builder.faq.data import QAPair
from kg_builder.faq.features import METADATA_FILE, WEIGHTS_FILE, features, has_matcher
from kg_builder.textmodels.batching import distinct_key_batches
from kg_builder.textmodels.classifier import TrainSettings
from kg_builder.textmodels.losses import contrastive_loss


@dataclass(frozen=True)
class MatcherConfig:
    """Sizes: hash buckets, embedding width, output width."""

    buckets: int = 1 << 17
    width: int = 96
    out: int = 64


MATCHER_TRAINING = TrainSettings(epochs=6, batch_size=64, learning_rate=2e-3, seed=7)


def _hash(gram: str, buckets: int) -> int:
    return zlib.crc32(gram.encode()) % buckets


class QAMatcher(nn.Module):
    """Question tower and answer tower over shared hashed n-gram embeddings."""

    def __init__(self, config: MatcherConfig = MatcherConfig()) -> None:
        super().__init__()
        self.config = config
        self.embed = nn.EmbeddingBag(config.buckets, config.width, mode="mean", sparse=True)
        self.question_tower = nn.Sequential(
            nn.Linear(config.width, config.width), nn.Tanh(), nn.Linear(config.width, config.out)
        )
        self.answer_tower = nn.Sequential(
            nn.Linear(config.width, config.width), nn.Tanh(), nn.Linear(config.width, config.out)
        )

    def _bag(self, texts: Sequence[str]) -> torch.Tensor:
        ids, offsets = [], []
        for text in texts:
            offsets.append(len(ids))
            ids += [_hash(gram, self.config.buckets) for gram in features(text)]
        return self.embed(torch.tensor(ids, dtype=torch.long), torch.tensor(offsets, dtype=torch.long))

    def questions(self, texts: Sequence[str]) -> torch.Tensor:
        """Unit vectors of questions (user messages, FAQ questions)."""
        return F.normalize(self.question_tower(self._bag(texts)), dim=-1)

    def answers(self, texts: Sequence[str]) -> torch.Tensor:
        """Unit vectors of answers (or whole FAQ entries)."""
        return F.normalize(self.answer_tower(self._bag(texts)), dim=-1)


def train_matcher(pairs: Sequence[QAPair], settings: TrainSettings = MATCHER_TRAINING) -> tuple[QAMatcher, list[float]]:
    """Train on (question, answer) pairs; returns the model and its epoch mean losses."""
    if not pairs:
        raise ValueError("no question-answer pairs to train on")
    torch.manual_seed(settings.seed)
    model = QAMatcher()
    sparse = list(model.embed.parameters())
    dense = [p for name, p in model.named_parameters() if not name.startswith("embed.")]
    optimizers = [
        torch.optim.SparseAdam(sparse, lr=settings.learning_rate),
        torch.optim.Adam(dense, lr=settings.learning_rate),
    ]
    rng, losses = random.Random(settings.seed), []
    for _ in range(settings.epochs):
        total = 0.0
        for batch in distinct_key_batches(pairs, settings.batch_size, rng):
            loss = contrastive_loss(
                model.answers([p.answer for p in batch]), model.questions([p.question for p in batch])
            )
            for optimizer in optimizers:
                optimizer.zero_grad()
            loss.backward()
            for optimizer in optimizers:
                optimizer.step()
            total += loss.item() * len(batch)
        losses.append(round(total / len(pairs), 4))
    return model.eval(), losses


def save_matcher(model: QAMatcher, folder: Path, metadata: dict[str, object]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), folder / WEIGHTS_FILE)
    (folder / METADATA_FILE).write_text(json.dumps({"config": asdict(model.config)} | metadata, indent=2) + "\n")


def load_matcher(folder: Path) -> tuple[QAMatcher, dict[str, object]]:
    """The model and its metadata (threshold, measurements)."""
    if not has_matcher(folder):
        raise FileNotFoundError(f"no FAQ matcher in {folder} (train one with `python -m kg_builder faq --baseline`)")
    metadata = json.loads((folder / METADATA_FILE).read_text())
    model = QAMatcher(MatcherConfig(**metadata["config"]))
    model.load_state_dict(torch.load(folder / WEIGHTS_FILE, weights_only=True))
    return model.eval(), metadata
