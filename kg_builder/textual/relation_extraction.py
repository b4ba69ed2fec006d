"""Relation extraction, PropertyValue -SATISFY-> POI: the candidate pairs and the draws of pairs to label by hand.

Candidates are (value, POI) pairs that are mentioned in one sentence of the corpus or share a word. They are
scored by the head on the pretrained encoder (kg_builder.textual.encoder_heads), trained and measured on the
hand-labelled pairs of data/knowledge/satisfy_labels.tsv.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from kg_builder.catalog.loader import Catalog
from kg_builder.textmodels.metrics import read_label_file
from kg_builder.textual.corpus import Sentence
from kg_builder.textual.poi_mining import FACT_PROPERTIES

_CJK = re.compile(r"[\u3400-\u9fff]")
_EN_WORD = re.compile(r"[a-z]{4,}")
HELDOUT_SIZE = 120


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
