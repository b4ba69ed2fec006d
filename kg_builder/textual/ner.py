"""Offline NER for product profiles as spaCy pipelines: CATEGORY, BRAND and MODEL spans in titles (Chinese, English).

Chinese: a character BiLSTM-CRF (char_tagger.py) trained on the Taobao title NER data (HCCX → CATEGORY, HPPX →
BRAND, XH → MODEL), one token per character, measured on its dev split (benchmarks/ner_choices.py compares it
with spaCy's `ner` and other choices). English: spaCy's `ner` trained on OA-Mine titles whose Brand / Model
values occur in the title, measured on OA-Mine's test split.
"""

from __future__ import annotations

import json
import logging
import random
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc
from spacy.training import Example
from tqdm import tqdm

from kg_builder.sources import datasets
from kg_builder.sources.attribute_titles import read_attribute_titles
from kg_builder.sources.tagged_titles import read_tagged_titles
from kg_builder.textual.char_tagger import train_char_tagger

log = logging.getLogger(__name__)

ZH_LABELS = {"HCCX": "CATEGORY", "HPPX": "BRAND", "XH": "MODEL"}
EN_ATTRIBUTES = {"brand": "BRAND", "brand name": "BRAND", "model name": "MODEL", "model number": "MODEL"}
ZH_TRAIN, ZH_DEV = datasets.JIE_NER_TRAIN, datasets.JIE_NER_DEV
EN_TRAIN, EN_DEV = datasets.OAMINE_TRAIN, datasets.OAMINE_TEST


@dataclass(frozen=True)
class NerSettings:
    """How to train. The defaults are the Chinese choice: all 6,000 titles, the BiLSTM-CRF, 10 epochs, 2–3.5 minutes
    on 2 shared CPUs; SETTINGS["en"] trains English as before (20 s)."""

    max_train: int = 6000
    epochs: int = 10
    dropout: float = 0.3
    batch_size: int = 32
    seed: int = 23
    exclude_dev_titles: bool = True  # train only on titles whose text is not also a dev title
    gazetteers: bool = True  # Chinese BiLSTM-CRF: brand and product-word gazetteers (Ding et al. 2019) as features
    zh_model: str = "bilstm_crf"  # or "spacy": spaCy's transition-based `ner`, which English always uses
    embed_size: int = 2000  # spaCy `ner`: rows of the NORM hash embedding (half that for PREFIX, SUFFIX, SHAPE)
    width: int = 96  # spaCy `ner`: tok2vec width


SETTINGS = {"zh": NerSettings(), "en": NerSettings(max_train=2500, epochs=6, dropout=0.2)}


@dataclass(frozen=True)
class AnnotatedTitle:
    text: str
    spans: tuple[tuple[int, int, str], ...]  # character offsets and label


def zh_titles(path: Path) -> Iterator[AnnotatedTitle]:
    for title in read_tagged_titles(path):
        spans = tuple((s.start, s.end, ZH_LABELS[s.label]) for s in title.spans if s.label in ZH_LABELS)
        yield AnnotatedTitle(title.text, spans)


def en_titles(path: Path) -> Iterator[AnnotatedTitle]:
    """Titles with the spans where their Brand and Model values occur (first occurrence, no overlaps)."""
    for row in read_attribute_titles(path):
        spans: list[tuple[int, int, str]] = []
        for name, value in row.attributes:
            label = EN_ATTRIBUTES.get(name.casefold())
            start = row.title.find(value) if label else -1
            end = start + len(value)
            if start >= 0 and all(end <= s or start >= e for s, e, _ in spans):
                spans.append((start, end, label))
        yield AnnotatedTitle(row.title, tuple(sorted(spans)))


def make_doc(nlp: Language, text: str, lang: str) -> Doc:
    """Chinese: one token per character (as the training data is tagged); English: spaCy's tokenizer."""
    if lang == "zh":
        chars = [c for c in text]
        return Doc(nlp.vocab, words=chars, spaces=[False] * len(chars))
    return nlp.make_doc(text)


def to_examples(nlp: Language, titles: Iterable[AnnotatedTitle], lang: str) -> list[Example]:
    examples = []
    for title in titles:
        if not title.text.strip():
            continue
        doc = make_doc(nlp, title.text, lang)
        ents = [{"start": s, "end": e, "label": label} for s, e, label in title.spans]
        spans = [doc.char_span(x["start"], x["end"], x["label"], alignment_mode="expand") for x in ents]
        reference = make_doc(nlp, title.text, lang)
        reference.ents = spacy.util.filter_spans([s for s in spans if s is not None])
        examples.append(Example(doc, reference))
    return examples


def train_ner(
    lang: str,
    train: Sequence[AnnotatedTitle],
    dev: Sequence[AnnotatedTitle],
    settings: NerSettings,
    progress: bool,
    gazetteers: dict[str, list[str]] | None = None,
) -> tuple[Language, dict[str, object]]:
    """Train a blank spaCy pipeline with one NER component (Chinese: the BiLSTM-CRF unless settings.zh_model is
    "spacy"; English: spaCy's `ner`); returns it and its dev-set scores."""
    nlp = spacy.blank(lang)
    titles = [t for t in list(train)[: settings.max_train] if t.text.strip()]
    if lang == "zh" and settings.zh_model == "bilstm_crf":
        tagger = nlp.add_pipe("char_bilstm_crf")
        tagger.set_gazetteers(gazetteers or {})
        spans = [(t.text, t.spans) for t in titles]
        args = settings.epochs, settings.batch_size, settings.dropout, settings.seed, progress
        losses_per_epoch = train_char_tagger(tagger, spans, *args)
    else:
        losses_per_epoch = train_spacy_ner(nlp, to_examples(nlp, titles, lang), settings, progress)
    scores = nlp.evaluate(to_examples(nlp, dev, lang))
    metrics = {
        "train_titles": len(titles),
        "dev_titles": len(dev),
        "entity_precision": round(float(scores["ents_p"]), 4),
        "entity_recall": round(float(scores["ents_r"]), 4),
        "entity_f1": round(float(scores["ents_f"]), 4),
        "per_label": {
            k: {m: round(float(v), 4) for m, v in d.items()} for k, d in (scores["ents_per_type"] or {}).items()
        },
        "epoch_losses": losses_per_epoch,
    }
    return nlp, metrics


def train_spacy_ner(nlp: Language, examples: list[Example], settings: NerSettings, progress: bool) -> list[float]:
    """Add spaCy's `ner` to the blank pipeline and train it; returns the loss of each epoch."""
    tok2vec = {"embed_size": settings.embed_size, "width": settings.width}
    ner = nlp.add_pipe("ner", config={"model": {"tok2vec": tok2vec}})
    for label in sorted({ent.label_ for eg in examples for ent in eg.reference.ents}):
        ner.add_label(label)
    rng = random.Random(settings.seed)
    spacy.util.fix_random_seed(settings.seed)
    optimizer = nlp.initialize(lambda: examples)
    losses_per_epoch = []
    total = settings.epochs * len(examples)
    with tqdm(total=total, desc=f"NER {nlp.lang}", unit="title", disable=not progress, file=sys.stderr) as bar:
        for _ in range(settings.epochs):
            rng.shuffle(examples)
            losses: dict[str, float] = {}
            for batch in spacy.util.minibatch(examples, size=settings.batch_size):
                nlp.update(batch, sgd=optimizer, drop=settings.dropout, losses=losses)
                bar.update(len(batch))
            losses_per_epoch.append(round(float(losses.get("ner", 0.0)), 2))
    return losses_per_epoch


NER_STAMP = "ner-metrics.json"  # settings and metrics, written with each newly trained pipeline


def train_or_load_ner(
    lang: str, data_dir: Path, folder: Path, settings: NerSettings | None = None, progress: bool = True
) -> tuple[Language, dict[str, object]]:
    """The pipeline saved in `folder` if trained with these settings (default: SETTINGS[lang]), else a new one
    (saved with its metrics)."""
    settings = settings or SETTINGS[lang]
    stamp = folder / NER_STAMP
    key = json.dumps(settings.__dict__, sort_keys=True)
    if stamp.is_file():
        saved = json.loads(stamp.read_text(encoding="utf-8"))
        if saved.get("settings") == key:
            return spacy.load(folder / "pipeline"), saved["metrics"]
    reader = zh_titles if lang == "zh" else en_titles
    train_file, dev_file = (ZH_TRAIN, ZH_DEV) if lang == "zh" else (EN_TRAIN, EN_DEV)
    train, dev = list(reader(data_dir / train_file)), list(reader(data_dir / dev_file))
    held_out = without_dev_titles(train, dev) if settings.exclude_dev_titles else train
    if len(held_out) < len(train):
        log.info(
            "NER %s: %d training titles are also dev titles; trained without them", lang, len(train) - len(held_out)
        )
    gazetteers = read_gazetteers(data_dir / datasets.DING_GAZETTEERS) if lang == "zh" and settings.gazetteers else None
    nlp, metrics = train_ner(lang, held_out, dev, settings, progress, gazetteers)
    metrics["train_titles_dropped_as_dev"] = len(train) - len(held_out)
    folder.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(folder / "pipeline")
    metrics = {"train_file": datasets.provenance(train_file), "dev_file": datasets.provenance(dev_file), **metrics}
    stamp.write_text(json.dumps({"settings": key, "metrics": metrics}, indent=2, ensure_ascii=False), encoding="utf-8")
    return nlp, metrics


def read_gazetteers(folder: Path) -> dict[str, list[str]]:
    """Ding et al.'s gazetteers as {"BRAND": words, "CATEGORY": words} (brand*.dic, product*.dic)."""
    found = {}
    for label, pattern in (("BRAND", "brand*.dic"), ("CATEGORY", "product*.dic")):
        words = {line.strip() for path in sorted(folder.glob(pattern)) for line in path.read_text("utf-8").splitlines()}
        found[label] = sorted(word for word in words if word)
    if not any(found.values()):
        raise FileNotFoundError(f"no brand*.dic or product*.dic gazetteer in {folder}")
    return found


def without_dev_titles(train: Sequence[AnnotatedTitle], dev: Sequence[AnnotatedTitle]) -> list[AnnotatedTitle]:
    """The training titles whose text (whitespace and case aside) is not also a dev title."""
    seen = {normalised_title(t.text) for t in dev}
    return [t for t in train if normalised_title(t.text) not in seen]


def normalised_title(text: str) -> str:
    return "".join(text.split()).casefold()


def recognise(nlp: Language, text: str, lang: str) -> list[tuple[str, str]]:
    """(entity text, label) pairs found in a title."""
    doc = nlp(make_doc(nlp, text, lang))
    return [(ent.text, ent.label_) for ent in doc.ents]
