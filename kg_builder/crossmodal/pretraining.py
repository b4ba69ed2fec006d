"""Pre-training the two-stream model on (image piece, its own OCR text) pairs: MLM + MPFR + contrastive."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import torch
from transformers import BertTokenizer

from kg_builder.crossmodal.batches import ImageLoader, tokenize
from kg_builder.crossmodal.data import Pair
from kg_builder.crossmodal.losses import mask_tokens, mlm_loss, mpfr_loss
from kg_builder.crossmodal.model import TWO_STREAM_MODELS, TwoStreamCMM, save_model
from kg_builder.crossmodal.training import train_epochs
from kg_builder.textmodels.classifier import TrainSettings
from kg_builder.textmodels.losses import contrastive_loss
from kg_builder.textmodels.vocab import build_vocab, save_tokenizer

PRETRAINING = TrainSettings(epochs=10, batch_size=16, learning_rate=5e-4, seed=7)


def new_model(model_name: str, texts: Sequence[str], folder: Path) -> tuple[TwoStreamCMM, BertTokenizer]:
    """A randomly initialised model of a named config with a character vocabulary of `texts` saved in `folder`."""
    tokenizer = save_tokenizer(build_vocab(texts), folder)
    return TWO_STREAM_MODELS.create_model(model_name, vocab_size=tokenizer.vocab_size), tokenizer


def pretrain(
    pairs: Sequence[Pair],
    model_name: str,
    folder: Path,
    settings: TrainSettings = PRETRAINING,
    progress: bool = True,
    vocabulary: Sequence[str] = (),
) -> list[float]:
    """Pre-train a model of a named config on the pairs; saves model, tokenizer and losses in `folder`.

    `vocabulary`: more texts whose characters the tokenizer must know (the entity names to be linked later).
    Returns the mean total loss of each epoch."""
    if not pairs:
        raise ValueError("no (image, text) pairs to pre-train on")
    torch.manual_seed(settings.seed)
    model, tokenizer = new_model(model_name, [p.text for p in pairs] + list(vocabulary), folder)
    loader = ImageLoader(model.config.image_size)

    def step_loss(batch: list[Pair], _: random.Random) -> torch.Tensor:
        images = loader.batch([p.image for p in batch])
        encoded = tokenize(tokenizer, [p.text for p in batch], model.config.max_text)
        ids, mask = encoded["input_ids"], encoded["attention_mask"]
        masked, labels = mask_tokens(ids, mask, tokenizer.mask_token_id)
        image_cls, _ = model.encode_image(images)
        text_cls = model.encode_text(ids, mask)[:, 0]
        return (
            mlm_loss(model, masked, mask, labels, image_cls)
            + mpfr_loss(model, images, text_cls)
            + contrastive_loss(image_cls, text_cls)
        )

    losses = train_epochs(model, pairs, step_loss, settings, "CMM pre-training", progress)
    save_model(model, folder, model_name)
    summary = {"model": model_name, "pairs": len(pairs), "settings": asdict(settings), "epoch_losses": losses}
    (folder / "pretraining.json").write_text(json.dumps(summary, indent=2) + "\n")
    return losses
