"""Scoring candidate answers for a question: BM25 (lexical), the trained matcher (cosine), and their sum after
standardising each within the candidate list (the ranking the assistant uses). Importing this module loads no
torch: only the trained matcher's scorer needs it."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from kg_builder.faq.features import features

if TYPE_CHECKING:
    from kg_builder.faq.matcher import QAMatcher
    from kg_builder.textmodels.encoder import CachedEncoder

Scorer = Callable[[str, Sequence[str]], list[float]]


def bm25_scorer(k1: float = 1.2, b: float = 0.75) -> Scorer:
    """BM25 over the matcher's n-gram features, with document statistics from each candidate list."""

    def score(question: str, candidates: Sequence[str]) -> list[float]:
        docs = [Counter(features(c)) for c in candidates]
        average = sum(sum(d.values()) for d in docs) / len(docs)
        df = Counter(gram for d in docs for gram in d)
        result = []
        for doc in docs:
            length, total = sum(doc.values()), 0.0
            for gram in set(features(question)):
                if gram in doc:
                    idf = math.log(1 + (len(docs) - df[gram] + 0.5) / (df[gram] + 0.5))
                    total += idf * doc[gram] * (k1 + 1) / (doc[gram] + k1 * (1 - b + b * length / average))
            result.append(total)
        return result

    return score


def matcher_scorer(model: QAMatcher) -> Scorer:
    """Cosine of the trained towers (torch is imported here, on first use: BM25 alone needs none)."""
    import torch

    @torch.no_grad()
    def score(question: str, candidates: Sequence[str]) -> list[float]:
        return (model.questions([question]) @ model.answers(list(candidates)).T)[0].tolist()

    return score


def standardised(values: list[float]) -> list[float]:
    if len(values) < 2:
        return [0.0 for _ in values]
    mean = sum(values) / len(values)
    spread = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1)) or 1.0
    return [(v - mean) / spread for v in values]


def encoder_scorer(encoder: CachedEncoder) -> Scorer:
    """Cosine of the pretrained sentence encoder: the question as a query, each candidate as a passage."""

    def score(question: str, candidates: Sequence[str]) -> list[float]:
        return (encoder.passages(candidates) @ encoder.query(question)).tolist()

    return score


def fused_scorer(*scorers: Scorer) -> Scorer:
    """Several scorers, each standardised over the candidates, summed."""

    def score(question: str, candidates: Sequence[str]) -> list[float]:
        columns = [standardised(scorer(question, candidates)) for scorer in scorers]
        return [sum(row) for row in zip(*columns, strict=True)]

    return score


def hybrid_scorer(model: QAMatcher) -> Scorer:
    """Matcher and BM25, each standardised over the candidates, summed."""
    return fused_scorer(matcher_scorer(model), bm25_scorer())
