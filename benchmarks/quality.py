"""Held-out quality of the learned text steps, written to benchmarks/results/quality.json (issue 12).

    python benchmarks/quality.py            # every part measured so far
    python benchmarks/quality.py --part faq

Parts:
- faq: the FAQ fallback on real customer questions mapped by hand to the store FAQs of data/catalog/faqs.jsonl
  (kg_builder/faq/store_evaluation.py): BM25, the pretrained encoder (multilingual-e5-small) and the assistant's
  ranker (kg_builder/faq/store_ranker.py: e5 on question+answer and on the question, fused with BM25); R@1 and MRR on
  the answerable test questions, the threshold chosen on dev, the precision of the answered test questions.
- poi_mining, satisfy: the heads on e5 embeddings that the build uses (kg_builder/textual/encoder_heads.py).
Each part replaces its own section of the JSON file and records the encoder it used."""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
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


PARTS = {"faq": faq_quality, "poi_mining": poi_quality, "satisfy": satisfy_quality}


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
