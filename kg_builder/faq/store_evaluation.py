"""The FAQ fallback measured as a shop uses it: real customer questions (data/knowledge/faq_heldout.tsv, mapped by
hand to a store FAQ or to none) ranked against all the store FAQs of their language
(data/knowledge/store_faqs.jsonl). The confidence threshold is chosen on the dev half (best F1 of "answered and
right" at precision >= 0.8) and reported on the test half."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg_builder.textmodels.metrics import best_threshold, score_at

if TYPE_CHECKING:
    from kg_builder.faq.store_ranker import FaqScorer

NONE = "none"
MIN_PRECISION = 0.8  # an answer that is wrong costs more than passing the question to the host


@dataclass(frozen=True)
class HeldOutQuestion:
    """A real customer question and the store FAQ that answers it (None: no store FAQ does)."""

    lang: str
    question: str
    faq_id: str | None
    split: str


def read_heldout_questions(path: Path) -> list[HeldOutQuestion]:
    """The hand-mapped questions of faq_heldout.tsv (comment lines start with #; the first other row is the header)."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    return [
        HeldOutQuestion(row["lang"], row["question"], None if row["faq_id"] == NONE else row["faq_id"], row["split"])
        for row in csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
    ]


def _ranked(scorer: FaqScorer, question: HeldOutQuestion, faqs: Sequence[dict[str, Any]]) -> tuple[list[str], float]:
    """The FAQ ids of the question's language, best first, and the top score."""
    candidates = [faq for faq in faqs if faq["lang"] == question.lang]
    scores = scorer(question.question, candidates)
    order = sorted(range(len(candidates)), key=lambda n: -scores[n])
    return [candidates[n]["id"] for n in order], scores[order[0]]


def _answerable_ranks(ranked: Sequence[tuple[HeldOutQuestion, list[str], float]]) -> list[int]:
    """The rank of the right FAQ for each question that one answers."""
    return [ids.index(q.faq_id) + 1 if q.faq_id in ids else len(ids) + 1 for q, ids, _ in ranked if q.faq_id]


def evaluate(scorer: FaqScorer, questions: Sequence[HeldOutQuestion], faqs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Per language: R@1 and MRR on the answerable test questions; the threshold chosen on dev; on test, the
    precision of the answered questions (right FAQ among those at or above the threshold) and their share."""
    report: dict[str, Any] = {}
    for lang in sorted({q.lang for q in questions}):
        ranked = {split: [(q, *_ranked(scorer, q, faqs)) for q in questions if q.lang == lang and q.split == split]
                  for split in ("dev", "test")}  # fmt: skip
        ranks = _answerable_ranks(ranked["test"])
        dev_ranks = _answerable_ranks(ranked["dev"])
        dev_tops = [top for _, _, top in ranked["dev"]]
        dev_right = [int(q.faq_id is not None and ids[0] == q.faq_id) for q, ids, _ in ranked["dev"]]
        threshold = best_threshold(dev_tops, dev_right, min_precision=MIN_PRECISION).threshold
        test_tops = [top for _, _, top in ranked["test"]]
        test_right = [int(q.faq_id is not None and ids[0] == q.faq_id) for q, ids, _ in ranked["test"]]
        at = score_at(test_tops, test_right, threshold)
        answered = sum(top >= threshold for top in test_tops)
        report[lang] = {
            "test_questions": len(ranked["test"]),
            "test_answerable": len(ranks),
            "dev_r1": round(sum(rank == 1 for rank in dev_ranks) / len(dev_ranks), 3) if dev_ranks else None,
            "test_r1": round(sum(rank == 1 for rank in ranks) / len(ranks), 3) if ranks else None,
            "test_mrr": round(sum(1 / rank for rank in ranks) / len(ranks), 3) if ranks else None,
            "threshold": threshold,
            "answered_precision": round(at.precision, 3) if answered else None,
            "answered": answered,
            "answered_recall": round(at.recall, 3),
        }
    return report
