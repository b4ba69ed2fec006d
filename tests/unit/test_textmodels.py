"""The BERT pair classifier on a tiny random config: it learns, saves, loads, and refuses unknown models."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg_builder.textmodels.bert import DEFAULT_BASE_MODEL
from kg_builder.textmodels.classifier import Example, PairClassifier, TrainSettings
from kg_builder.textmodels.pretraining import pretrain_mlm
from kg_builder.textmodels.training import train_or_load

POSITIVE = ["补水", "保湿", "透气", "速干", "低糖"]
NEGATIVE = ["深圳", "背心", "手机", "鼠标", "门票"]


def _examples() -> list[Example]:
    return [Example(p, f"这款{p}很好", 1) for p in POSITIVE] + [Example(n, f"这款{n}很好", 0) for n in NEGATIVE]


def test_a_tiny_classifier_fits_a_small_training_set(tmp_path: Path) -> None:
    examples = _examples()
    classifier, trained = train_or_load(
        tmp_path / "m", DEFAULT_BASE_MODEL, examples, TrainSettings(epochs=40, batch_size=10), False
    )
    probabilities = classifier.probabilities(examples)
    assert trained
    assert all(p > 0.5 for p in probabilities[:5]) and all(p < 0.5 for p in probabilities[5:])


def test_a_saved_classifier_is_reused_with_identical_predictions(tmp_path: Path) -> None:
    examples = _examples()
    settings = TrainSettings(epochs=2, batch_size=10)
    first, _ = train_or_load(tmp_path / "m", DEFAULT_BASE_MODEL, examples, settings, False)
    again, trained = train_or_load(tmp_path / "m", DEFAULT_BASE_MODEL, examples, settings, False)
    assert not trained
    assert again.probabilities(examples) == pytest.approx(first.probabilities(examples), abs=1e-6)
    changed = [*examples, Example("防水", "防水面料", 1)]
    assert train_or_load(tmp_path / "m", DEFAULT_BASE_MODEL, changed, settings, False)[1]


def test_an_mlm_checkpoint_loads_like_a_pretrained_model(tmp_path: Path) -> None:
    texts = [e.pair for e in _examples()] * 3
    folder = pretrain_mlm(texts, tmp_path / "mlm", DEFAULT_BASE_MODEL, epochs=1, batch_size=8, progress=False)
    classifier = PairClassifier.create(str(folder), [], tmp_path / "unused")
    assert len(classifier.probabilities(_examples())) == 10


def test_an_unknown_model_name_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown model 'bert-huge'"):
        PairClassifier.create("bert-huge", ["x"], tmp_path)
