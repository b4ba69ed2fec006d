"""Pre-training the two-stream model on (image piece, its own OCR text) pairs: MLM + MPFR + contrastive."""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import torch
from tqdm import tqdm
from transformers import BertTokenizer

from kg_builder.crossmodal.losses import contrastive_loss, mask_tokens, mlm_loss, mpfr_loss
from kg_builder.crossmodal.model import CONFIGS, TwoStreamCMM
from kg_builder.images.tensors import image_tensor
from kg_builder.textmodels.classifier import TrainSettings
from kg_builder.textmodels.vocab import build_vocab, save_tokenizer


@dataclass(frozen=True)
class Pair:
    """An image file and the text that goes with it."""

    image: Path
    text: str


PRETRAINING = TrainSettings(epochs=3, batch_size=16, learning_rate=5e-4, seed=7)


def ocr_pairs(extracted_dir: Path) -> list[Pair]:
    """(kept piece, its OCR text) pairs from an `images extract` output folder; pieces without text are left out."""
    pairs = []
    for line in (extracted_dir / "pieces.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        path = extracted_dir / "pieces" / f"{Path(row['page']).stem}-{row['piece']:02d}.jpg"
        if row["keep"] and row["ocr_text"].strip() and path.is_file():
            pairs.append(Pair(path, row["ocr_text"]))
    return pairs


def pretrain(
    pairs: Sequence[Pair],
    model_name: str,
    folder: Path,
    settings: TrainSettings = PRETRAINING,
    progress: bool = True,
) -> list[float]:
    """Pre-train a model of a named config on the pairs; saves model, tokenizer and losses in `folder`.

    Returns the mean total loss of each epoch."""
    if not pairs:
        raise ValueError("no (image, text) pairs to pre-train on")
    config = CONFIGS[model_name]
    tokenizer = save_tokenizer(build_vocab([p.text for p in pairs]), folder)
    torch.manual_seed(settings.seed)
    model = TwoStreamCMM(config.__class__(**(asdict(config) | {"vocab_size": tokenizer.vocab_size})))
    optimizer = torch.optim.AdamW(model.parameters(), lr=settings.learning_rate)
    order, rng, losses = list(pairs), random.Random(settings.seed), []
    with tqdm(
        total=settings.epochs * len(order), desc="CMM pre-training", unit="pair", disable=not progress, file=sys.stderr
    ) as bar:
        for _ in range(settings.epochs):
            rng.shuffle(order)
            total = 0.0
            for start in range(0, len(order), settings.batch_size):
                batch = order[start : start + settings.batch_size]
                loss = _step_loss(model, tokenizer, batch, config.image_size, config.max_text)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += loss.item() * len(batch)
                bar.update(len(batch))
                bar.set_postfix(loss=f"{loss.item():.3f}")
            losses.append(round(total / len(order), 4))
    torch.save(model.state_dict(), folder / "cmm.pt")
    (folder / "pretraining.json").write_text(
        json.dumps(
            {"model": model_name, "pairs": len(pairs), "settings": asdict(settings), "epoch_losses": losses}, indent=2
        )
    )
    return losses


def _step_loss(
    model: TwoStreamCMM, tokenizer: BertTokenizer, batch: Sequence[Pair], size: int, max_text: int
) -> torch.Tensor:
    images = torch.stack([image_tensor(cv2.imread(str(p.image)), size) for p in batch])
    encoded = tokenizer(
        [p.text for p in batch], truncation=True, max_length=max_text, padding=True, return_tensors="pt"
    )
    ids, mask = encoded["input_ids"], encoded["attention_mask"]
    masked, labels = mask_tokens(ids, mask, tokenizer.mask_token_id)
    image_cls, _ = model.encode_image(images)
    text_cls = model.encode_text(ids, mask)[:, 0]
    return (
        mlm_loss(model, masked, mask, labels, image_cls)
        + mpfr_loss(model, images, text_cls)
        + contrastive_loss(image_cls, text_cls)
    )
