"""Real customer questions with the answers they got: Taobao service dialogues (zh), Amazon ePQA (en)."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_QUESTION_ZH = re.compile(r"[吗么？?]|怎么|多久|什么|几天|有没有|能不能|可以|哪")
_CJK_GAP = re.compile(
    r"(?<=[\u3400-\u9fff\uff00-\uffef]) (?=[\u3400-\u9fff\uff00-\uffef\w])|(?<=\w) (?=[\u3400-\u9fff])"
)
_STORE_TOPIC_ZH = re.compile(
    r"发货|快递|包邮|邮费|运费|退货|退换|换货|优惠|活动|保质期|赠品|送|正品|尺码|口味|保存|发票|到货|几天|多久|什么时候"
)
_CONTEXT_BOUND_ZH = re.compile(r"^(那|这|它|怎么有|那个|这个|还有)")
MIN_ANSWER = 6


@dataclass(frozen=True)
class CustomerQuestion:
    """A question a customer asked, the answer given, and where it came from."""

    question: str
    answer: str
    lang: str
    source: str


def join_tokens(text: str) -> str:
    """Undo word segmentation: drop the spaces between Chinese characters, keep those between Latin words."""
    return _CJK_GAP.sub("", text.strip())


def dialogue_turns(path: Path) -> Iterator[tuple[int, int, str, str]]:
    """(line, turn number, customer turn, reply) of every true dialogue (label 1) of an ECD file, words joined."""
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            fields = line.rstrip("\n").split("\t")
            if len(fields) < 3 or fields[0] != "1":
                continue
            turns = [join_tokens(turn) for turn in fields[1:]]
            for turn, (customer, reply) in enumerate(zip(turns[0::2], turns[1::2], strict=False)):
                yield number, turn, customer, reply


def read_dialogue_questions(path: Path, label: str) -> Iterator[CustomerQuestion]:
    """Customer turns that ask something, each with the service reply that follows (ECD format)."""
    for number, _, customer, reply in dialogue_turns(path):
        if _is_standalone_question(customer) and len(reply) >= MIN_ANSWER:
            yield CustomerQuestion(customer, reply, "zh", f"{label}#L{number}")


def _is_standalone_question(text: str) -> bool:
    """A question about a store topic that makes sense without the turns before it."""
    return (
        len(text) >= 5
        and bool(_QUESTION_ZH.search(text) and _STORE_TOPIC_ZH.search(text))
        and not _CONTEXT_BOUND_ZH.search(text)
    )


def read_product_questions(path: Path, label: str, title_pattern: re.Pattern[str]) -> Iterator[CustomerQuestion]:
    """Answered ePQA questions about products whose title matches `title_pattern`, one per question id."""
    seen: set[str] = set()
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=2):
            answer = (row.get("answer") or "").strip()
            if row.get("qid") in seen or len(answer) < MIN_ANSWER or not title_pattern.search(row.get("title", "")):
                continue
            seen.add(row["qid"])
            yield CustomerQuestion(row["question"].strip(), answer, "en", f"{label}#L{number} (qid {row['qid']})")
