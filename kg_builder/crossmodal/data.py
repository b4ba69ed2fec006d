"""(image, text) pairs for the cross-modal model: pieces with their own OCR text for pre-training, and real
product photos with their entity text (Grocery Store dataset, ABO) for fine-tuning and evaluation."""

from __future__ import annotations

import ast
import csv
import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kg_builder.catalog.photo_names import CHINESE_NAMES
from kg_builder.images.pipeline import piece_file
from kg_builder.sources import datasets

GROCERY_SOURCE = f"{datasets.provenance(datasets.GROCERY)} (MIT)"
ABO_SOURCE = f"{datasets.provenance(datasets.ABO)} (CC BY 4.0)"


@dataclass(frozen=True)
class Pair:
    """An image file and the text that goes with it; `key` names the entity (pairs of one key share a text)."""

    image: Path
    text: str
    key: str = ""


@dataclass(frozen=True)
class Product:
    """A product with real photos: `key` is its catalog item id where the catalog has it."""

    key: str
    text: str
    images: tuple[Path, ...]
    source: str


@dataclass(frozen=True)
class PhotoSplit:
    """Entity-image pairs split by image: every product keeps its text, its photos are divided."""

    train: list[Pair]
    val: list[Pair]
    test: list[Pair]


def kept_pieces(extracted_dir: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    """(file, pieces.jsonl row) of every kept piece of an `images extract` output folder that is on disk."""
    for line in (extracted_dir / "pieces.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        path = piece_file(extracted_dir, row["page"], row["piece"])
        if row["keep"] and path.is_file():
            yield path, row


def ocr_pairs(extracted_dir: Path) -> list[Pair]:
    """(kept piece, its OCR text) pairs from an `images extract` output folder; pieces without text are left out."""
    pieces = kept_pieces(extracted_dir)
    return [Pair(path, row["ocr_text"], key=path.stem) for path, row in pieces if row["ocr_text"].strip()]


def grocery_products(data_dir: Path) -> list[Product]:
    """The 81 Grocery Store classes: '<name> (<coarse class>)' with the catalog image and the store photos."""
    root = data_dir / datasets.GROCERY
    photos: dict[str, list[Path]] = {}
    for line in (root / "train.sample.txt").read_text(encoding="utf-8").splitlines():
        if line.strip():
            path, class_id = (field.strip() for field in line.split(",")[:2])
            photos.setdefault(class_id, []).append(root / path)
    products = []
    with (root / "classes.csv").open(encoding="utf-8") as file:
        for row in csv.reader(file):
            if not row or not row[1].strip().isdigit():
                continue  # the header
            name, class_id, coarse, iconic = row[0], row[1].strip(), row[2], row[4].lstrip("/")
            text = name.replace("-", " ")
            if coarse.lower() not in text.lower():
                text = f"{text} ({coarse.replace('-', ' ')})"
            images = (root / iconic, *sorted(photos.get(class_id, [])))
            products.append(Product(f"grocery-{name.lower()}", text, images, GROCERY_SOURCE))
    return products


def abo_products(data_dir: Path) -> list[Product]:
    """The ABO samples: '<brand> <model name>' with every listing image."""
    products = []
    for folder in sorted((data_dir / datasets.ABO).glob("*/")):
        metadata = folder / "metadata.txt"
        if not metadata.is_file():
            continue
        fields = ast.literal_eval(metadata.read_text(encoding="utf-8"))
        words = [_first_value(fields.get(field, "")) for field in ("brand", "model_name", "item_name")]
        text = " ".join(dict.fromkeys(w for w in words if w))
        products.append(Product(f"abo-{folder.name}", text, tuple(sorted(folder.glob("*.jpg"))), ABO_SOURCE))
    return products


def _first_value(listing: str) -> str:
    """`[{language_tag=en_US, value=Starter}, ...]` → 'Starter' (the first value, any language)."""
    start = listing.find("value=")
    return listing[start + 6 :].split("}", 1)[0].strip() if start >= 0 else ""


def product_photos(data_dir: Path) -> list[Product]:
    """Every product with real photos in the shared data."""
    return [p for p in grocery_products(data_dir) + abo_products(data_dir) if p.text and p.images]


def in_chinese(pairs: Sequence[Pair], names: dict[str, str]) -> list[Pair]:
    """The same (image, entity) pairs with the entity's Chinese name as the text; a key without a name fails."""
    missing = sorted({p.key for p in pairs if p.key not in names})
    if missing:
        raise KeyError(f"no Chinese name for {len(missing)} products in {CHINESE_NAMES.name}: {missing[:5]}")
    return [Pair(p.image, names[p.key], p.key) for p in pairs]


def split_photos(products: Sequence[Product], seed: int) -> PhotoSplit:
    """Per product, one photo for test and one for validation (drawn with `seed`), the rest for training.

    Products with fewer than 3 photos only train. The catalog image never goes to test: the test photos are
    the natural store photos, the hardest case."""
    rng = random.Random(seed)
    split = PhotoSplit([], [], [])
    for product in products:
        pairs = [Pair(image, product.text, product.key) for image in product.images]
        if len(pairs) < 3:
            split.train.extend(pairs)
            continue
        first, rest = pairs[0], pairs[1:]
        rng.shuffle(rest)
        split.test.append(rest[0])
        split.val.append(rest[1])
        split.train.extend([first, *rest[2:]])
    return split
