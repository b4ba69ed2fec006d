"""DeepQA fallback: the FAQ most similar to the user's question, from the matcher trained on real customer
questions (`python -m kg_builder faq`), or "I don't know, I'll pass it to the host" below its threshold.

The trained matcher (and torch with it) is loaded when the first FAQ question comes, not when the action server
starts; without one, the FAQ step says that it is unavailable."""

from __future__ import annotations

import logging
import random
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from actions.graph_store import GraphStore
from actions.messages import say
from actions.reply import Reply
from kg_builder.config import PATHS
from kg_builder.faq.data import CANDIDATES
from kg_builder.faq.features import has_matcher
from kg_builder.faq.scoring import Scorer

FAQ_MODEL = PATHS.models / "faq"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FaqMatch:
    """The best FAQ for a question, its score, and whether the score reaches the threshold."""

    id: str
    question: str
    answer: str
    score: float
    confident: bool


class FaqAnswerer:
    """Ranks FAQs (dicts with id, question, answer, lang) of the question's language with a scorer; a match is
    confident from the threshold on."""

    def __init__(self, faqs: list[dict[str, Any]], scorer: Scorer, threshold: float) -> None:
        self._faqs = faqs
        self._scorer = scorer
        self.threshold = threshold

    @classmethod
    def load(cls, store: GraphStore, folder: Path = FAQ_MODEL) -> FaqAnswerer:
        """The trained matcher (with BM25, as measured) over the graph's FAQs; FileNotFoundError without one."""
        if not has_matcher(folder):
            raise FileNotFoundError(f"no FAQ matcher in {folder} (train one with `python -m kg_builder faq`)")
        from kg_builder.faq.matcher import load_matcher  # torch: only once an FAQ question comes
        from kg_builder.faq.scoring import hybrid_scorer

        model, metadata = load_matcher(folder)
        return cls(store.faqs(), hybrid_scorer(model), float(metadata["threshold"]["threshold"]))

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


def faq_model_available(folder: Path = FAQ_MODEL) -> bool:
    """True when a trained matcher is stored (checks the file only: loads no model)."""
    return has_matcher(folder)


def faq_reply(found: FaqMatch, language: str, focus: str | None) -> Reply:
    """A FAQ's answer, with the question it answers so the user can judge the match."""
    return Reply(
        say("faq_answer", language, question=found.question, answer=found.answer),
        item_in_focus=focus,
        payload={"type": "faq", "faq": found.id, "score": round(found.score, 3)},
    )


class FaqFallback:
    """The FAQ step of a conversation over an answerer: the one passed in, else the trained one of `folder`,
    loaded on first use (tried again on each question until one is trained)."""

    def __init__(self, store: GraphStore, answerer: FaqAnswerer | None = None, folder: Path = FAQ_MODEL) -> None:
        self._store = store
        self._answerer = answerer
        self._folder = folder

    def match(self, text: str, language: str) -> FaqMatch | None:
        """The best FAQ for the text; None when there is none or no trained matcher."""
        if self._answerer is None:
            try:
                self._answerer = FaqAnswerer.load(self._store, self._folder)
            except FileNotFoundError:
                logger.debug("no FAQ matcher in %s: the FAQ step is unavailable", self._folder)
                return None
        return self._answerer.best(text, language)

    def reply(self, text: str, language: str, focus: str | None) -> Reply:
        """The most similar FAQ when the matcher is confident, else: not known, passed on to the host (saying that
        the FAQ is unavailable when no matcher is trained)."""
        found = self.match(text, language)
        if found is not None and found.confident:
            return faq_reply(found, language, focus)
        best = found.id if found else None
        payload: dict[str, Any] = {"type": "pass_to_host", "question": text[:500], "best_faq": best}
        if self._answerer is None:
            payload["faq_unavailable"] = True
            return Reply(say("faq_unavailable", language), item_in_focus=focus, payload=payload)
        return Reply(say("pass_to_host", language), item_in_focus=focus, payload=payload)
