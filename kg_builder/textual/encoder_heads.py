"""POI mining and value -SATISFY-> POI with the pretrained encoder: frozen multilingual-e5-small embeddings and a
logistic head trained on the dev half of the hand-labelled sets (data/knowledge/poi_labels.tsv,
satisfy_labels.tsv), plus, for SATISFY, the curated triples of the catalog and random-POI negatives.

The dev half chooses everything: the head's settings by 5-fold cross-validated AUC on dev, and the threshold as
the best F1 at precision >= 0.8 on dev's out-of-fold scores. The test half is only scored, once, by the head
trained on all of dev: AUC, precision and recall, over all strata and over the random stratum alone.

The build uses the same heads (`poi_classifier`, `satisfy_classifier`) through `GatedClassifier`: a prediction
reaches a shopper only when its score is above the dev threshold and the head's test precision at that threshold,
on the random stratum, is at least MIN_PRECISION; every other prediction stays a candidate for review. Trained heads
are cached under models/kg/heads/, keyed by everything they rest on (labels, extra rows, encoder, settings)."""

from __future__ import annotations

import hashlib
import json
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kg_builder.catalog.loader import Catalog
from kg_builder.textmodels.encoder import CachedEncoder
from kg_builder.textmodels.linear_head import LogisticHead
from kg_builder.textmodels.metrics import best_threshold, roc_auc, score_at
from kg_builder.textual.relation_extraction import PoiMention, ValueMention, catalog_mentions

log = logging.getLogger(__name__)

MIN_PRECISION = 0.8  # a predicted fact reaches a shopper only at this measured precision
MIN_GATE_ANSWERED = 10  # ... measured on at least this many test predictions
GATE_STRATUM = "random"  # the stratum that samples what the build scores: the gate's precision is measured there
FOLDS = 5
SETTINGS = [{"l2": l2, "steps": steps, "learning_rate": 2.0} for l2 in (1e-4, 1e-3, 1e-2) for steps in (300, 2000)]
NEGATIVES_PER_CURATED = 3
HEADS_VERSION = 2  # bump when the features or the fitting change, so that cached heads are re-fitted


@dataclass(frozen=True)
class LabelledRow:
    """A hand-labelled row: its key (phrase and language, or value id and POI id), label, split, stratum."""

    key: tuple[str, str]
    label: int
    split: str
    stratum: str


def read_labelled(path: Path) -> list[LabelledRow]:
    """Rows `key1<TAB>key2<TAB>label<TAB>split<TAB>stratum[...]` of a labelled set (# lines are comments)."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) < 5 or fields[2] not in ("0", "1") or fields[3] not in ("dev", "test"):
            raise ValueError(f"{path}:{number}: expected key<TAB>key<TAB>0|1<TAB>dev|test<TAB>stratum")
        rows.append(LabelledRow((fields[0], fields[1]), int(fields[2]), fields[3], fields[4]))
    return rows


def _out_of_fold(x: np.ndarray, y: np.ndarray, extra: tuple[np.ndarray, np.ndarray], settings: dict) -> np.ndarray:
    """Cross-validated scores of the dev rows (each fold's head also trains on the extra rows)."""
    folds = np.arange(len(y)) % FOLDS
    scores = np.zeros(len(y))
    for fold in range(FOLDS):
        train = folds != fold
        head = LogisticHead.train(np.vstack([x[train], extra[0]]), np.concatenate([y[train], extra[1]]), **settings)
        scores[~train] = head.probabilities(x[~train])
    return scores


def fit_and_measure(
    rows: Sequence[LabelledRow],
    x: np.ndarray,
    extra: tuple[np.ndarray, np.ndarray] | None = None,
    min_precision: float = MIN_PRECISION,
    settings: Sequence[dict[str, float]] | None = None,
) -> tuple[LogisticHead, dict[str, Any]]:
    """Settings (of `settings`, default SETTINGS) and threshold from dev, the head trained on all of dev (+ extra
    rows), measured on test."""
    settings = settings or SETTINGS
    extra = extra if extra is not None else (np.zeros((0, x.shape[1])), np.zeros(0))
    labels = np.array([row.label for row in rows])
    dev = np.array([row.split == "dev" for row in rows])
    cross_validated = {n: _out_of_fold(x[dev], labels[dev], extra, s) for n, s in enumerate(settings)}
    aucs = {n: roc_auc(list(scores), list(labels[dev])) for n, scores in cross_validated.items()}
    best = max(aucs, key=lambda n: aucs[n])
    threshold = best_threshold(list(cross_validated[best]), list(labels[dev]), min_precision=min_precision)
    head = LogisticHead.train(np.vstack([x[dev], extra[0]]), np.concatenate([labels[dev], extra[1]]), **settings[best])
    scores = head.probabilities(x)
    report: dict[str, Any] = {
        "head": settings[best],
        "dev_cv_auc": round(float(aucs[best]), 3),
        "threshold": round(float(threshold.threshold), 4),
        "dev_cv_precision": round(threshold.precision, 3),
        "dev_cv_recall": round(threshold.recall, 3),
        "dev_rows": int(dev.sum()),
        "dev_positives": int(labels[dev].sum()),
        "extra_training_rows": len(extra[1]),
    }
    for name, keep in (("test", lambda row: True), ("test_random", lambda row: row.stratum == "random")):
        part = [(float(s), row.label) for row, s in zip(rows, scores, strict=True) if row.split == "test" and keep(row)]
        at = score_at([s for s, _ in part], [y for _, y in part], threshold.threshold)
        report[f"{name}_auc"] = round(roc_auc([s for s, _ in part], [y for _, y in part]), 3)
        report[f"{name}_precision"] = round(at.precision, 3) if at.true_positives + at.false_positives else None
        report[f"{name}_recall"] = round(at.recall, 3)
        report[f"{name}_positives"] = int(sum(y for _, y in part))
        report[f"{name}_answered"] = int(at.true_positives + at.false_positives)
        report[f"{name}_rows"] = len(part)
    return head, report


@dataclass(frozen=True)
class GatedClassifier:
    """A trained head, its dev threshold and its held-out report: `shown(score)` says whether a prediction with
    this score may reach a shopper: above the threshold, and the head's test precision at the threshold is at least
    MIN_PRECISION on the random stratum (a sample of the candidates the build scores; the other strata were drawn
    to hold more positives), measured on at least MIN_GATE_ANSWERED predictions."""

    head: LogisticHead
    report: dict[str, Any]

    @property
    def threshold(self) -> float:
        return float(self.report["threshold"])

    @property
    def passes_gate(self) -> bool:
        precision = self.report.get(f"test_{GATE_STRATUM}_precision")
        answered = self.report.get(f"test_{GATE_STRATUM}_answered", 0)
        return precision is not None and precision >= MIN_PRECISION and answered >= MIN_GATE_ANSWERED

    def shown(self, score: float) -> bool:
        return self.passes_gate and score >= self.threshold

    def gate(self) -> dict[str, Any]:
        """What the build records about the gate."""
        return {
            "threshold": self.threshold,
            "stratum": GATE_STRATUM,
            "test_precision": self.report.get(f"test_{GATE_STRATUM}_precision"),
            "test_answered": self.report.get(f"test_{GATE_STRATUM}_answered"),
            "min_precision": MIN_PRECISION,
            "min_answered": MIN_GATE_ANSWERED,
            "passes": self.passes_gate,
        }


def cached_fit(
    cache_dir: Path | None,
    name: str,
    rows: Sequence[LabelledRow],
    x: np.ndarray,
    extra: tuple[np.ndarray, np.ndarray],
    min_precision: float = MIN_PRECISION,
    settings: Sequence[dict[str, float]] | None = None,
) -> GatedClassifier:
    """fit_and_measure, re-used from `cache_dir` while its inputs are unchanged."""
    key = [HEADS_VERSION, settings or SETTINGS, min_precision, [list(r.key) + [r.label, r.split] for r in rows]]
    digest = hashlib.sha256(json.dumps(key).encode())
    for array in (x, *extra):
        digest.update(np.ascontiguousarray(array, dtype=np.float32).tobytes())
    path = cache_dir / f"{name}-{digest.hexdigest()[:16]}.npz" if cache_dir else None
    if path and path.is_file():
        stored = np.load(path)
        log.info("%s head: re-using %s", name, path)
        return GatedClassifier(
            LogisticHead(stored["weights"], float(stored["bias"])), json.loads(str(stored["report"]))
        )
    head, report = fit_and_measure(rows, x, extra, min_precision, settings)
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, weights=head.weights, bias=head.bias, report=json.dumps(report))
        log.info("%s head: fitted and saved in %s", name, path)
    return GatedClassifier(head, report)


def poi_classifier(
    encoder: CachedEncoder, labelled: Sequence[LabelledRow], cache_dir: Path | None = None
) -> GatedClassifier:
    """POI mining: a head on the phrase's embedding."""
    x = phrase_features(encoder, [row.key[0] for row in labelled])
    return cached_fit(cache_dir, "poi", labelled, x, (np.zeros((0, x.shape[1])), np.zeros(0)))


def phrase_features(encoder: CachedEncoder, phrases: Sequence[str]) -> np.ndarray:
    return encoder.passages(phrases)


def measure_poi_mining(encoder: CachedEncoder, labelled: Sequence[LabelledRow]) -> dict[str, Any]:
    return poi_classifier(encoder, labelled).report


def value_text(value: ValueMention) -> str:
    return f"{value.label} ({value.property})"


def poi_text(poi: PoiMention) -> str:
    return " / ".join(poi.names)


def pair_features(encoder: CachedEncoder, values: Sequence[str], pois: Sequence[str]) -> np.ndarray:
    """[v * p, |v - p|, v, p]: the value as a query ("what does it give?"), the POI's names as a passage."""
    v, p = encoder.queries(values), encoder.passages(pois)
    return np.hstack([v * p, np.abs(v - p), v, p])


def satisfy_classifier(
    encoder: CachedEncoder, catalog: Catalog, labelled: Sequence[LabelledRow], cache_dir: Path | None = None
) -> tuple[GatedClassifier, Callable[[Sequence[tuple[str, str]]], np.ndarray]]:
    """value -SATISFY-> POI: a head on the pair's features, trained on dev plus the curated triples (positives)
    and each with random POIs (negatives); no labelled pair is among the extra rows. Returns the classifier and
    the feature function of (value id, POI id) pairs."""
    values, pois = catalog_mentions(catalog)
    value_by_id, poi_by_id = {v.value_id: v for v in values}, {p.poi_id: p for p in pois}
    known = [row for row in labelled if row.key[0] in value_by_id and row.key[1] in poi_by_id]
    held = {row.key for row in labelled}
    curated = sorted(
        key
        for row in catalog.rows["satisfies"]
        if (key := (row["value_id"], row["poi"])) not in held and key[0] in value_by_id and key[1] in poi_by_id
    )
    rng = random.Random(3)
    negatives = [(key[0], rng.choice(sorted(poi_by_id))) for key in curated for _ in range(NEGATIVES_PER_CURATED)]
    negatives = [key for key in negatives if key not in held and key not in set(curated)]
    extra_keys = [*curated, *negatives]

    def features(keys: Sequence[tuple[str, str]]) -> np.ndarray:
        return pair_features(
            encoder, [value_text(value_by_id[v]) for v, _ in keys], [poi_text(poi_by_id[p]) for _, p in keys]
        )

    extra = (features(extra_keys), np.array([1] * len(curated) + [0] * len(negatives)))
    classifier = cached_fit(cache_dir, "satisfy", known, features([row.key for row in known]), extra)
    classifier.report["curated_training_triples"] = len(curated)
    return classifier, features


def measure_satisfy(encoder: CachedEncoder, catalog: Catalog, labelled: Sequence[LabelledRow]) -> dict[str, Any]:
    return satisfy_classifier(encoder, catalog, labelled)[0].report
