"""Turning pairs into model input: decoded images (cached, optionally augmented) and tokenized texts."""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import torch
from transformers import PreTrainedTokenizerBase

from kg_builder.images.tensors import image_tensor


class ImageLoader:
    """Images as tensors of one size; each file is decoded once. With `augment`, a random crop and flip."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._cache: dict[Path, np.ndarray] = {}

    def pixels(self, path: Path) -> np.ndarray:
        if path not in self._cache:
            pixels = cv2.imread(str(path))
            if pixels is None:
                raise ValueError(f"{path}: not a readable image")
            side = self.size * 5 // 4  # room for a random crop
            self._cache[path] = cv2.resize(pixels, (side, side), interpolation=cv2.INTER_AREA)
        return self._cache[path]

    def tensor(self, path: Path, rng: random.Random | None = None) -> torch.Tensor:
        pixels = self.pixels(path)
        if rng is not None:
            side = pixels.shape[0]
            crop = rng.randint(self.size * 3 // 4, side)
            top, left = rng.randint(0, side - crop), rng.randint(0, side - crop)
            pixels = pixels[top : top + crop, left : left + crop]
            if rng.random() < 0.5:
                pixels = pixels[:, ::-1]
        return image_tensor(np.ascontiguousarray(pixels), self.size)

    def batch(self, paths: Sequence[Path], rng: random.Random | None = None) -> torch.Tensor:
        return torch.stack([self.tensor(path, rng) for path in paths])


def tokenize(tokenizer: PreTrainedTokenizerBase, texts: Sequence[str], max_length: int) -> dict[str, torch.Tensor]:
    """Padded input ids and attention mask."""
    return tokenizer(list(texts), truncation=True, max_length=max_length, padding=True, return_tensors="pt")
