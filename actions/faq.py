"""DeepQA fallback: the store FAQ that best answers the shopper's question, ranked by the pretrained encoder fused
with BM25 (kg_builder.faq.store_ranker), or "I don't know, I'll pass it to the host" below the confidence threshold
that `python -m kg_builder faq` chose on held-out customer questions (per language).

The ranker is set up when the first FAQ question comes, not when the action server starts; without a calibrated
ranker, the FAQ step says that it is unavailable."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from actions.graph_store import GraphStore
from actions.messages import say
from actions.reply import Reply
from kg_builder.faq.store_ranker import RANKER_FILE, FaqRanker, FaqScorer, faqs_key, read_ranker

MAX_QUESTION_CHARS = 500

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
    """Ranks the FAQs (dicts with id, question, answer, lang) of the question's language with a scorer; the top
    one is confident from its language's threshold on (the score is the top score over all of them, as calibrated)."""

    def __init__(self, faqs: list[dict[str, Any]], scorer: FaqScorer, thresholds: Mapping[str, float]) -> None:
        self._faqs = faqs
        self._scorer = scorer
        self.thresholds = dict(thresholds)

    @classmethod
    def load(cls, store: GraphStore, path: Path = RANKER_FILE) -> FaqAnswerer:
        """The calibrated ranker over the graph's FAQs; FileNotFoundError without a calibration."""
        calibration = read_ranker(path)
        faqs = store.faqs()
        if calibration["faqs"] != faqs_key(faqs):
            logger.warning("the FAQs changed since %s was calibrated: run `python -m kg_builder faq` again", path)
        from kg_builder.textmodels.encoder import text_encoder

        return cls(faqs, FaqRanker(text_encoder(), cache_questions=False), calibration["thresholds"])

    def best(self, text: str, language: str) -> FaqMatch | None:
        """The top FAQ (None when there are no FAQs or no text)."""
        faqs = [f for f in self._faqs if f["lang"] == language] or self._faqs
        if not faqs or not text.strip():
            return None
        scores = self._scorer(text[:MAX_QUESTION_CHARS], faqs)
        top = max(range(len(faqs)), key=scores.__getitem__)
        faq, score = faqs[top], scores[top]
        threshold = self.thresholds.get(faq["lang"])
        confident = threshold is not None and score >= threshold
        return FaqMatch(faq["id"], faq["question"], faq["answer"], score, confident)


def faq_model_available(path: Path = RANKER_FILE) -> bool:
    """True when a calibrated ranker is stored (checks the file only: loads no model)."""
    return path.is_file()


def faq_reply(found: FaqMatch, language: str, focus: str | None) -> Reply:
    """A FAQ's answer, with the question it answers so the user can judge the match."""
    return Reply(
        say("faq_answer", language, question=found.question, answer=found.answer),
        item_in_focus=focus,
        payload={"type": "faq", "faq": found.id, "score": round(found.score, 3)},
    )


class FaqFallback:
    """The FAQ step of a conversation over an answerer: the one passed in, else the calibrated one of `path`,
    loaded on first use (tried again on each question until there is one)."""

    def __init__(self, store: GraphStore, answerer: FaqAnswerer | None = None, path: Path = RANKER_FILE) -> None:
        self._store = store
        self._answerer = answerer
        self._path = path

    def match(self, text: str, language: str) -> FaqMatch | None:
        """The best FAQ for the text; None when there is none or no calibrated ranker."""
        if self._answerer is None:
            try:
                self._answerer = FaqAnswerer.load(self._store, self._path)
            except FileNotFoundError:
                logger.debug("no calibrated FAQ ranker in %s: the FAQ step is unavailable", self._path)
                return None
        return self._answerer.best(text, language)

    def reply(self, text: str, language: str, focus: str | None) -> Reply:
        """The most similar FAQ when the matcher is confident, else: not known, passed on to the host (saying that
        the FAQ is unavailable when no ranker is calibrated)."""
        found = self.match(text, language)
        if found is not None and found.confident:
            return faq_reply(found, language, focus)
        best = found.id if found else None
        payload: dict[str, Any] = {"type": "pass_to_host", "question": text[:MAX_QUESTION_CHARS], "best_faq": best}
        if self._answerer is None:
            payload["faq_unavailable"] = True
            return Reply(say("faq_unavailable", language), item_in_focus=focus, payload=payload)
        return Reply(say("pass_to_host", language), item_in_focus=focus, payload=payload)
