"""The Chinese NER choices compared on the Taobao NER dev split (Jie et al. 2019), written to
benchmarks/results/ner_zh.json.

    python benchmarks/ner_choices.py            # every choice, one after another (about 40 minutes on 2 CPUs)
    python benchmarks/ner_choices.py --quick    # the old default and the chosen one
    python benchmarks/ner_choices.py --choice chosen_seed_7 --choice 10_epochs

Each choice trains from scratch on the jie2019 train split (plus, where named, other data mapped to CATEGORY /
BRAND / MODEL, without the titles that occur in the dev split) and is scored by spaCy's entity scorer on the dev
split: exact spans, micro F1 over the three labels, as kg_builder/textual/ner.py reports it. `dev_f1_unseen` is
the same on the dev titles that do not occur verbatim in jie2019 train (about half of them do). `train_seconds` counts
training and dev scoring; the machine is shared, so expect ±15 %. Each measured choice is merged into the JSON file
as soon as it is done; its `dev_f1` is the chosen choice's (the defaults of NerSettings)."""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import replace
from typing import Any
from unittest import mock

from spacy.language import Language
from spacy.tokens import Doc

from kg_builder.config import PATHS
from kg_builder.sources.tagged_titles import read_tagged_titles
from kg_builder.textual import ner
from kg_builder.textual.ner import AnnotatedTitle, NerSettings, train_ner

RESULTS = PATHS.benchmark_results / "ner_zh.json"
CHOSEN = "chosen"
# Other NER data, with only the labels that mean the same: Ding et al.'s HC product word and HP brand (no model
# label, so its model numbers are unmarked); the JD sample's numeric types read from its spans (4 / 40 product
# words, 1 / 37 brands, 38 models such as 荣耀8; the competition never published their names).
EXTRA = {
    "ding2019": ("taobao_ecommerce_ner_ding2019/train.txt.bieos", {"HC": "CATEGORY", "HP": "BRAND"}),
    "jd_gaiic2022": (
        "jd_gaiic2022_title_ner_sample/train_500.txt",
        {"4": "CATEGORY", "40": "CATEGORY", "1": "BRAND", "37": "BRAND", "38": "MODEL"},
    ),
}


def bigram_norms(nlp: Language, text: str, lang: str) -> Doc:
    """ner.make_doc for spaCy's `ner` with character bigrams: each character's NORM is the bigram it starts (the
    CNN over neighbouring tokens then sees the bigrams around it; PREFIX still holds the character)."""
    doc = Doc(nlp.vocab, words=list(text), spaces=[False] * len(text))
    for index, token in enumerate(doc):
        token.norm_ = text[index : index + 2]
    return doc


def extra_titles(name: str, dev_texts: set[str]) -> list[AnnotatedTitle]:
    path, labels = EXTRA[name]
    return [
        AnnotatedTitle(t.text, tuple((s.start, s.end, labels[s.label]) for s in t.spans if s.label in labels))
        for t in read_tagged_titles(PATHS.shared_data / path)
        if t.text not in dev_texts
    ]


def choice(settings: NerSettings, bigrams: bool = False, extra: tuple[str, ...] = ()) -> Callable[..., Any]:
    """How to measure a choice: NerSettings, for spaCy's `ner` whether to add bigram NORMs, which other data."""

    def run(train: list[AnnotatedTitle], dev: list[AnnotatedTitle], unseen: list[AnnotatedTitle]) -> dict[str, Any]:
        added = [t for name in extra for t in extra_titles(name, {d.text for d in dev})]
        with mock.patch.object(ner, "make_doc", bigram_norms) if bigrams else nullcontext():
            nlp, metrics = train_ner("zh", train[: settings.max_train] + added, dev, settings, progress=False)
            unseen_f1 = nlp.evaluate(ner.to_examples(nlp, unseen, "zh"))["ents_f"]
        return {
            "dev_f1": metrics["entity_f1"],
            "precision": metrics["entity_precision"],
            "recall": metrics["entity_recall"],
            "per_label_f1": {label: scores["f"] for label, scores in sorted(metrics["per_label"].items())},
            "dev_f1_unseen": round(float(unseen_f1), 4),
            "train_titles": metrics["train_titles"],
            "settings": settings.__dict__,
            "extra_data": list(extra),
        }

    return run


SPACY = NerSettings(zh_model="spacy", dropout=0.2)  # spaCy's `ner` with the old dropout, all titles, 10 epochs
CHOICES: dict[str, tuple[str, Callable[..., Any]]] = {  # name: (what it is, how to measure it)
    "old_default": ("spaCy ner, 2,500 titles, 6 epochs", choice(replace(SPACY, max_train=2500, epochs=6))),
    "all_titles": ("spaCy ner, all 6,000 titles, 6 epochs", choice(replace(SPACY, epochs=6))),
    "10_epochs": ("spaCy ner, all titles, 10 epochs", choice(SPACY)),
    "char_bigrams": ("+ character bigrams as NORM", choice(SPACY, bigrams=True)),
    "bigrams_10k_rows": ("+ 10,000 NORM hash rows", choice(replace(SPACY, embed_size=10_000), bigrams=True)),
    "bigrams_10k_width_128": (
        "+ tok2vec width 128",
        choice(replace(SPACY, embed_size=10_000, width=128), bigrams=True),
    ),
    CHOSEN: ("BiLSTM-CRF over characters + bigrams, all titles, 10 epochs (NerSettings())", choice(NerSettings())),
    "chosen_seed_7": ("the chosen one with seed 7 (seed noise)", choice(NerSettings(seed=7))),
    "chosen_ding2019": (
        "the chosen one, 6 epochs (as many updates), + ding2019 train (HC, HP)",
        choice(NerSettings(epochs=6, max_train=10_000), extra=("ding2019",)),
    ),
    "chosen_jd_gaiic2022": (
        "the chosen one + the jd_gaiic2022 sample",
        choice(NerSettings(max_train=10_000), extra=("jd_gaiic2022",)),
    ),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="only the old default and the chosen one")
    parser.add_argument("--choice", choices=list(CHOICES), action="append", help="the choices to measure")
    args = parser.parse_args()
    names = args.choice or (["old_default", CHOSEN] if args.quick else list(CHOICES))
    train = [t for t in ner.zh_titles(PATHS.shared_data / ner.ZH_TRAIN) if t.text.strip()]
    dev = [t for t in ner.zh_titles(PATHS.shared_data / ner.ZH_DEV) if t.text.strip()]
    unseen = [t for t in dev if t.text not in {x.text for x in train}]
    report: dict[str, Any] = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    report.setdefault("choices", {})
    report.update(
        {
            "chosen": CHOSEN,
            "dev_titles": len(dev),
            "dev_titles_unseen": len(unseen),
            "train_file": ner.ZH_TRAIN,
            "dev_file": ner.ZH_DEV,
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs (shared)",
        }
    )
    for name in names:
        started, load = time.perf_counter(), os.getloadavg()[0]
        description, measure = CHOICES[name]
        figures = {"description": description, **measure(train, dev, unseen)}
        figures["train_seconds"] = round(time.perf_counter() - started, 1)
        figures["load_average_at_start"] = round(load, 2)
        print(f"{name}: F1 {figures['dev_f1']} {figures['per_label_f1']} in {figures['train_seconds']} s", flush=True)
        report["choices"][name] = figures
        report["dev_f1"] = report["choices"].get(CHOSEN, {}).get("dev_f1")
        RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
