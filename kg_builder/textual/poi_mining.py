"""POI mining: distant labels of mined phrases and the draws of phrases to label by hand.

Distant labels come from the catalog: a candidate that is the name or alias of a curated POI, or a
selling-point value of the value lexicon, is positive; one that names a category, brand, property,
model or a plain fact (origin, gender, season, size, colour) is negative; the rest stay unlabelled. The build
scores only the unlabelled phrases, with the head on the pretrained encoder (kg_builder.textual.encoder_heads)
trained and measured on the hand-labelled phrases of data/knowledge/poi_labels.tsv.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from kg_builder.catalog.loader import Catalog
from kg_builder.sources import datasets
from kg_builder.sources.attribute_titles import read_attribute_titles
from kg_builder.sources.tagged_titles import read_tagged_titles
from kg_builder.textmodels.metrics import read_label_file
from kg_builder.textual.phrase_mining import Candidate

SELLING_POINT_PROPERTIES = {"efficacy", "feature", "specialty", "style"}
FACT_PROPERTIES = {"origin", "gender", "season", "net_content", "size", "color", "model", "sleeve_length"}
NER_NEGATIVE_LABELS = {"HCCX", "HPPX", "XH", "HC", "HP"}
_NUMERIC = re.compile(r"\d|^(oz|ml|mm|cm|inch|pack|count|lb|lbs|kg|g)$")
POSITIVE_ATTRIBUTES = {"specialty", "benefit", "protection level", "caffeine content", "风格", "工艺", "弹性"}
NEGATIVE_ATTRIBUTES = {
    "brand",
    "brand name",
    "model name",
    "model number",
    "color",
    "size",
    "net content",
    "volume",
    "pack size",
    "gender",
    "item form",
    "country",
    "container type",
    "sub brand",
    "tea variety",
    "shoe type",
    "颜色",
    "图案",
    "领型",
    "袖长",
    "裤长",
    "裙长",
    "鞋帮高度",
    "鞋跟高度",
    "口袋类型",
}
ATTRIBUTE_FILES = (datasets.OAMINE_TRAIN, datasets.AE110K_TRAIN)
_JAVE_TAG = re.compile(r"<([^<>/]+)>([^<>]+)</\1>")
HELDOUT_PER_LANGUAGE = 80
HELDOUT_POOL = 1200  # the held-out sample is drawn from this many most frequent candidates per language
LABELLING_RANDOM_PER_LANGUAGE = 120  # more random phrases per language for the larger hand-labelled set
LABELLING_DISTANT_PER_LANGUAGE = 60  # phrases per language from the candidates the distant labels call positive
LABELLING_SEED = 12
RANDOM_STRATUM = "random"
DISTANT_STRATUM = "distant-positive"


@dataclass(frozen=True)
class LabeledPhrase:
    """A phrase with a 0/1 label, from distant supervision or from a person."""

    phrase: str
    lang: str
    label: int


def lexicon_labels(
    catalog: Catalog,
    value_lexicon: Sequence[tuple[str, str, str]],
    ner_files: Iterable[Path],
    attribute_values: Sequence[tuple[str, int]] = (),
) -> dict[str, int]:
    """Phrase (case-folded) → distant label, from catalog names, the value lexicon, NER spans, attribute values."""
    labels: dict[str, int] = {}

    def add(names: Iterable[str | None], label: int) -> None:
        labels.update((name.casefold(), label) for name in names if name)

    for path in ner_files:  # negatives first: a curated POI name wins over a product word or brand
        for title in read_tagged_titles(path):
            add(title.texts(*NER_NEGATIVE_LABELS), 0)
    add((value for value, label in attribute_values if label == 0), 0)
    for kind in ("categories", "properties"):
        for row in catalog.rows[kind]:
            add([row["name_zh"], row["name_en"], *row["aliases_zh"], *row["aliases_en"]], 0)
    for row in catalog.rows["brands"]:
        add([row["name"], row["name_zh"], *row["aliases"]], 0)
    for prop, zh, en in value_lexicon:
        if prop in FACT_PROPERTIES:
            add([zh, en], 0)
    add((value for value, label in attribute_values if label == 1), 1)
    for prop, zh, en in value_lexicon:
        if prop in SELLING_POINT_PROPERTIES:
            add([zh, en], 1)
    for row in catalog.rows["pois"]:
        add([row["name_zh"], row["name_en"], *row["aliases_zh"], *row["aliases_en"]], 1)
    return labels


def attribute_value_labels(data_dir: Path) -> list[tuple[str, int]]:
    """(value, label) from attribute-value data: selling-point attributes positive, plain facts negative."""
    pairs: list[tuple[str, int]] = []
    for relative in ATTRIBUTE_FILES:
        for row in read_attribute_titles(data_dir / relative):
            for name, value in row.attributes:
                label = _attribute_label(name)
                if label is not None and len(value.split()) <= 4:
                    pairs.append((value, label))
    jave = data_dir / datasets.JAVE_FASHION_TRAIN
    for line in jave.read_text(encoding="utf-8", errors="replace").splitlines():
        for name, value in _JAVE_TAG.findall(line):
            if (label := _attribute_label(name)) is not None:
                pairs.append((value, label))
    return pairs


def _attribute_label(name: str) -> int | None:
    key = name.casefold()
    return 1 if key in POSITIVE_ATTRIBUTES else 0 if key in NEGATIVE_ATTRIBUTES else None


def distant_label(candidate: Candidate, labels: dict[str, int]) -> int | None:
    """1, 0, or None (unlabelled) for a mined candidate."""
    if _NUMERIC.search(candidate.phrase):
        return 0
    return labels.get(candidate.phrase.casefold())


def frequent_candidates(candidates: Sequence[Candidate], lang: str, size: int = HELDOUT_POOL) -> list[Candidate]:
    """The `size` most frequent candidates of one language: the pool the hand-labelled random stratum samples, and
    so the phrases the build scores (the measured precision holds for them)."""
    return sorted((c for c in candidates if c.lang == lang), key=lambda c: (-c.count, c.phrase))[:size]


def heldout_sample(candidates: Sequence[Candidate], lang: str, seed: int = 7) -> list[Candidate]:
    """The candidates of one language to label by hand: a fixed random sample of the most frequent ones."""
    pool = frequent_candidates(candidates, lang)
    return random.Random(seed).sample(pool, min(HELDOUT_PER_LANGUAGE, len(pool)))


def labelling_sample(
    candidates: Sequence[Candidate],
    labels: dict[str, int],
    lang: str,
    exclude: Iterable[str] = (),
    random_count: int = LABELLING_RANDOM_PER_LANGUAGE,
    distant_count: int = LABELLING_DISTANT_PER_LANGUAGE,
    seed: int = LABELLING_SEED,
) -> list[tuple[Candidate, str]]:
    """The candidates of one language to add to the hand-labelled set, each with its stratum.

    Stratum `random`: `random_count` phrases drawn at random from the HELDOUT_POOL most frequent candidates
    (the pool `heldout_sample` draws from), leaving out the phrases in `exclude` (compared case-folded), so
    that together with an earlier random draw they are a random sample of the pool. Stratum
    `distant-positive`: `distant_count` phrases drawn at random from all candidates whose distant label is 1
    and that are not already taken, so that the set holds enough POIs; precision measured on this stratum
    is not the precision on the candidates at large (report that on the random stratum)."""
    taken = {phrase.casefold() for phrase in exclude}
    rng = random.Random(seed)
    ranked = sorted((c for c in candidates if c.lang == lang), key=lambda c: (-c.count, c.phrase))
    pool = [c for c in frequent_candidates(candidates, lang) if c.phrase.casefold() not in taken]
    drawn = [(c, RANDOM_STRATUM) for c in rng.sample(pool, min(random_count, len(pool)))]
    taken |= {c.phrase.casefold() for c, _ in drawn}
    positives = [c for c in ranked if c.phrase.casefold() not in taken and distant_label(c, labels) == 1]
    return drawn + [(c, DISTANT_STRATUM) for c in rng.sample(positives, min(distant_count, len(positives)))]


def assign_splits(rows: Sequence[tuple[str, str, int, str]]) -> list[str]:
    """`dev` or `test` for each labelled (phrase, lang, label, stratum) row, deterministically: within each
    (lang, label, stratum) group the rows, ordered by the SHA-1 of `lang<TAB>phrase` (case-folded), alternate
    dev, test, dev, ...; so both halves hold about half of the positives of each language and stratum."""
    groups: dict[tuple[str, int, str], list[int]] = {}
    for index, (_, lang, label, stratum) in enumerate(rows):
        groups.setdefault((lang, label, stratum), []).append(index)
    splits = [""] * len(rows)
    for members in groups.values():
        ordered = sorted(
            members, key=lambda i: hashlib.sha1(f"{rows[i][1]}\t{rows[i][0].casefold()}".encode()).digest()
        )
        for rank, index in enumerate(ordered):
            splits[index] = "dev" if rank % 2 == 0 else "test"
    return splits


def read_heldout(path: Path) -> list[LabeledPhrase]:
    """Hand labels: `phrase<TAB>lang<TAB>label` lines; `#` starts a comment."""
    return [LabeledPhrase(fields[0], fields[1], label) for fields, label in read_label_file(path, "phrase<TAB>lang")]
