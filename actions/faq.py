"""DeepQA fallback: the FAQ most similar to the user's question, from the matcher trained on real customer
questions (`python -m kg_builder faq`), or "I don't know, I'll pass it to the host" below its threshold."""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass
from pathlib import Path

from actions.graph_store import GraphStore
from kg_builder.config import PATHS
from kg_builder.faq.data import CANDIDATES
from kg_builder.faq.matcher import load_matcher
from kg_builder.faq.scoring import Scorer, hybrid_scorer

FAQ_MODEL = PATHS.models / "faq"


@dataclass(frozen=True)
class FaqMatch:
    """The best FAQ for a question, its score, and whether the score reaches the threshold."""

    id: str
    question: str
    answer: str
    score: float
    confident: bool


class FaqAnswerer:
    """Ranks the graph's FAQs of the question's language; the store and the model folder are passed in."""

    def __init__(self, store: GraphStore, folder: Path = FAQ_MODEL) -> None:
        model, metadata = load_matcher(folder)
        self._scorer: Scorer = hybrid_scorer(model)
        self.threshold = float(metadata["threshold"]["threshold"])
        self._faqs = store.faqs()

    def best(self, text: str, language: str) -> FaqMatch | None:
        """The top FAQ (None when there are no FAQs or no text)."""
        faqs = [f for f in self._faqs if f["lang"] == language] or self._faqs
        if not faqs or not text.strip():
            return None
        question = text[:500]
        entries = [f"{f['question']} {f['answer']}" for f in faqs]
        scores = self._scorer(question, entries)
        top = max(range(len(faqs)), key=scores.__getitem__)
        confidence = self._confidence(question, entries, top)
        faq = faqs[top]
        return FaqMatch(faq["id"], faq["question"], faq["answer"], confidence, confidence >= self.threshold)

    def _confidence(self, question: str, entries: list[str], top: int) -> float:
        """The top entry's score among 9 others drawn for this question: the held-out sets' shape (1 + 9), so
        the threshold measured there applies; standardised scores grow with the number of candidates."""
        others = [n for n in range(len(entries)) if n != top]
        drawn = random.Random(zlib.crc32(question.encode())).sample(others, min(CANDIDATES - 1, len(others)))
        return self._scorer(question, [entries[n] for n in [top, *drawn]])[0]
