"""Held-out quality of the learned text steps, written to benchmarks/results/quality.json (issue 12).

    python benchmarks/quality.py            # every part measured so far
    python benchmarks/quality.py --part faq

Parts:
- faq: the FAQ fallback on real customer questions mapped by hand to the store FAQs (kg_builder/faq/
  store_evaluation.py): BM25, the pretrained encoder (multilingual-e5-small) and their standardised sum; R@1 and
  MRR on the answerable test questions, the threshold chosen on dev, the precision of the answered test questions.
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
from kg_builder.faq.scoring import bm25_scorer, encoder_scorer, fused_scorer
from kg_builder.faq.store_evaluation import evaluate, read_heldout_questions, read_store_faqs
from kg_builder.textmodels.encoder import text_encoder
from kg_builder.textual.encoder_heads import measure_poi_mining, measure_satisfy, read_labelled

RESULTS = PATHS.benchmark_results / "quality.json"


def faq_quality() -> dict[str, Any]:
    """The FAQ section: every ranker per language; the section's own figures are those of the ranker with the best
    R@1 on the dev halves."""
    faqs = read_store_faqs(PATHS.knowledge / "store_faqs.jsonl")
    questions = read_heldout_questions(PATHS.knowledge / "faq_heldout.tsv")
    encoder = text_encoder()
    rankers = {
        "bm25": bm25_scorer(),
        "encoder": encoder_scorer(encoder),
        "encoder + bm25": fused_scorer(encoder_scorer(encoder), bm25_scorer()),
    }
    measured = {name: evaluate(scorer, questions, faqs) for name, scorer in rankers.items()}
    for name, languages in measured.items():
        for lang, figures in languages.items():
            print(f"faq {name:15} {lang}: {figures}")
    best = max(measured, key=lambda name: sum(measured[name][lang]["dev_r1"] or 0 for lang in measured[name]))
    return {
        **measured[best],
        "ranker": best,
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
