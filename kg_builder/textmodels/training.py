"""Train a pair classifier once per training set: a fingerprint of data, model and settings decides re-use."""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import torch
from tqdm import tqdm

from kg_builder.textmodels.classifier import Example, PairClassifier, TrainSettings

FINGERPRINT = "fingerprint.txt"


def fingerprint(examples: Sequence[Example], model_name: str, settings: TrainSettings) -> str:
    digest = hashlib.sha256(json.dumps([model_name, asdict(settings)]).encode())
    for example in examples:
        digest.update(f"{example.text}\t{example.pair}\t{example.label}\n".encode())
    return digest.hexdigest()[:16]


def train_or_load(
    folder: Path,
    model_name: str,
    examples: Sequence[Example],
    settings: TrainSettings,
    progress: bool = True,
    desc: str = "train",
) -> tuple[PairClassifier, bool]:
    """The classifier saved in `folder` if it was trained on exactly these examples, else a newly trained one.

    Returns (classifier, trained now)."""
    key = fingerprint(examples, model_name, settings)
    stamp = folder / FINGERPRINT
    if stamp.is_file() and stamp.read_text().strip() == key:
        return PairClassifier.load(folder), False
    texts = [text for e in examples for text in (e.text, e.pair)]
    torch.manual_seed(settings.seed)  # the new head's initial weights must not depend on what ran before
    classifier = PairClassifier.create(model_name, texts, folder)
    total = settings.epochs * len(examples)
    with tqdm(total=total, desc=desc, unit="ex", disable=not progress, file=sys.stderr) as bar:
        losses = classifier.train(
            examples, settings, on_step=lambda n, loss: (bar.update(n), bar.set_postfix(loss=f"{loss:.3f}"))
        )
    classifier.save(
        folder, {"model": model_name, "settings": asdict(settings), "examples": len(examples), "epoch_losses": losses}
    )
    stamp.write_text(key + "\n")
    return classifier, True
