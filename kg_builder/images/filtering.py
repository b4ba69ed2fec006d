"""Filtering cut pieces: OCR (pytesseract) text statistics and rules for blank, coded, dated and repeated pieces."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import pytesseract
from PIL import Image

OCR_LANGS = "chi_sim+eng"
MIN_WORD_CONFIDENCE = 50.0
_TIME_SENSITIVE = re.compile(
    r"\d{1,2}\s*月\s*\d{1,2}\s*日|\d{1,2}\s*[./]\s*\d{1,2}\s*(前|截止|止)|限时|截止|秒杀|双\s*1\s*1|满\s*\d+\s*减|"
    r"\bsale\s+ends\b|\buntil\b|\b\d{1,2}/\d{1,2}\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class PieceFeatures:
    """What the filter knows about a piece."""

    height: int
    text: str
    text_area: float  # share of the piece covered by OCR word boxes
    text_blocks: int
    grey_std: float
    edge_density: float  # share of Canny edge pixels inside the content box
    binary_share: float  # share of near-black or near-white pixels inside the content box (codes are binary)
    dhash: int


@dataclass(frozen=True)
class FilterDecision:
    keep: bool
    reason: str  # "photo", "text", or why it was dropped
    time_sensitive: bool


@dataclass(frozen=True)
class FilterSettings:
    blank_std: float = 4.0
    code_edge_density: float = 0.08
    code_binary_share: float = 0.9
    code_max_words: int = 2
    duplicate_bits: int = 6  # dHash Hamming distance that counts as the same picture
    text_heavy_area: float = 0.08  # more OCR text than this: a text piece (kept for OCR text, not as a photo)


def ocr(piece: np.ndarray) -> tuple[str, float, int]:
    """(text, share of the area in word boxes, number of text blocks) of a BGR piece."""
    image = Image.fromarray(cv2.cvtColor(piece, cv2.COLOR_BGR2RGB))
    data = pytesseract.image_to_data(image, lang=OCR_LANGS, output_type=pytesseract.Output.DICT)
    words, area, blocks = [], 0, set()
    for text, conf, w, h, block in zip(
        data["text"], data["conf"], data["width"], data["height"], data["block_num"], strict=True
    ):
        if text.strip() and float(conf) >= MIN_WORD_CONFIDENCE:
            words.append(text.strip())
            area += w * h
            blocks.add(block)
    return " ".join(words), area / max(1, piece.shape[0] * piece.shape[1]), len(blocks)


def dhash(piece: np.ndarray, size: int = 8) -> int:
    """A 64-bit difference hash: near-identical pictures differ in few bits."""
    grey = cv2.resize(cv2.cvtColor(piece, cv2.COLOR_BGR2GRAY), (size + 1, size), interpolation=cv2.INTER_AREA)
    bits = (grey[:, 1:] > grey[:, :-1]).flatten()
    return int("".join("1" if b else "0" for b in bits), 2)


def features(piece: np.ndarray) -> PieceFeatures:
    grey = cv2.cvtColor(piece, cv2.COLOR_BGR2GRAY)
    text, area, blocks = ocr(piece)
    box = _content_box(grey)
    edges, content = cv2.Canny(grey, 80, 160)[box], grey[box]
    density = float((edges > 0).mean()) if edges.size else 0.0
    binary = float(((content < 60) | (content > 200)).mean()) if content.size else 0.0
    return PieceFeatures(piece.shape[0], text, area, blocks, float(grey.std()), density, binary, dhash(piece))


def _content_box(grey: np.ndarray, margin: int = 12) -> tuple[slice, slice]:
    """The bounding box of what differs from the piece's background (its most common border value)."""
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    background = int(np.bincount(border).argmax())
    rows, cols = np.nonzero(np.abs(grey.astype(np.int16) - background) > margin)
    if rows.size == 0:
        return slice(0, 0), slice(0, 0)
    return slice(rows.min(), rows.max() + 1), slice(cols.min(), cols.max() + 1)


def decide(
    piece: PieceFeatures, earlier: Sequence[PieceFeatures], settings: FilterSettings = FilterSettings()
) -> FilterDecision:
    """Keep or drop one piece of a page, given the pieces kept before it on the same page."""
    words = len(piece.text.split())
    if piece.grey_std < settings.blank_std:
        return FilterDecision(False, "blank", False)
    if _TIME_SENSITIVE.search(piece.text):
        return FilterDecision(False, "time-sensitive text", True)
    if (
        piece.edge_density > settings.code_edge_density
        and piece.binary_share > settings.code_binary_share
        and words <= settings.code_max_words
    ):
        return FilterDecision(False, "code-like pattern", False)
    if any(bin(piece.dhash ^ other.dhash).count("1") <= settings.duplicate_bits for other in earlier):
        return FilterDecision(False, "near-duplicate", False)
    return FilterDecision(True, "text" if piece.text_area > settings.text_heavy_area else "photo", False)
