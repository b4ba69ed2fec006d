"""POI mining: phrase candidates from product texts, distant labels, a BERT (phrase, context) classifier.

Distant labels come from the catalog: a candidate that is the name or alias of a curated POI, or a
selling-point value of the value lexicon, is positive; one that names a category, brand, property,
model or a plain fact (origin, gender, season, size, colour) is negative; the rest stay unlabelled.
A held-out set sampled from all candidates is labelled by hand (data/knowledge/poi_heldout.tsv) and
never trained on.
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
from kg_builder.textmodels.bert import DEFAULT_BASE_MODEL
from kg_builder.textmodels.classifier import Example, TrainSettings
from kg_builder.textmodels.metrics import best_threshold, read_label_file, roc_auc, score_at
from kg_builder.textmodels.training import train_or_load
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
UNLABELLED_PER_POSITIVE = 2
HELDOUT_POOL = 1200  # the held-out sample is drawn from this many most frequent candidates per language
LABELLING_RANDOM_PER_LANGUAGE = 120  # more random phrases per language for the larger hand-labelled set
LABELLING_DISTANT_PER_LANGUAGE = 60  # phrases per language from the candidates the distant labels call positive
LABELLING_SEED = 12
RANDOM_STRATUM = "random"
DISTANT_STRATUM = "distant-positive"

POI_TRAINING = TrainSettings(epochs=30, learning_rate=3e-4)


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


def heldout_sample(candidates: Sequence[Candidate], lang: str, seed: int = 7) -> list[Candidate]:
    """The candidates of one language to label by hand: a fixed random sample of the most frequent ones."""
    pool = sorted((c for c in candidates if c.lang == lang), key=lambda c: (-c.count, c.phrase))[:HELDOUT_POOL]
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
    pool = [c for c in ranked[:HELDOUT_POOL] if c.phrase.casefold() not in taken]
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


def to_example(candidate: Candidate, label: int = 0) -> Example:
    """Classifier input: the phrase, paired with the first sentence it was found in."""
    context = candidate.contexts[0].text if candidate.contexts else ""
    return Example(candidate.phrase, context, label)


@dataclass(frozen=True)
class MinedPoi:
    """A phrase the classifier accepts as a POI, with its score and the sentences it came from."""

    phrase: str
    lang: str
    score: float
    sources: tuple[str, ...]


@dataclass
class PoiMiningResult:
    """Measurements on the validation split and the hand-checked held-out set, and the mined POIs."""

    metrics: dict[str, object]
    mined: list[MinedPoi]


def run_poi_mining(
    candidates: Sequence[Candidate],
    labels: dict[str, int],
    heldout: Sequence[LabeledPhrase],
    model_dir: Path,
    model_name: str = DEFAULT_BASE_MODEL,
    settings: TrainSettings = POI_TRAINING,
    progress: bool = True,
) -> PoiMiningResult:
    """Train (or re-use) the classifier on distant labels, choose a threshold, measure, and mine."""
    held = {(p.phrase.casefold(), p.lang) for p in heldout}
    by_key = {(c.phrase.casefold(), c.lang): c for c in candidates}
    trainable = [c for c in candidates if (c.phrase.casefold(), c.lang) not in held]
    train, validation = split_distant(
        [(c, label) for c in trainable if (label := distant_label(c, labels)) is not None],
        unlabelled=[c for c in trainable if distant_label(c, labels) is None],
        unlabelled_per_positive=UNLABELLED_PER_POSITIVE,
    )
    classifier, trained = train_or_load(model_dir, model_name, train, settings, progress, desc="POI classifier")
    threshold = best_threshold(classifier.probabilities(validation), [e.label for e in validation])
    held_examples = [
        to_example(by_key[(p.phrase.casefold(), p.lang)], p.label)
        if (p.phrase.casefold(), p.lang) in by_key
        else Example(p.phrase, "", p.label)
        for p in heldout
    ]
    held_probs = classifier.probabilities(held_examples)
    metrics: dict[str, object] = {
        "model": model_name,
        "trained_now": trained,
        "candidates": len(candidates),
        "train_examples": len(train),
        "validation_examples": len(validation),
        "threshold": threshold.as_dict(),
        "heldout": {"all": _held_scores(heldout, held_probs, threshold.threshold, None)}
        | {lang: _held_scores(heldout, held_probs, threshold.threshold, lang) for lang in ("zh", "en")},
    }
    unlabelled = [c for c in candidates if distant_label(c, labels) is None]
    probs = classifier.probabilities([to_example(c) for c in unlabelled])
    mined = [
        MinedPoi(c.phrase, c.lang, round(p, 4), tuple(s.source for s in c.contexts))
        for c, p in zip(unlabelled, probs, strict=True)
        if p >= threshold.threshold
    ]
    metrics["mined"] = len(mined)
    return PoiMiningResult(metrics, sorted(mined, key=lambda m: (-m.score, m.phrase)))


def split_distant(
    labelled: Sequence[tuple[Candidate, int]],
    negatives_per_positive: int = 3,
    validation_share: float = 0.15,
    seed: int = 11,
    unlabelled: Sequence[Candidate] = (),
    unlabelled_per_positive: int = 0,
) -> tuple[list[Example], list[Example]]:
    """Balance (at most `negatives_per_positive` negatives per positive) and split into train and validation.

    PU learning: `unlabelled_per_positive` unlabelled candidates per positive are added as negatives (most
    unlabelled phrases are not POIs; the few that are only blur the boundary)."""
    rng = random.Random(seed)
    positives = [to_example(c, 1) for c, label in labelled if label == 1]
    negatives = [to_example(c, 0) for c, label in labelled if label == 0]
    negatives = rng.sample(negatives, min(len(negatives), negatives_per_positive * len(positives)))
    pool = list(unlabelled)
    negatives += [to_example(c, 0) for c in rng.sample(pool, min(len(pool), unlabelled_per_positive * len(positives)))]
    examples = positives + negatives
    rng.shuffle(examples)
    cut = max(1, int(len(examples) * validation_share))
    return examples[cut:], examples[:cut]


def _held_scores(
    heldout: Sequence[LabeledPhrase], probs: Sequence[float], threshold: float, lang: str | None
) -> dict[str, object]:
    pairs = [(p, h.label) for h, p in zip(heldout, probs, strict=True) if lang is None or h.lang == lang]
    scores = score_at([p for p, _ in pairs], [y for _, y in pairs], threshold).as_dict()
    return scores | {"auc": round(roc_auc([p for p, _ in pairs], [y for _, y in pairs]), 4)}
