"""Binary classification metrics: precision, recall, F1, ROC AUC, and choosing a decision threshold."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Scores:
    """Counts and rates of a thresholded binary prediction."""

    threshold: float
    precision: float
    recall: float
    f1: float
    true_positives: int
    false_positives: int
    false_negatives: int
    support: int

    def as_dict(self) -> dict[str, float | int]:
        return {key: round(value, 4) if isinstance(value, float) else value for key, value in asdict(self).items()}


def score_at(probabilities: Sequence[float], labels: Sequence[int], threshold: float) -> Scores:
    """Precision, recall and F1 of `probability >= threshold` against 0/1 labels."""
    tp = sum(1 for p, y in zip(probabilities, labels, strict=True) if p >= threshold and y)
    fp = sum(1 for p, y in zip(probabilities, labels, strict=True) if p >= threshold and not y)
    fn = sum(1 for p, y in zip(probabilities, labels, strict=True) if p < threshold and y)
    return Scores(threshold, *rates(tp, fp, fn), tp, fp, fn, len(labels))


def rates(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    """(precision, recall, F1) from counts; 0 where undefined."""
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def best_threshold(probabilities: Sequence[float], labels: Sequence[int], min_precision: float = 0.0) -> Scores:
    """The threshold with the best F1 among those reaching `min_precision` (ties: the higher threshold)."""
    candidates = sorted({round(p, 4) for p in probabilities} | {0.5})
    results = [score_at(probabilities, labels, t) for t in candidates]
    eligible = [r for r in results if r.precision >= min_precision and r.true_positives] or results
    return max(eligible, key=lambda r: (r.f1, r.threshold))


def roc_auc(probabilities: Sequence[float], labels: Sequence[int]) -> float:
    """Area under the ROC curve (probability that a positive outranks a negative; ties count half)."""
    positives = [p for p, y in zip(probabilities, labels, strict=True) if y]
    negatives = [p for p, y in zip(probabilities, labels, strict=True) if not y]
    if not positives or not negatives:
        return float("nan")
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    return wins / (len(positives) * len(negatives))


def read_label_file(path: Path, columns: str) -> list[tuple[list[str], int]]:
    """Rows of a hand-label TSV (`<columns><TAB>0|1[<TAB>note]`, `#` comments) as (fields, label)."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) < 3 or fields[2] not in ("0", "1"):
            raise ValueError(f"{path}:{number}: expected {columns}<TAB>0|1, got {line[:120]!r}")
        rows.append((fields, int(fields[2])))
    return rows
