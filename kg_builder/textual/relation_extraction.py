"""Relation extraction, PropertyValue -SATISFY-> POI: candidate pairs from product texts, a BERT pair classifier.

Candidates are (value, POI) pairs that are mentioned in one sentence of the corpus or share a word.
Distant labels: curated SATISFY triples are positive; pairs whose value is a plain fact (origin,
size, colour ...) and random pairs are negative. A hand-checked sample of candidates
(data/knowledge/satisfy_heldout.tsv) is never trained on: half of it chooses the threshold, the
other half measures precision and recall. Only predictions above the threshold are written.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from kg_builder.catalog.loader import Catalog
from kg_builder.textmodels.bert import DEFAULT_BASE_MODEL
from kg_builder.textmodels.classifier import Example, TrainSettings
from kg_builder.textmodels.metrics import best_threshold, read_label_file, roc_auc, score_at
from kg_builder.textmodels.training import train_or_load
from kg_builder.textual.corpus import Sentence
from kg_builder.textual.poi_mining import FACT_PROPERTIES

_CJK = re.compile(r"[\u3400-\u9fff]")
_EN_WORD = re.compile(r"[a-z]{4,}")
HELDOUT_SIZE = 120
RANDOM_NEGATIVES_PER_POSITIVE = 3
CURATED_HELDOUT_EVERY = 4
MODEL_SOURCE = "relation_model"

SATISFY_TRAINING = TrainSettings(epochs=20, learning_rate=5e-4)


@dataclass(frozen=True)
class ValueMention:
    """A property value as the graph knows it."""

    value_id: str
    property: str
    names: tuple[str, ...]

    @property
    def label(self) -> str:
        return " / ".join(self.names)


@dataclass(frozen=True)
class PoiMention:
    """A curated POI with all its names."""

    poi_id: str
    names: tuple[str, ...]


@dataclass
class PairCandidate:
    """A (value, POI) pair with the shortest sentence that mentions both ('' for word-overlap pairs)."""

    value: ValueMention
    poi: PoiMention
    context: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.value.value_id, self.poi.poi_id)

    def example(self, label: int = 0) -> Example:
        return Example(
            f"{self.value.label} ({self.value.property})", f"{' / '.join(self.poi.names)} | {self.context}", label
        )


def catalog_mentions(catalog: Catalog) -> tuple[list[ValueMention], list[PoiMention]]:
    """Every property value (from item triples and curated SATISFY rows) and every POI, with their names."""
    values: dict[str, ValueMention] = {}
    for row in [*catalog.rows["item_properties"], *catalog.rows["satisfies"]]:
        names = tuple(dict.fromkeys(n for n in (row["value"], row.get("value_zh"), row.get("value_en")) if n))
        values.setdefault(row["value_id"], ValueMention(row["value_id"], row["property"], names))
    pois = [
        PoiMention(
            row["id"], tuple(dict.fromkeys([row["name_zh"], row["name_en"], *row["aliases_zh"], *row["aliases_en"]]))
        )
        for row in catalog.rows["pois"]
    ]
    return sorted(values.values(), key=lambda v: v.value_id), pois


def _pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    usable = sorted({n.casefold() for n in names if len(n) >= 2}, key=len, reverse=True)
    return re.compile("|".join(re.escape(n) for n in usable)) if usable else None


def find_candidates(
    values: Sequence[ValueMention], pois: Sequence[PoiMention], sentences: Iterable[Sentence]
) -> list[PairCandidate]:
    """Pairs mentioned together in a sentence, plus pairs whose names share a Chinese bigram or English word."""
    value_of = {n.casefold(): v for v in values for n in v.names if len(n) >= 2}
    poi_of = {n.casefold(): p for p in pois for n in p.names if len(n) >= 2}
    value_re, poi_re = _pattern(value_of), _pattern(poi_of)
    pairs: dict[tuple[str, str], PairCandidate] = {}
    if value_re and poi_re:
        for sentence in sentences:
            text = sentence.text.casefold()
            found_pois = {poi_of[m].poi_id: poi_of[m] for m in poi_re.findall(text)}
            if not found_pois:
                continue
            for match in set(value_re.findall(text)):
                value = value_of[match]
                for poi in found_pois.values():
                    pair = pairs.setdefault((value.value_id, poi.poi_id), PairCandidate(value, poi, sentence.text))
                    if len(sentence.text) < len(pair.context) or not pair.context:
                        pair.context = sentence.text
    for value in values:
        value_keys = _overlap_keys(value.names)
        for poi in pois:
            if (value.value_id, poi.poi_id) not in pairs and value_keys & _overlap_keys(poi.names):
                pairs[(value.value_id, poi.poi_id)] = PairCandidate(value, poi)
    return sorted(pairs.values(), key=lambda c: c.key)


def _overlap_keys(names: Iterable[str]) -> set[str]:
    keys: set[str] = set()
    for name in names:
        folded = name.casefold()
        keys.update(
            folded[i : i + 2] for i in range(len(folded) - 1) if _CJK.match(folded[i]) and _CJK.match(folded[i + 1])
        )
        keys.update(_EN_WORD.findall(folded))
    return keys


@dataclass(frozen=True)
class HandLabel:
    value_id: str
    poi_id: str
    label: int


def read_heldout(path: Path) -> list[HandLabel]:
    """Hand labels: `value_id<TAB>poi_id<TAB>label` lines; `#` starts a comment."""
    return [HandLabel(fields[0], fields[1], label) for fields, label in read_label_file(path, "value_id<TAB>poi_id")]


def heldout_sample(
    candidates: Sequence[PairCandidate], curated: set[tuple[str, str]], seed: int = 5
) -> list[PairCandidate]:
    """The candidates to label by hand: a fixed random sample of those that are not curated."""
    pool = [c for c in candidates if c.key not in curated]
    return random.Random(seed).sample(pool, min(HELDOUT_SIZE, len(pool)))


@dataclass(frozen=True)
class Cooccurrence:
    """In how many corpus sentences each (value, POI) pair, each value and each POI is mentioned."""

    pairs: dict[tuple[str, str], int]
    values: dict[str, int]
    pois: dict[str, int]
    sentences: int

    def lift(self, key: tuple[str, str]) -> float:
        """How much more often the pair is mentioned together than if value and POI were independent."""
        together = self.pairs.get(key, 0)
        if not together:
            return 0.0
        return together * self.sentences / (self.values[key[0]] * self.pois[key[1]])


def cooccurrence(
    values: Sequence[ValueMention], pois: Sequence[PoiMention], sentences: Iterable[Sentence]
) -> Cooccurrence:
    """Sentence counts of every value, POI and pair, matched by name as find_candidates matches them."""
    value_of = {n.casefold(): v.value_id for v in values for n in v.names if len(n) >= 2}
    poi_of = {n.casefold(): p.poi_id for p in pois for n in p.names if len(n) >= 2}
    value_re, poi_re = _pattern(value_of), _pattern(poi_of)
    pairs: Counter[tuple[str, str]] = Counter()
    value_counts: Counter[str] = Counter()
    poi_counts: Counter[str] = Counter()
    total = 0
    for sentence in sentences:
        total += 1
        text = sentence.text.casefold()
        found_pois = {poi_of[m] for m in poi_re.findall(text)} if poi_re else set()
        found_values = {value_of[m] for m in value_re.findall(text)} if value_re else set()
        poi_counts.update(found_pois)
        value_counts.update(found_values)
        pairs.update((v, p) for v in found_values for p in found_pois)
    return Cooccurrence(dict(pairs), dict(value_counts), dict(poi_counts), total)


ENRICHED_MIN_SENTENCES = 3
ENRICHED_MIN_LIFT = 20.0


def is_enriched(candidate: PairCandidate, counts: Cooccurrence) -> bool:
    """A pair more likely to be a SATISFY link than a random candidate: its value is not a plain fact
    (FACT_PROPERTIES) and either its names share a word with the POI's, or the two are mentioned
    together in at least 3 sentences at least 20 times more often than chance."""
    if candidate.value.property in FACT_PROPERTIES:
        return False
    if not candidate.context:  # a word-overlap pair
        return True
    return (
        counts.pairs.get(candidate.key, 0) >= ENRICHED_MIN_SENTENCES and counts.lift(candidate.key) >= ENRICHED_MIN_LIFT
    )


CLOSE_MIN_LIFT = 100.0
_NAME_NOISE = re.compile(r"[\s\-_]")


def is_close(candidate: PairCandidate, counts: Cooccurrence) -> bool:
    """A stricter is_enriched: a value whose name contains a POI name or is contained in one (spaces and hyphens
    ignored: 持久 / 持久不脱色, Gluten Free / gluten-free, 儿童 / 适合儿童), or a value that is not a plain fact
    mentioned with the POI in at least 3 sentences at least 100 times more often than chance."""
    value_names = [_NAME_NOISE.sub("", n.casefold()) for n in candidate.value.names if len(n) >= 2]
    poi_names = [_NAME_NOISE.sub("", n.casefold()) for n in candidate.poi.names if len(n) >= 2]
    if any(a in b or b in a for a in value_names for b in poi_names if a and b):
        return True
    if candidate.value.property in FACT_PROPERTIES:
        return False
    return counts.pairs.get(candidate.key, 0) >= ENRICHED_MIN_SENTENCES and counts.lift(candidate.key) >= CLOSE_MIN_LIFT


def satisfy_label_sample(
    candidates: Sequence[PairCandidate],
    curated: set[tuple[str, str]],
    counts: Cooccurrence,
    already_labelled: set[tuple[str, str]],
    random_size: int,
    enriched_size: int,
    close_size: int = 0,
    seed: int = 12,
) -> list[tuple[PairCandidate, str]]:
    """More candidates to label by hand, as (candidate, stratum): `random_size` drawn uniformly from every
    candidate, `enriched_size` from those is_enriched says are likelier positives, then `close_size` more (also
    stratum `enriched`) from those is_close says are likelier still. Curated triples and pairs
    already labelled are never drawn. Every draw takes the first fitting pairs of one seeded shuffle, so with
    the same random_size a larger draw keeps every pair of a smaller one."""
    pool = [c for c in candidates if c.key not in curated and c.key not in already_labelled]
    shuffled = list(pool)
    random.Random(seed).shuffle(shuffled)
    drawn = [(c, "random") for c in shuffled[:random_size]]
    taken = {c.key for c, _ in drawn}
    enriched = [c for c in shuffled if c.key not in taken and is_enriched(c, counts)][:enriched_size]
    taken |= {c.key for c in enriched}
    close = [c for c in shuffled if c.key not in taken and is_close(c, counts)][:close_size]
    return drawn + [(c, "enriched") for c in enriched + close]


@dataclass(frozen=True)
class PredictedSatisfy:
    """A SATISFY link the model predicts, with its score."""

    value_id: str
    poi_id: str
    score: float
    context: str


@dataclass
class RelationResult:
    metrics: dict[str, object]
    predicted: list[PredictedSatisfy]


def run_relation_extraction(
    candidates: Sequence[PairCandidate],
    values: Sequence[ValueMention],
    pois: Sequence[PoiMention],
    curated: set[tuple[str, str]],
    heldout: Sequence[HandLabel],
    model_dir: Path,
    model_name: str = DEFAULT_BASE_MODEL,
    settings: TrainSettings = SATISFY_TRAINING,
    progress: bool = True,
) -> RelationResult:
    """Train (or re-use) the classifier; choose the threshold on one half of the held-out set, measure on the other.

    The held-out set is the hand-checked sample plus every 4th curated triple (hand-written, so hand-checked)."""
    curated_held = [HandLabel(v, p, 1) for v, p in sorted(curated)[::CURATED_HELDOUT_EVERY]]
    heldout = [*heldout, *curated_held]
    held_keys = {(h.value_id, h.poi_id) for h in heldout}
    by_key = {c.key: c for c in candidates}
    value_by_id, poi_by_id = {v.value_id: v for v in values}, {p.poi_id: p for p in pois}
    train = training_examples(candidates, values, pois, curated, held_keys)
    classifier, trained = train_or_load(model_dir, model_name, train, settings, progress, desc="SATISFY classifier")
    labelled = [
        (by_key.get((h.value_id, h.poi_id)) or PairCandidate(value_by_id[h.value_id], poi_by_id[h.poi_id]), h.label)
        for h in heldout
        if h.value_id in value_by_id and h.poi_id in poi_by_id
    ]
    dev, test = _stratified_halves(labelled)
    dev_probs = classifier.probabilities([c.example(label) for c, label in dev])
    test_probs = classifier.probabilities([c.example(label) for c, label in test])
    threshold = best_threshold(dev_probs, [label for _, label in dev], min_precision=0.6)
    test_labels = [label for _, label in test]
    unlabelled = [c for c in candidates if c.key not in curated and c.key not in held_keys]
    scores = classifier.probabilities([c.example() for c in unlabelled])
    predicted = [
        PredictedSatisfy(c.value.value_id, c.poi.poi_id, round(p, 4), c.context)
        for c, p in zip(unlabelled, scores, strict=True)
        if p >= threshold.threshold
    ]
    metrics: dict[str, object] = {
        "model": model_name,
        "trained_now": trained,
        "candidates": len(candidates),
        "train_examples": len(train),
        "heldout": {"hand_checked_sample": len(heldout) - len(curated_held), "curated_held_out": len(curated_held)},
        "threshold_from_dev_half": threshold.as_dict(),
        "test_half": score_at(test_probs, test_labels, threshold.threshold).as_dict()
        | {"auc": round(roc_auc(test_probs, test_labels), 4)},
        "predicted_links": len(predicted),
    }
    return RelationResult(metrics, sorted(predicted, key=lambda p: (-p.score, p.value_id, p.poi_id)))


def _stratified_halves(
    labelled: Sequence[tuple[PairCandidate, int]],
) -> tuple[list[tuple[PairCandidate, int]], list[tuple[PairCandidate, int]]]:
    """Alternate the examples of each label between two halves (dev, test), in key order."""
    dev, test = [], []
    for label in (0, 1):
        group = sorted((x for x in labelled if x[1] == label), key=lambda x: x[0].key)
        dev += group[0::2]
        test += group[1::2]
    return dev, test


def training_examples(
    candidates: Sequence[PairCandidate],
    values: Sequence[ValueMention],
    pois: Sequence[PoiMention],
    curated: set[tuple[str, str]],
    held_keys: set[tuple[str, str]],
    seed: int = 3,
) -> list[Example]:
    """Curated pairs positive; fact-property candidates and curated pairs with one side swapped negative."""
    rng = random.Random(seed)
    by_key = {c.key: c for c in candidates}
    value_by_id = {v.value_id: v for v in values}
    poi_by_id = {p.poi_id: p for p in pois}
    positives = [
        (by_key.get(key) or PairCandidate(value_by_id[key[0]], poi_by_id[key[1]])).example(1)
        for key in sorted(curated)
        if key not in held_keys and key[0] in value_by_id and key[1] in poi_by_id
    ]
    excluded = curated | held_keys
    facts = [c.example(0) for c in candidates if c.value.property in FACT_PROPERTIES and c.key not in excluded]
    negatives = rng.sample(facts, min(len(facts), len(positives)))
    same_property: dict[str, list[ValueMention]] = {}
    for value in values:
        same_property.setdefault(value.property, []).append(value)
    for key in sorted(curated - held_keys):  # hard negatives: a curated value with another POI, and the reverse
        if key[0] not in value_by_id or key[1] not in poi_by_id:
            continue
        swaps = [(key[0], rng.choice(pois).poi_id) for _ in range(RANDOM_NEGATIVES_PER_POSITIVE - 1)]
        swaps.append((rng.choice(same_property[value_by_id[key[0]].property]).value_id, key[1]))
        for swap in swaps:
            if swap not in excluded:
                pair = by_key.get(swap) or PairCandidate(value_by_id[swap[0]], poi_by_id[swap[1]])
                negatives.append(pair.example(0))
    examples = positives + negatives
    rng.shuffle(examples)
    return examples
