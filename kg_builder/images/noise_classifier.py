"""A small CNN telling noise pieces (promotions, codes, blank panels) from useful ones, trained on generated pages."""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from kg_builder.images.tensors import image_tensor

THUMBNAIL = 64


class NoiseCNN(nn.Module):
    """Three conv blocks over a 64x64 RGB thumbnail, then one logit: P(noise)."""

    def __init__(self, width: int = 16) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = 3
        for out in (width, width * 2, width * 4):
            layers += [nn.Conv2d(channels, out, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
            channels = out
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(channels, 1)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(images).mean(dim=(2, 3))).squeeze(-1)


def thumbnail(piece: np.ndarray) -> torch.Tensor:
    """A BGR piece as the CNN's 3x64x64 input."""
    return image_tensor(piece, THUMBNAIL)


def labelled_panels(pages_dir: Path) -> list[tuple[torch.Tensor, int]]:
    """(thumbnail, 1 if noise) for every ground-truth panel of the generated pages (duplicates excluded:
    a repeated photo is noise only because of what came before it, which the dHash rule handles)."""
    examples = []
    for line in (pages_dir / "truth.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        image = cv2.imread(str(pages_dir / record["page"]))
        for panel in record["panels"]:
            if panel["kind"] != "duplicate":
                examples.append((thumbnail(image[panel["top"] : panel["bottom"]]), int(panel["noise"])))
    return examples


def train(
    examples: Sequence[tuple[torch.Tensor, int]], epochs: int = 8, seed: int = 5, progress: bool = True
) -> NoiseCNN:
    torch.manual_seed(seed)
    model = NoiseCNN()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    order = list(examples)
    rng = random.Random(seed)
    loss_fn = nn.BCEWithLogitsLoss()
    model.train()
    with tqdm(total=epochs * len(order), desc="noise CNN", unit="piece", disable=not progress, file=sys.stderr) as bar:
        for _ in range(epochs):
            rng.shuffle(order)
            for start in range(0, len(order), 32):
                batch = order[start : start + 32]
                logits = model(torch.stack([x for x, _ in batch]))
                loss = loss_fn(logits, torch.tensor([float(y) for _, y in batch]))
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                bar.update(len(batch))
    model.eval()
    return model


@torch.no_grad()
def noise_probability(model: NoiseCNN, piece: np.ndarray) -> float:
    return float(torch.sigmoid(model(thumbnail(piece).unsqueeze(0)))[0])


def save(model: NoiseCNN, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), path)


def load(path: Path) -> NoiseCNN:
    model = NoiseCNN()
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    model.eval()
    return model
