"""The precision gate of predicted facts: dev chooses, test only measures; the gate opens at test precision 0.8;
a curator's decisions are kept in a file that later lines override."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from kg_builder.review import read_decisions, record_decision
from kg_builder.textmodels.linear_head import LogisticHead
from kg_builder.textual import encoder_heads
from kg_builder.textual.encoder_heads import GatedClassifier, LabelledRow, cached_fit, fit_and_measure


def _rows_and_features(count: int = 80) -> tuple[list[LabelledRow], np.ndarray]:
    rng = np.random.default_rng(0)
    labels = (np.arange(count) // 2) % 4 == 0  # positives in both halves
    x = rng.normal(size=(count, 6)) + labels[:, None] * 1.5
    rows = [
        LabelledRow((f"p{i}", "zh"), int(label), "dev" if i % 2 else "test", "random") for i, label in enumerate(labels)
    ]
    return rows, x


@pytest.fixture(autouse=True)
def small_search(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(encoder_heads, "SETTINGS", [{"l2": 1e-3, "steps": 200, "learning_rate": 1.0}])


def test_test_labels_change_the_report_but_never_the_head_or_the_threshold() -> None:
    rows, x = _rows_and_features()
    head, report = fit_and_measure(rows, x)
    flipped = [replace(row, label=1 - row.label) if row.split == "test" else row for row in rows]
    head_flipped, report_flipped = fit_and_measure(flipped, x)
    assert np.array_equal(head.weights, head_flipped.weights) and report["threshold"] == report_flipped["threshold"]
    assert report["test_auc"] > 0.8 > report_flipped["test_auc"]


def test_a_prediction_is_shown_only_above_the_threshold_of_a_head_whose_test_precision_is_enough() -> None:
    head = LogisticHead(np.zeros(2), 0.0)
    good = GatedClassifier(head, {"threshold": 0.7, "test_random_precision": 0.85, "test_random_answered": 20})
    assert good.passes_gate and good.shown(0.7) and not good.shown(0.69)
    for precision, answered in ((0.79, 20), (None, 0), (1.0, 3)):  # too low, nothing answered, too few answered
        report = {"threshold": 0.7, "test_random_precision": precision, "test_random_answered": answered}
        weak = GatedClassifier(head, report | {"test_precision": 0.9})  # all strata: not what the build scores
        assert not weak.passes_gate and not weak.shown(0.99)


def test_a_fitted_head_is_reused_until_its_labels_change(tmp_path: Path) -> None:
    rows, x = _rows_and_features()
    empty = (np.zeros((0, x.shape[1])), np.zeros(0))
    first = cached_fit(tmp_path, "poi", rows, x, empty)
    again = cached_fit(tmp_path, "poi", rows, x, empty)
    assert again.report == first.report and np.allclose(again.head.weights, first.head.weights)
    cached_fit(tmp_path, "poi", [replace(rows[0], label=1 - rows[0].label), *rows[1:]], x, empty)
    assert len(list(tmp_path.glob("poi-*.npz"))) == 2


def test_the_last_decision_wins_and_bad_lines_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "decisions.tsv"
    record_decision(path, "satisfy", "efficacy:补水", "moisturizing", "reject")
    record_decision(path, "satisfy", "efficacy:补水", "moisturizing", "accept", note="checked\tagain\n👍")
    record_decision(path, "poi", "mined:zh:加绒", "-", "reject")
    with path.open("a", encoding="utf-8") as handle:
        handle.write("poi\tbroken line\n")
    assert read_decisions(path) == {
        ("satisfy", "efficacy:补水", "moisturizing"): "accept",
        ("poi", "mined:zh:加绒", "-"): "reject",
    }
    assert path.read_text(encoding="utf-8").count("\n") == 5 + 4  # header + 4 lines; the note kept on one line
    with pytest.raises(ValueError):
        record_decision(path, "poi", "x" * 301, "-", "accept")
    with pytest.raises(ValueError):
        record_decision(path, "poi", " ", "-", "accept")
