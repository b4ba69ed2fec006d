"""Question-answer pairs from the real customer-service samples of ../shared/data, and held-out ranking sets.

zh: Taobao service dialogues (ECD): each customer turn with the shop assistant's reply; the test file's contexts
(last customer turn, 1 true reply + 9 sampled ones) are the zh held-out set. en: Amazon appliance questions
(McAuley et al.) split by product, 10% of the products held out; ePQA questions with written answers train too.
"""

from __future__ import annotations

import ast
import csv
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from kg_builder.sources import datasets
from kg_builder.sources.customer_questions import dialogue_turns, join_tokens

CANDIDATES = 10


@dataclass(frozen=True)
class QAPair:
    """A question, its answer, and where it came from (`key`: pairs of one key never share a batch)."""

    question: str
    answer: str
    lang: str
    key: str


@dataclass(frozen=True)
class RankingSet:
    """A question and candidate answers; the first candidate is the right one."""

    question: str
    candidates: tuple[str, ...]
    lang: str


def ecd_pairs(path: Path) -> Iterator[QAPair]:
    """(customer turn, reply) pairs of the true dialogues (label 1) in an ECD file."""
    for number, turn, customer, reply in dialogue_turns(path):
        if customer and reply:
            yield QAPair(customer, reply, "zh", f"ecd:{number}:{turn}")


def ecd_ranking_sets(path: Path) -> list[RankingSet]:
    """The ECD test contexts: the last customer turn against its 10 candidate replies (true reply first)."""
    groups: dict[tuple[str, ...], list[tuple[int, str]]] = {}
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            fields = line.rstrip("\n").split("\t")
            if len(fields) >= 3 and fields[0] in ("0", "1"):
                groups.setdefault(tuple(fields[1:-1]), []).append((int(fields[0]), join_tokens(fields[-1])))
    sets = []
    for context, replies in groups.items():
        replies.sort(key=lambda reply: -reply[0])
        if replies[0][0] == 1:
            sets.append(RankingSet(join_tokens(context[-1]), tuple(r for _, r in replies), "zh"))
    return sets


def numbered_appliance_records(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, record) of the UCSD QA file, parsed leniently (some lines are Python literals, not JSON)."""
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError:
                try:
                    yield number, ast.literal_eval(line)
                except (ValueError, SyntaxError):
                    continue  # a broken line: skipped


def appliance_records(path: Path) -> Iterator[dict[str, str]]:
    """Records of the UCSD QA file (see numbered_appliance_records)."""
    return (record for _, record in numbered_appliance_records(path))


def epqa_pairs(path: Path) -> Iterator[QAPair]:
    """ePQA questions with their written answers, one per question id."""
    seen: set[str] = set()
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        for row in csv.DictReader(handle):
            answer = (row.get("answer") or "").strip()
            if answer and row.get("qid") not in seen:
                seen.add(row["qid"])
                yield QAPair(row["question"].strip(), answer, "en", f"epqa:{row['qid']}")


@dataclass
class FaqData:
    """Training pairs and the held-out ranking sets of both languages."""

    train: list[QAPair]
    heldout: list[RankingSet]


def load_faq_data(data_dir: Path, seed: int = 7) -> FaqData:
    """Everything the FAQ matcher trains and is measured on."""
    train = list(ecd_pairs(data_dir / datasets.ECD_TRAIN))
    heldout = ecd_ranking_sets(data_dir / datasets.ECD_TEST)
    records = [r for r in appliance_records(data_dir / datasets.APPLIANCES_QA) if r.get("question") and r.get("answer")]
    products = sorted({r["asin"] for r in records})
    held_products = set(random.Random(seed).sample(products, max(1, len(products) // 10)))
    held_pairs = []
    for n, record in enumerate(records):
        pair = QAPair(record["question"].strip(), record["answer"].strip(), "en", f"appliances:{record['asin']}:{n}")
        (held_pairs if record["asin"] in held_products else train).append(pair)
    rng = random.Random(seed)
    for n, pair in enumerate(held_pairs):
        others = [
            p.answer for m, p in enumerate(held_pairs) if m != n and p.key.split(":")[1] != pair.key.split(":")[1]
        ]
        heldout.append(RankingSet(pair.question, (pair.answer, *rng.sample(others, CANDIDATES - 1)), "en"))
    if (data_dir / datasets.EPQA_DEV).is_file():
        train += list(epqa_pairs(data_dir / datasets.EPQA_DEV))
    return FaqData(train, heldout)
