"""The shop's FAQ fallback (paper section 3, DeepQA): a shopper's question ranked against the store FAQs with the
pretrained encoder fused with BM25, and answered only above a confidence threshold chosen on held-out questions.

Three scores, each standardised over the FAQs of the question's language, are summed: e5 question against the
FAQ's question and answer (a passage), e5 question against the FAQ's question (both queries: a paraphrase), and
BM25 over the FAQ's question and answer. `calibrate` measures this ranking on the hand-mapped real customer
questions (data/knowledge/faq_heldout.tsv) and keeps each language's dev threshold; the assistant reads them from
models/faq/store_ranker.json (`python -m kg_builder faq`)."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from kg_builder.config import PATHS
from kg_builder.faq.scoring import Scorer, bm25_scorer, standardised

log = logging.getLogger(__name__)

FaqScorer = Callable[[str, Sequence[dict[str, Any]]], list[float]]
RANKER_FILE = PATHS.models / "faq" / "store_ranker.json"
RANKER_NAME = "e5 (question+answer, question) + bm25"


def faq_text(faq: dict[str, Any]) -> str:
    return f"{faq['question']} {faq['answer']}"


def on_text(scorer: Scorer) -> FaqScorer:
    """A scorer of texts as a scorer of FAQs (each FAQ's question and answer)."""
    return lambda question, faqs: scorer(question, [faq_text(faq) for faq in faqs])


class FaqRanker:
    """The fused ranking of FAQs for a question (see the module docstring)."""

    def __init__(self, encoder: Any, cache_questions: bool = True) -> None:  # a textmodels.encoder.CachedEncoder
        """`cache_questions=False` for shoppers' questions: they are embedded without being written to disk."""
        self._encoder = encoder
        self._bm25 = bm25_scorer()
        self._cache_questions = cache_questions

    def __call__(self, question: str, faqs: Sequence[dict[str, Any]]) -> list[float]:
        if not faqs:
            return []
        asked = self._encoder.query(question, cache=self._cache_questions)
        columns = [
            (self._encoder.passages([faq_text(faq) for faq in faqs]) @ asked).tolist(),
            (self._encoder.queries([faq["question"] for faq in faqs]) @ asked).tolist(),
            self._bm25(question, [faq_text(faq) for faq in faqs]),
        ]
        return [sum(row) for row in zip(*(standardised(column) for column in columns), strict=True)]


def faqs_key(faqs: Sequence[dict[str, Any]]) -> str:
    """Changes when the FAQs change (the thresholds were measured against one FAQ set)."""
    text = json.dumps(sorted((f["id"], f["lang"], f["question"], f["answer"]) for f in faqs), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def calibrate(encoder: Any, faqs: Sequence[dict[str, Any]], heldout: Path, out: Path = RANKER_FILE) -> dict[str, Any]:
    """Measure the ranking on the held-out questions, keep each language's dev threshold, write `out`."""
    from kg_builder.faq.store_evaluation import evaluate, read_heldout_questions

    figures = evaluate(FaqRanker(encoder), read_heldout_questions(heldout), faqs)
    ranker = {
        "ranker": RANKER_NAME,
        "encoder": encoder.info.as_dict(),
        "faqs": faqs_key(faqs),
        "thresholds": {lang: languages["threshold"] for lang, languages in figures.items()},
        "heldout": figures,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(ranker, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    log.info("FAQ ranker calibrated on %s: %s", heldout, figures)
    return ranker


def read_ranker(path: Path = RANKER_FILE) -> dict[str, Any]:
    """The calibrated thresholds; FileNotFoundError when `python -m kg_builder faq` has not run."""
    if not path.is_file():
        raise FileNotFoundError(f"no calibrated FAQ ranker in {path} (run `python -m kg_builder faq`)")
    return json.loads(path.read_text(encoding="utf-8"))
