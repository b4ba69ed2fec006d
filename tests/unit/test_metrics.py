"""Classification metrics used for every reported precision, recall and F1."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg_builder.textmodels.metrics import best_threshold, read_label_file, roc_auc, score_at


def test_precision_recall_f1_at_a_threshold() -> None:
    scores = score_at([0.9, 0.8, 0.3, 0.2], [1, 0, 1, 0], 0.5)
    assert (scores.true_positives, scores.false_positives, scores.false_negatives) == (1, 1, 1)
    assert scores.precision == scores.recall == scores.f1 == 0.5


def test_best_threshold_respects_a_precision_floor() -> None:
    probabilities, labels = [0.95, 0.9, 0.6, 0.55, 0.1], [1, 1, 0, 1, 0]
    assert best_threshold(probabilities, labels).f1 == pytest.approx(6 / 7)
    strict = best_threshold(probabilities, labels, min_precision=1.0)
    assert strict.precision == 1.0 and strict.threshold == 0.9


def test_auc_counts_ties_as_half() -> None:
    assert roc_auc([0.9, 0.1], [1, 0]) == 1.0
    assert roc_auc([0.5, 0.5], [1, 0]) == 0.5


def test_a_malformed_label_file_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "labels.tsv"
    path.write_text("# comment\n补水\tzh\t1\n保湿\tzh\tmaybe\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"labels.tsv:3"):
        read_label_file(path, "phrase<TAB>lang")
