"""Ranking measures of the FAQ matcher on held-out sets (R@1, MRR) and the confidence threshold below which the
assistant says it does not know."""

from __future__ import annotations

from collections.abc import Sequence

from kg_builder.faq.data import RankingSet
from kg_builder.faq.scoring import Scorer
from kg_builder.textmodels.metrics import best_threshold, roc_auc


def rank_of_first(scores: Sequence[float]) -> int:
    """1-based rank of candidate 0 (ties count against it)."""
    return 1 + sum(score >= scores[0] for score in scores[1:])


def ranking_metrics(scorer: Scorer, sets: Sequence[RankingSet]) -> dict[str, float]:
    """R@1 and MRR of the right candidate, overall and per language."""
    ranks = [(s.lang, rank_of_first(scorer(s.question, s.candidates))) for s in sets]
    result: dict[str, float] = {}
    for lang in sorted({lang for lang, _ in ranks}) + ["all"]:
        chosen = [rank for language, rank in ranks if lang in ("all", language)]
        result[f"{lang}_r1"] = sum(rank == 1 for rank in chosen) / len(chosen)
        result[f"{lang}_mrr"] = sum(1 / rank for rank in chosen) / len(chosen)
        result[f"{lang}_sets"] = len(chosen)
    return result


def confidence_threshold(ranker: Scorer, sets: Sequence[RankingSet]) -> dict[str, float]:
    """The top score above which the ranker's best candidate is trusted: best F1 of 'the top candidate is right'
    at precision >= 0.7 (a wrong answer costs more than passing the question on)."""
    tops, rights = [], []
    for s in sets:
        scores = ranker(s.question, s.candidates)
        best = max(range(len(scores)), key=scores.__getitem__)
        tops.append(scores[best])
        rights.append(int(best == 0))
    return best_threshold(tops, rights, min_precision=0.7).as_dict() | {"auc": roc_auc(tops, rights)}
