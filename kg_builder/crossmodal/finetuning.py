"""Fine-tuning the two-stream model on entity-image pairs with the bi-directional contrastive loss."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path

import torch
from transformers import BertTokenizer

from kg_builder.crossmodal.batches import ImageLoader, tokenize
from kg_builder.crossmodal.data import Pair
from kg_builder.crossmodal.losses import contrastive_loss
from kg_builder.crossmodal.model import TwoStreamCMM, load_model, save_model
from kg_builder.crossmodal.pretraining import PRETRAINING, new_model, pretrain
from kg_builder.crossmodal.training import train_epochs
from kg_builder.textmodels.classifier import TrainSettings

FINETUNING = TrainSettings(epochs=80, batch_size=32, learning_rate=1e-3, seed=7)


def finetune(
    pairs: Sequence[Pair],
    folder: Path,
    start: Path | str,
    settings: TrainSettings = FINETUNING,
    progress: bool = True,
) -> tuple[TwoStreamCMM, BertTokenizer, list[float]]:
    """Fine-tune from a pre-trained folder, or from scratch when `start` is a config name; save into `folder`.

    Images get a random crop and flip each time they are seen. Returns (model, tokenizer, epoch losses)."""
    torch.manual_seed(settings.seed)
    if isinstance(start, Path):
        model, tokenizer = load_model(start), BertTokenizer.from_pretrained(start)
        tokenizer.save_pretrained(folder)
        name = json.loads((start / "config.json").read_text())["name"]
    else:
        model, tokenizer = new_model(start, [p.text for p in pairs], folder)
        name = start
    loader = ImageLoader(model.config.image_size)

    def step_loss(batch: list[Pair], rng: random.Random) -> torch.Tensor:
        encoded = tokenize(tokenizer, [p.text for p in batch], model.config.max_text)
        image_cls, _ = model.encode_image(loader.batch([p.image for p in batch], rng))
        return contrastive_loss(image_cls, model.encode_text(encoded["input_ids"], encoded["attention_mask"])[:, 0])

    losses = train_epochs(model, pairs, step_loss, settings, f"{name} fine-tuning", progress)
    save_model(model, folder, name)
    summary = {"model": name, "start": str(start), "pairs": len(pairs), "settings": asdict(settings)}
    summary["epoch_losses"] = losses
    (folder / "finetuning.json").write_text(json.dumps(summary, indent=2) + "\n")
    return model, tokenizer, losses


def train_matcher(
    model_name: str,
    pairs: Sequence[Pair],
    pretraining_pairs: Sequence[Pair],
    folder: Path,
    seed: int,
    progress: bool = True,
    finetuning: TrainSettings = FINETUNING,
) -> tuple[TwoStreamCMM, BertTokenizer]:
    """The whole recipe: pre-train on (piece, OCR text) pairs when there are any, then fine-tune on `pairs`.

    The pre-training vocabulary also covers the fine-tuning texts. Saves into `folder`/pretrained and `folder`."""
    start: Path | str = model_name
    if pretraining_pairs:
        start = folder / "pretrained"
        settings = replace(PRETRAINING, seed=seed)
        pretrain(pretraining_pairs, model_name, start, settings, progress, vocabulary=[p.text for p in pairs])
    model, tokenizer, _ = finetune(pairs, folder, start, replace(finetuning, seed=seed), progress)
    return model, tokenizer
