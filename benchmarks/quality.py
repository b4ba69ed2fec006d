"""Held-out quality of the learned text steps, written to benchmarks/results/quality.json (issue 12).

    python benchmarks/quality.py            # every part measured so far
    python benchmarks/quality.py --part faq

Parts:
- faq: the FAQ fallback on real customer questions mapped by hand to the store FAQs of data/catalog/faqs.jsonl
  (kg_builder/faq/store_evaluation.py): BM25, the pretrained encoder (multilingual-e5-small) and the assistant's
  ranker (kg_builder/faq/store_ranker.py: e5 on question+answer and on the question, fused with BM25); R@1 and MRR on
  the answerable test questions, the threshold chosen on dev, the precision of the answered test questions.
- poi_mining, satisfy: the heads on e5 embeddings that the build uses (kg_builder/textual/encoder_heads.py).
- catalog: the category check of harvested items; nlu: Rasa's cross-validation; ner_zh: Chinese NER on its dev split.
Each part replaces its own section of the JSON file and records the encoder it used."""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

from kg_builder.catalog.loader import load_catalog
from kg_builder.config import PATHS
from kg_builder.faq.scoring import bm25_scorer, encoder_scorer
from kg_builder.faq.store_evaluation import evaluate, read_heldout_questions
from kg_builder.faq.store_ranker import RANKER_NAME, FaqRanker, on_text
from kg_builder.textmodels.encoder import text_encoder
from kg_builder.textual.encoder_heads import measure_poi_mining, measure_satisfy, read_labelled

RESULTS = PATHS.benchmark_results / "quality.json"


def faq_quality() -> dict[str, Any]:
    """The FAQ section: every ranker per language; the section's own figures are those of the assistant's ranker."""
    faqs = load_catalog(PATHS.catalog).rows["faqs"]
    questions = read_heldout_questions(PATHS.knowledge / "faq_heldout.tsv")
    encoder = text_encoder()
    rankers = {
        "bm25": on_text(bm25_scorer()),
        "encoder": on_text(encoder_scorer(encoder)),
        RANKER_NAME: FaqRanker(encoder),
    }
    measured = {name: evaluate(scorer, questions, faqs) for name, scorer in rankers.items()}
    for name, languages in measured.items():
        for lang, figures in languages.items():
            print(f"faq {name:15} {lang}: {figures}")
    return {
        **measured[RANKER_NAME],
        "ranker": RANKER_NAME,
        "rankers": measured,
        "store_faqs": len(faqs),
        "encoder": encoder.info.as_dict(),
    }


def poi_quality() -> dict[str, Any]:
    """POI mining with the encoder and a logistic head, on data/knowledge/poi_labels.tsv."""
    encoder = text_encoder()
    figures = measure_poi_mining(encoder, read_labelled(PATHS.knowledge / "poi_labels.tsv"))
    print(f"poi_mining: {figures}")
    return figures | {"encoder": encoder.info.as_dict()}


def satisfy_quality() -> dict[str, Any]:
    """value -SATISFY-> POI with the encoder and a logistic head, on data/knowledge/satisfy_labels.tsv."""
    encoder = text_encoder()
    labelled = read_labelled(PATHS.knowledge / "satisfy_labels.tsv")
    figures = measure_satisfy(encoder, load_catalog(PATHS.catalog), labelled)
    print(f"satisfy: {figures}")
    return figures | {"encoder": encoder.info.as_dict()}


def catalog_quality() -> dict[str, Any]:
    """The category check of harvested items, on data/knowledge/category_labels.tsv: the precision of the categories
    of the test items it keeps in search (`category_precision`), against the harvest's own (`precision_unchecked`)."""
    from kg_builder.catalog.category_check import category_checker, read_category_labels
    from kg_builder.textual.ner import recognise, train_or_load_ner

    encoder = text_encoder()
    catalog = load_catalog(PATHS.catalog)
    ner_zh, _ = train_or_load_ner("zh", PATHS.shared_data, PATHS.models / "kg" / "ner-zh", progress=False)

    def product_words(title: str, lang: str) -> list[str]:
        return [text for text, label in recognise(ner_zh, title, lang) if label == "CATEGORY"] if lang == "zh" else []

    labels = read_category_labels(PATHS.knowledge / "category_labels.tsv")
    classifier, _ = category_checker(encoder, catalog.rows["items"], catalog.rows["categories"], labels, product_words)
    report = classifier.report
    test = [row for row in labels if row.split == "test"]
    figures = {
        "category_precision": report["test_precision"],
        "sampled_items": len(test),
        "kept_share_of_right_items": report["test_recall"],
        "precision_unchecked": round(sum(row.label for row in test) / len(test), 3),
        "labelled_items": len(labels),
        "check": report,
    }
    print(f"catalog: {figures}")
    return figures | {"encoder": encoder.info.as_dict()}


def nlu_quality() -> dict[str, Any]:
    """The assistant's NLU (config.yml): Rasa's 3-fold cross-validation on data/nlu, run in the Rasa environment,
    and the overlap of the held-out sentences and test-story turns with training (0 by tests/unit/test_nlu_data.py)."""
    import subprocess
    import tempfile

    from kg_builder.nlu_data import nlu_sentences, story_user_turns, training_sentences

    training = training_sentences(PATHS.nlu)
    held_out = nlu_sentences(PATHS.repo / "tests" / "nlu" / "test_nlu.yml")
    turns = story_user_turns(PATHS.repo / "tests" / "stories")
    rasa = ".venv-rasa/bin/rasa"  # run in the repository
    command = [rasa, "test", "nlu", "--nlu", "data/nlu", "--config", "config.yml", "--cross-validation"]
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([*command, "--folds", "3", "--out", out], cwd=PATHS.repo, check=True)
        report = json.loads((Path(out) / "intent_report.json").read_text())
    per_intent = {name: round(v["f1-score"], 3) for name, v in report.items() if isinstance(v, dict) and "support" in v}
    figures = {
        "cv_intent_accuracy": round(report["accuracy"], 3),
        "cv_intent_f1": round(report["weighted avg"]["f1-score"], 3),
        "cv_intent_f1_per_intent": {k: v for k, v in per_intent.items() if not k.endswith("avg")},
        "heldout_overlap_with_training": len(set(held_out) & training),
        "story_turn_overlap_with_training": len(set(turns) & training),
        "training_sentences": len(training),
        "command": " ".join([*command, "--folds", "3"]),
    }
    print(f"nlu: {figures}")
    return figures


def ner_quality() -> dict[str, Any]:
    """Chinese NER (kg_builder/textual/ner.py): entity F1 on the Taobao NER dev split, from the build's model (trained
    here when missing)."""
    from kg_builder.textual.ner import train_or_load_ner

    _, metrics = train_or_load_ner("zh", PATHS.shared_data, PATHS.models / "kg" / "ner-zh", progress=False)
    figures = {
        "dev_f1": metrics["entity_f1"],
        "dev_precision": metrics["entity_precision"],
        "dev_recall": metrics["entity_recall"],
        "per_label": metrics["per_label"],
        "train_titles": metrics["train_titles"],
        "dev_titles": metrics["dev_titles"],
        "train_titles_dropped_as_dev": metrics.get("train_titles_dropped_as_dev", 0),
    }
    print(f"ner_zh: {figures}")
    return figures


PARTS = {
    "faq": faq_quality,
    "poi_mining": poi_quality,
    "satisfy": satisfy_quality,
    "catalog": catalog_quality,
    "nlu": nlu_quality,
    "ner_zh": ner_quality,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", choices=list(PARTS), action="append", help="the parts to measure (default: all)")
    args = parser.parse_args()
    report: dict[str, Any] = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    for part in args.part or list(PARTS):
        started = time.perf_counter()
        report[part] = PARTS[part]() | {"seconds": round(time.perf_counter() - started, 1)}
    report["machine"] = {"cpu_count": os.cpu_count(), "python": platform.python_version()}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"quality: {', '.join(args.part or PARTS)} -> {RESULTS}")


if __name__ == "__main__":
    main()
