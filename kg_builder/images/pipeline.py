"""Image extraction over a folder of detail pages: safe loading (quarantine), cutting, filtering, measurement."""

from __future__ import annotations

import json
import shutil
import sys
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError
from tqdm import tqdm

from kg_builder.images.cutting import CutSettings, boundary_scores, cut_rows, pieces
from kg_builder.images.filtering import FilterDecision, FilterSettings, PieceFeatures, decide, features
from kg_builder.images.noise_classifier import NoiseCNN, noise_probability
from kg_builder.textmodels.metrics import rates

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif"}
MAX_PIXELS = 40_000_000  # larger images are treated as decompression bombs
CUT_TOLERANCE = 6  # rows
DEFAULT_CUT, DEFAULT_FILTER = CutSettings(), FilterSettings()


class ImageRejected(ValueError):
    """A file that is not a usable image (corrupt, truncated, too large, not an image)."""


def load_image(path: Path) -> np.ndarray:
    """The image as a BGR array, or ImageRejected with the reason."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            Image.MAX_IMAGE_PIXELS = MAX_PIXELS
            with Image.open(path) as probe:
                if probe.width * probe.height > MAX_PIXELS:
                    raise ImageRejected(f"{probe.width}x{probe.height} pixels is over the {MAX_PIXELS:,} limit")
                probe.verify()
            with Image.open(path) as image:
                rgb = np.asarray(image.convert("RGB"))
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageRejected(f"decompression bomb: {error}") from error
    except UnidentifiedImageError as error:
        raise ImageRejected("not an image file") from error
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageRejected(f"corrupt or truncated: {error}") from error
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)


@dataclass
class ExtractionReport:
    """Counts, measurements against the generator's ground truth, and speed."""

    pages: int = 0
    pieces: int = 0
    kept: int = 0
    quarantined: list[str] = field(default_factory=list)
    cut: list[int] = field(default_factory=lambda: [0, 0, 0])  # tp, fp, fn
    noise: list[int] = field(default_factory=lambda: [0, 0, 0])  # dropped pieces that are noise: tp, fp, fn
    time_sensitive: list[int] = field(default_factory=lambda: [0, 0, 0])
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {
            "cut_boundaries": _prf(*self.cut),
            "noise_filter": _prf(*self.noise),
            "time_sensitive_filter": _prf(*self.time_sensitive),
            "pages_per_second": round(self.pages / self.seconds, 3) if self.seconds else None,
        }

    def summary(self) -> str:
        d = self.as_dict()
        return (
            f"images: {self.pages} pages → {self.pieces} pieces, {self.kept} kept, "
            f"{len(self.quarantined)} quarantined; "
            f"cuts P {d['cut_boundaries']['precision']} R {d['cut_boundaries']['recall']}, "
            f"noise filter P {d['noise_filter']['precision']} R {d['noise_filter']['recall']}; "
            f"{d['pages_per_second']} pages/s"
        )


def _prf(tp: int, fp: int, fn: int) -> dict[str, float | int]:
    precision, recall, _ = rates(tp, fp, fn)
    return {"precision": round(precision, 4), "recall": round(recall, 4), "tp": tp, "fp": fp, "fn": fn}


def piece_file(out_dir: Path, page: str, index: int) -> Path:
    """Where `extract_pages` saves the kept piece `index` of a page."""
    return out_dir / "pieces" / f"{Path(page).stem}-{index:02d}.jpg"


def extract_pages(
    pages_dir: Path,
    out_dir: Path,
    cut_settings: CutSettings = DEFAULT_CUT,
    filter_settings: FilterSettings = DEFAULT_FILTER,
    progress: bool = True,
    classifier: NoiseCNN | None = None,
    classifier_threshold: float = 0.5,
) -> ExtractionReport:
    """Cut and filter every image in `pages_dir`; kept pieces go to `out_dir/pieces`, rejected files to
    `out_dir/quarantine` (with the reason); measured against `pages_dir/truth.jsonl` when it is there.
    With a `classifier`, a piece the rules keep is still dropped when the CNN calls it noise."""
    truth = _read_truth(pages_dir / "truth.jsonl")
    report = ExtractionReport()
    (out_dir / "pieces").mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    files = sorted(p for p in pages_dir.iterdir() if p.is_file() and p.name != "truth.jsonl")
    with (out_dir / "pieces.jsonl").open("w", encoding="utf-8") as listing:
        for path in tqdm(files, desc="cut + filter", unit="page", disable=not progress, file=sys.stderr):
            try:
                image = load_image(path)
            except ImageRejected as error:
                _quarantine(path, str(error), out_dir / "quarantine")
                report.quarantined.append(f"{path.name}: {error}")
                continue
            report.pages += 1
            cuts = cut_rows(image, cut_settings)
            kept: list[PieceFeatures] = []
            page_truth = truth.get(path.name)
            if page_truth:
                _add(report.cut, boundary_scores(cuts, [p["top"] for p in page_truth[1:]], CUT_TOLERANCE))
            for index, (top, bottom, pixels) in enumerate(pieces(image, cuts)):
                report.pieces += 1
                piece = features(pixels)
                decision = decide(piece, kept, filter_settings)
                if decision.keep and classifier and noise_probability(classifier, pixels) >= classifier_threshold:
                    decision = FilterDecision(False, "noise classifier", False)
                if page_truth:
                    panel = _best_panel(top, bottom, page_truth)
                    _count(report.noise, not decision.keep, panel["noise"])
                    _count(report.time_sensitive, decision.time_sensitive, panel["time_sensitive"])
                if decision.keep:
                    kept.append(piece)
                    report.kept += 1
                    cv2.imwrite(str(piece_file(out_dir, path.name, index)), pixels)
                record = {
                    "page": path.name,
                    "piece": index,
                    "top": top,
                    "bottom": bottom,
                    "keep": decision.keep,
                    "reason": decision.reason,
                    "time_sensitive": decision.time_sensitive,
                    "ocr_text": piece.text,
                }
                listing.write(json.dumps(record, ensure_ascii=False) + "\n")
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _read_truth(path: Path) -> dict[str, list[dict[str, Any]]]:
    if not path.is_file():
        return {}
    rows = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return {row["page"]: row["panels"] for row in rows}


def _best_panel(top: int, bottom: int, panels: list[dict[str, Any]]) -> dict[str, Any]:
    return max(panels, key=lambda p: min(bottom, p["bottom"]) - max(top, p["top"]))


def _count(counts: list[int], predicted: bool, actual: bool) -> None:
    counts[0] += predicted and actual
    counts[1] += predicted and not actual
    counts[2] += actual and not predicted


def _add(counts: list[int], scores: tuple[int, int, int]) -> None:
    for i, value in enumerate(scores):
        counts[i] += value


def _quarantine(path: Path, reason: str, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy2(path, folder / path.name)
    (folder / f"{path.name}.reason.txt").write_text(reason + "\n", encoding="utf-8")
