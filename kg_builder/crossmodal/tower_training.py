"""Training the pretrained-tower matcher with the bi-directional contrastive loss on (image, text) pairs.

The frozen part of the image backbone runs once per image for a few augmented views (the original, then random
crops and flips); an epoch then runs only the trainable top stages (if any) and the two projections. Optionally,
contrastive pre-training on (detail-page piece, OCR text) pairs comes first, as in the paper. MLM and masked
patch regression need token and patch states that the frozen pooled towers do not expose, so they are not used
here (the from-scratch models keep them).
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path

import torch
from tqdm import tqdm

from kg_builder.crossmodal.batches import ImageLoader
from kg_builder.crossmodal.data import Pair
from kg_builder.crossmodal.towers import PretrainedTowers, TowerConfig, save_towers, text_vectors
from kg_builder.crossmodal.training import train_epochs
from kg_builder.textmodels.classifier import TrainSettings
from kg_builder.textmodels.losses import contrastive_loss

TOWER_TRAINING = TrainSettings(epochs=100, batch_size=32, learning_rate=2e-3, seed=7)
TOWER_PRETRAINING = TrainSettings(epochs=20, batch_size=32, learning_rate=2e-3, seed=7)
TEMPERATURE = 0.1  # of the contrastive loss: on the seed-1 validation photos 0.1 beat 0.05 and 0.2
VIEWS = 6  # augmented views per image when the backbone is frozen (the first is the whole image)
FEATURE_BATCH = 32


@torch.no_grad()
def cached_views(
    model: PretrainedTowers, images: Sequence[Path], seed: int, views: int = VIEWS, progress: bool = True
) -> dict[Path, torch.Tensor]:
    """The frozen prefix's output for `views` views of each distinct image: {path: [views, ...]}."""
    loader, rng = ImageLoader(model.config.image_size), random.Random(seed)
    distinct = list(dict.fromkeys(images))
    jobs = [(path, view) for path in distinct for view in range(views)]
    features: dict[Path, list[torch.Tensor]] = {path: [] for path in distinct}
    bar = tqdm(total=len(jobs), desc="tower features", unit="view", disable=not progress, file=sys.stderr)
    for start in range(0, len(jobs), FEATURE_BATCH):
        chunk = jobs[start : start + FEATURE_BATCH]
        pixels = torch.stack([loader.tensor(path, rng if view else None) for path, view in chunk])
        for (path, _), row in zip(chunk, model.image_prefix(pixels), strict=True):
            features[path].append(row)
        bar.update(len(chunk))
    bar.close()
    return {path: torch.stack(rows) for path, rows in features.items()}


def fit_towers(
    model: PretrainedTowers,
    pairs: Sequence[Pair],
    settings: TrainSettings,
    desc: str,
    progress: bool = True,
) -> list[float]:
    """Fit the projections (and the trainable blocks) on `pairs`; returns the epoch mean losses."""
    torch.manual_seed(settings.seed)
    vectors = dict(zip(*_distinct_texts(pairs), strict=True))
    cached = cached_views(model, [p.image for p in pairs], settings.seed, progress=progress)

    def step_loss(batch: list[Pair], rng: random.Random) -> torch.Tensor:
        prefix = torch.stack([cached[p.image][rng.randrange(len(cached[p.image]))] for p in batch])
        texts = torch.stack([vectors[p.text] for p in batch])
        return contrastive_loss(model.image_head(model.image_top(prefix)), model.text_head(texts), TEMPERATURE)

    return train_epochs(model, pairs, step_loss, settings, desc, progress)


def _distinct_texts(pairs: Sequence[Pair]) -> tuple[list[str], torch.Tensor]:
    texts = list(dict.fromkeys(p.text for p in pairs))
    return texts, text_vectors(texts)


def train_towers(
    model_name: str,
    config: TowerConfig,
    pairs: Sequence[Pair],
    folder: Path,
    seed: int,
    progress: bool = True,
    pretraining_pairs: Sequence[Pair] = (),
    settings: TrainSettings = TOWER_TRAINING,
) -> PretrainedTowers:
    """Contrastive pre-training on `pretraining_pairs` when given, then fine-tuning on `pairs`; saved in `folder`."""
    torch.manual_seed(seed)
    model = PretrainedTowers(config)
    summary: dict[str, object] = {"model": model_name, "pairs": len(pairs), "config": asdict(config)}
    if pretraining_pairs:
        pre = replace(TOWER_PRETRAINING, seed=seed)
        losses = fit_towers(model, pretraining_pairs, pre, f"{model_name} pre-training", progress)
        summary["pretraining"] = {"pairs": len(pretraining_pairs), "settings": asdict(pre), "epoch_losses": losses}
    tuned = replace(settings, seed=seed)
    losses = fit_towers(model, pairs, tuned, f"{model_name} fine-tuning", progress)
    summary |= {"settings": asdict(tuned), "epoch_losses": losses}
    save_towers(model, folder, model_name)
    (folder / "finetuning.json").write_text(json.dumps(summary, indent=2) + "\n")
    return model.eval()
