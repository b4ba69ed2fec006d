"""The FAQ fallback in process: BM25 over a hand-made FAQ list (no encoder, no graph), and the reply when no ranker
is calibrated."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from actions.assistant import ShoppingAssistant
from actions.entity_linking import EntityLinker
from actions.faq import FaqAnswerer, FaqFallback
from actions.messages import say
from kg_builder.faq.scoring import bm25_scorer
from kg_builder.faq.store_ranker import on_text

FAQS = [
    {"id": "f1", "question": "怎么退货？", "answer": "七天内可以无理由退货，联系客服即可。", "lang": "zh"},
    {"id": "f2", "question": "发什么快递？", "answer": "默认发中通快递，偏远地区发邮政。", "lang": "zh"},
    {"id": "f3", "question": "可以开发票吗？", "answer": "可以，下单时备注发票抬头。", "lang": "zh"},
    {"id": "f4", "question": "How do I return an item?", "answer": "Free returns within seven days.", "lang": "en"},
    {"id": "f5", "question": "Which courier do you ship with?", "answer": "UPS by default.", "lang": "en"},
    {"id": "f6", "question": "Can I get an invoice?", "answer": "Yes, add the title to your order note.", "lang": "en"},
]
# BM25 of the top FAQ of the language: about 7 and 17 for the returns questions below, about 3.5 off topic
THRESHOLD = 5.0


class FaqOnlyStore:
    """The two store calls the FAQ flow needs: no entity names, the FAQ list."""

    def entity_names(self) -> list[dict[str, Any]]:
        return []

    def faqs(self) -> list[dict[str, Any]]:
        return FAQS

    def value_names(self) -> list[str]:
        return []


def assistant() -> ShoppingAssistant:
    answerer = FaqAnswerer(FAQS, on_text(bm25_scorer()), {"zh": THRESHOLD, "en": THRESHOLD})
    return ShoppingAssistant(FaqOnlyStore(), linker=EntityLinker([]), faq=answerer)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("question", "faq", "answer"),
    [
        ("怎么退货", "f1", "七天内可以无理由退货，联系客服即可。"),
        ("How do I return it?", "f4", "Free returns within seven days."),
    ],
)
def test_a_confident_match_answers_with_the_faq(question: str, faq: str, answer: str) -> None:
    reply = assistant().faq(question, focus="item-1")
    assert reply.text.startswith(answer + "\n")
    assert reply.payload is not None and reply.payload["type"] == "faq" and reply.payload["faq"] == faq
    assert reply.payload["score"] >= THRESHOLD
    assert reply.item_in_focus == "item-1"


@pytest.mark.parametrize(("question", "language"), [("今天天气怎么样", "zh"), ("what is the weather like", "en")])
def test_a_match_below_the_threshold_passes_the_question_to_the_host(question: str, language: str) -> None:
    reply = assistant().faq(question)
    assert reply.text == say("pass_to_host", language)
    assert reply.payload == {"type": "pass_to_host", "question": question, "best_faq": reply.payload["best_faq"]}
    assert reply.payload["best_faq"] in {faq["id"] for faq in FAQS}


def test_without_a_calibrated_ranker_the_reply_says_the_faq_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        FaqAnswerer.load(FaqOnlyStore(), tmp_path / "store_ranker.json")  # type: ignore[arg-type]
    fallback = FaqFallback(FaqOnlyStore(), path=tmp_path / "store_ranker.json")  # type: ignore[arg-type]
    for question, language in (("怎么退货", "zh"), ("How do I return it?", "en")):
        reply = fallback.reply(question, language, None)
        assert reply.text == say("faq_unavailable", language)
        assert reply.text != say("pass_to_host", language)
        unavailable = {"type": "pass_to_host", "question": question, "best_faq": None, "faq_unavailable": True}
        assert reply.payload == unavailable
