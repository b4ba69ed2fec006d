"""Fine-tuning the two-stream model on entity-image pairs with the bi-directional contrastive loss."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path

import torch
from transformers import BertTokenizer

from kg_builder.catalog.photo_names import chinese_names
from kg_builder.config import PATHS
from kg_builder.crossmodal.batches import ImageLoader, tokenize
from kg_builder.crossmodal.data import (
    Pair,
    PhotoSplit,
    in_chinese,
    ocr_pairs,
    product_photos,
    split_photos,
)
from kg_builder.crossmodal.encoder import CrossModalEncoder, ImageTextEncoder, TowerEncoder
from kg_builder.crossmodal.evaluation import (
    PhotoPool,
    candidate_auc,
    candidate_pair_scores,
    candidate_sets,
    candidate_threshold,
    retrieval_recalls,
)
from kg_builder.crossmodal.model import TOWER_MODELS, TwoStreamCMM, load_model, save_model
from kg_builder.crossmodal.pretraining import PRETRAINING, new_model, pretrain
from kg_builder.crossmodal.tower_training import train_towers
from kg_builder.crossmodal.training import train_epochs
from kg_builder.textmodels.classifier import TrainSettings
from kg_builder.textmodels.losses import contrastive_loss

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


def trained_encoder(
    model_name: str,
    pairs: Sequence[Pair],
    pretraining_pairs: Sequence[Pair],
    folder: Path,
    seed: int,
    progress: bool = True,
) -> ImageTextEncoder:
    """Train a named model on `pairs` (its recipe: from scratch or on pretrained towers) and return its encoder.

    Pretrained towers read both languages: they train on each pair's English text and on its Chinese name."""
    if model_name in TOWER_MODELS:
        bilingual = [*pairs, *in_chinese(pairs, chinese_names())]
        model = train_towers(model_name, TOWER_MODELS[model_name], bilingual, folder, seed, progress, pretraining_pairs)
        return TowerEncoder(model, folder.name)
    model, tokenizer = train_matcher(model_name, pairs, pretraining_pairs, folder, seed, progress)
    return CrossModalEncoder(model, tokenizer, folder.name)


SEARCH_PRECISION = 0.95  # of the validation candidate pairs above the whole-index search threshold
THRESHOLD_STEP = 0.01


def open_world_titles(catalog_dir: Path, photographed: set[str]) -> list[str]:
    """Titles of catalog items with no real photo and no curated image: texts that no photo may match."""
    from kg_builder.catalog.loader import load_catalog

    catalog = load_catalog(catalog_dir)
    pictured = photographed | {row["subject"] for row in catalog.rows.get("images", [])}
    return [row["title"] for row in catalog.rows.get("items", []) if row["id"] not in pictured and row["title"]]


def search_threshold(candidate_scores: Sequence[tuple[list[float], list[int]]], open_world: torch.Tensor) -> float:
    """The least score a whole-index picture search shows: at least SEARCH_PRECISION on the validation candidate
    pairs of every language, and above every score of an open-world title against any product photo (a shopper's
    'lipstick' must not bring up a photo of ginger)."""
    least = float(open_world.max()) if open_world.numel() else -1.0
    for values, labels in candidate_scores:
        ranked = sorted(zip(values, labels, strict=True), reverse=True)
        if not ranked:
            continue
        lowest = ranked[0][0]  # no precise cut: above the best score, so nothing is shown
        right = 0
        for cut, (score, label) in enumerate(ranked, start=1):
            right += label
            if right >= SEARCH_PRECISION * cut:
                lowest = score  # the lowest cut whose top pairs are precise enough
        least = max(least, lowest)
    return round((int(least / THRESHOLD_STEP) + 1) * THRESHOLD_STEP, 4)


def train_for_linking(
    model_name: str, data_dir: Path, extracted_dir: Path, folder: Path, seed: int = 0, progress: bool = True
) -> dict[str, object]:
    """Train on the real photos' training split (pre-training on detail-page pieces first for the from-scratch
    models, when pieces were extracted); choose the link threshold on the validation photos and measure the test
    photos, in each language the model reads. Saved in `folder`/finetuning.json."""
    split = split_photos(product_photos(data_dir), seed)
    towers = model_name in TOWER_MODELS
    pieces = ocr_pairs(extracted_dir) if not towers and (extracted_dir / "pieces.jsonl").is_file() else []
    encoder = trained_encoder(model_name, split.train, pieces, folder, seed, progress)
    trained = {"pretraining_pairs": len(pieces), "train_pairs": len(split.train)}
    return measure_for_linking(encoder, split, seed, folder, chinese=towers, measured=trained)


def measure_for_linking(
    encoder: ImageTextEncoder,
    split: PhotoSplit,
    seed: int,
    folder: Path,
    chinese: bool,
    measured: dict[str, object] | None = None,
) -> dict[str, object]:
    """The link threshold and the whole-index search threshold, chosen on the validation photos, and the test
    figures, in English (and Chinese); merged with `measured` into `folder`/finetuning.json."""
    measured = dict(measured or {})
    languages = {"en": lambda pairs: pairs}
    if chinese:
        names = chinese_names()
        languages["zh"] = lambda pairs: in_chinese(pairs, names)
    validation_pairs = []
    for name, pairs in (("validation", split.val), ("test", split.test)):
        image_embeddings = encoder.images([p.image for p in pairs])
        for language, texts_of in languages.items():
            pool = PhotoPool.of(texts_of(pairs))
            scores = encoder.texts(pool.texts) @ image_embeddings.T
            sets = candidate_sets(pool.text_of_image, seed)
            if name == "validation":
                validation_pairs.append(candidate_pair_scores(scores, sets))
            key = name if language == "en" else f"{name}_{language}"
            measured[key] = {"photos": len(pairs), "auc": candidate_auc(scores, sets)}
            measured[key] |= retrieval_recalls(scores, pool.text_of_image)
            if name == "validation" and language == "en":
                measured["threshold"] = candidate_threshold(scores, sets).as_dict()
        if name == "validation":
            titles = open_world_titles(PATHS.catalog, {p.key for p in split.train})
            photos = encoder.images(sorted({p.image for p in (*split.train, *split.val, *split.test)}))
            open_world = encoder.texts(titles) @ photos.T if titles else torch.empty(0)
            measured["search_threshold"] = search_threshold(validation_pairs, open_world)
            measured["open_world_titles"] = len(titles)
    summary = json.loads((folder / "finetuning.json").read_text()) | measured
    (folder / "finetuning.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary
