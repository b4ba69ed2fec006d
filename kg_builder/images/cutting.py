"""Cutting overlong detail-page images into pieces at full-width horizontal edges (OpenCV Sobel edge detection)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class CutSettings:
    """Thresholds of the cutter; the defaults suit 480-px-wide pages saved as JPEG."""

    edge_strength: float = 12.0  # Sobel-y response (max over colour channels) that counts as an edge pixel
    min_cover: float = 0.96  # share of the width an edge row must span (a framed photo spans less)
    band: int = 6  # rows compared above and below a candidate
    min_band_change: float = 2.5  # mean colour change between the bands: a ruled line has none
    min_piece: int = 40  # rows


def cut_rows(image: np.ndarray, settings: CutSettings = CutSettings()) -> list[int]:
    """Row indices where the image should be cut (not 0 or the height), top to bottom."""
    height = image.shape[0]
    sobel = np.abs(cv2.Sobel(image.astype(np.float32), cv2.CV_32F, 0, 1, ksize=3))
    strength = sobel.max(axis=2) if sobel.ndim == 3 else sobel
    cover = (strength > settings.edge_strength).mean(axis=1)
    candidates = [y for y in range(settings.band, height - settings.band) if cover[y] >= settings.min_cover]
    cuts: list[int] = []
    for group in _runs(candidates):
        y = group[len(group) // 2]
        above = image[max(0, y - settings.band - 2) : y - 2].reshape(-1, image.shape[-1]).mean(axis=0)
        below = image[y + 2 : y + settings.band + 2].reshape(-1, image.shape[-1]).mean(axis=0)
        if np.abs(above - below).max() < settings.min_band_change:
            continue
        if y - (cuts[-1] if cuts else 0) >= settings.min_piece and height - y >= settings.min_piece:
            cuts.append(y)
    return cuts


def _runs(rows: Sequence[int], gap: int = 3) -> list[list[int]]:
    """Group nearly consecutive rows."""
    groups: list[list[int]] = []
    for y in rows:
        if groups and y - groups[-1][-1] <= gap:
            groups[-1].append(y)
        else:
            groups.append([y])
    return groups


def pieces(image: np.ndarray, cuts: Sequence[int]) -> list[tuple[int, int, np.ndarray]]:
    """(top, bottom, pixels) of each piece between the cuts."""
    bounds = [0, *cuts, image.shape[0]]
    return [(top, bottom, image[top:bottom]) for top, bottom in zip(bounds, bounds[1:], strict=False)]


def boundary_scores(predicted: Sequence[int], truth: Sequence[int], tolerance: int = 6) -> tuple[int, int, int]:
    """(true positives, false positives, false negatives) of cut rows; a truth row matches once, within `tolerance`."""
    unmatched = list(truth)
    tp = 0
    for y in predicted:
        match = next((t for t in unmatched if abs(t - y) <= tolerance), None)
        if match is not None:
            unmatched.remove(match)
            tp += 1
    return tp, len(predicted) - tp, len(unmatched)
