"""The one training loop of the cross-modal models: seeded, batches without repeated entities, a progress bar,
and the mean loss of each epoch."""

from __future__ import annotations

import random
import sys
from collections.abc import Callable, Sequence

import torch
from torch import nn
from tqdm import tqdm

from kg_builder.crossmodal.data import Pair
from kg_builder.textmodels.batching import distinct_key_batches
from kg_builder.textmodels.classifier import TrainSettings

StepLoss = Callable[[list[Pair], random.Random], torch.Tensor]


def train_epochs(
    model: nn.Module,
    pairs: Sequence[Pair],
    step_loss: StepLoss,
    settings: TrainSettings,
    desc: str,
    progress: bool = True,
) -> list[float]:
    """Train `model` in place with AdamW; `step_loss(batch, rng)` gives a batch's loss. Returns epoch mean losses."""
    if not pairs:
        raise ValueError(f"{desc}: no (image, text) pairs to train on")
    optimizer = torch.optim.AdamW(model.parameters(), lr=settings.learning_rate)
    rng, losses = random.Random(settings.seed), []
    model.train()
    total_pairs = settings.epochs * len(pairs)
    with tqdm(total=total_pairs, desc=desc, unit="pair", disable=not progress, file=sys.stderr) as bar:
        for _ in range(settings.epochs):
            total = 0.0
            for batch in distinct_key_batches(pairs, settings.batch_size, rng):
                loss = step_loss(batch, rng)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += loss.item() * len(batch)
                bar.update(len(batch))
                bar.set_postfix(loss=f"{loss.item():.3f}")
            losses.append(round(total / len(pairs), 4))
    model.eval()
    return losses
