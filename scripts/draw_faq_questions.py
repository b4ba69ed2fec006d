"""Draw real customer questions for the hand-labelled store-FAQ held-out set, and write the labelled file.

Two steps, so the draw can be re-made and the labels stay a person's reading:

    PYTHONPATH=. python scripts/draw_faq_questions.py draw SHEET.tsv
        writes the drawn questions (lang, question, faq_id empty, stratum, source) in draw order.
    PYTHONPATH=. python scripts/draw_faq_questions.py write SHEET.tsv
        reads the sheet after a person filled faq_id by hand (an id of data/knowledge/store_faqs.jsonl, `none`,
        or `skip` for a turn that is not a question a shopper asks a shop), drops the skipped rows, assigns the
        dev/test split and writes data/knowledge/faq_heldout.tsv with its header. The filled sheet of 2026-11-26 is
        kept as data/knowledge/faq_heldout_sheet.tsv, so `write` re-makes the held-out file from it.

zh: every distinct customer turn of the ECD Taobao service dialogues (train, then test.first50contexts; the pool is
small, so the whole pool is drawn) in a seeded random order: stratum `random`.
en: Amazon QA (the appliances sample and ePQA dev), one row per distinct question: RANDOM_EN questions drawn at
random (stratum `random`), then every other question that names a store topic (shipping, returns, warranty,
payment ...: STORE_TOPIC_EN; stratum `store-topic`), because random product questions are almost never answered by
a store FAQ. Questions equal to a store FAQ's question (ignoring case, spaces and punctuation) are left out.
The split alternates dev/test within each (language, answerable or not) group, ordered by a hash of the question.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import re
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from kg_builder.config import PATHS
from kg_builder.faq.data import numbered_appliance_records
from kg_builder.sources import datasets
from kg_builder.sources.customer_questions import dialogue_turns

SEED = 12
RANDOM_EN = 120
FAQS = Path("data/knowledge/store_faqs.jsonl")
HELDOUT = Path("data/knowledge/faq_heldout.tsv")
COLUMNS = ("lang", "question", "faq_id", "split", "stratum", "source")
STORE_TOPIC_EN = re.compile(
    r"\b(ship\w*|deliver\w*|returns?|returned|refund\w*|warrant\w*|warrenty|guarant\w*|gurantee|invoice|receipt"
    r"|payments?|paypal|coupons?|discounts?|promo\w*|cancel\w*|genuine|authentic|counterfeit|knock ?off|in stock"
    r"|restock\w*|exchange|customer service|contact|canada|uk|france|overseas|internationally|what size should"
    r"|size should i|sales tax|price drop|order\w*|available|how soon)\b",
    re.IGNORECASE,
)
HEADER = """\
# Hand-labelled held-out set for the store-FAQ fallback (issue 12, item 5): real customer questions, each mapped to
# the store FAQ of data/knowledge/store_faqs.jsonl that answers it, or `none`.
# Labelled by a project developer (helper session), 2026-11-26, reading each row against the criterion below.
# Drawn by scripts/draw_faq_questions.py (seed {seed}): zh = every distinct customer turn of the ECD Taobao service
# dialogues (shared/data/ecd_taobao_dialogue_sample: train, then test.first50contexts), in seeded random order,
# stratum `random`; of the {zh_drawn} drawn turns {zh_skipped} were skipped as not a question a shopper asks a shop
# (greetings, thanks, acknowledgements, bare item numbers, complaints and statements without a question, fragments
# that need the turns before them). en = Amazon QA (amazon_qa_appliances sample and amazon_contextual_pqa ePQA dev),
# one row per distinct question: {en_random} drawn at random (stratum `random`), then every other question naming a
# store topic (shipping, returns, warranty, payment, orders, coupons ...: stratum `store-topic`, {en_topic} drawn),
# because random product questions are almost never answered by a store FAQ; {en_skipped} en rows skipped (not a
# question to a seller, or unreadable). Questions equal to a store FAQ's question were never drawn. Every drawn row,
# skipped ones included, is in the labelling sheet data/knowledge/faq_heldout_sheet.tsv (faq_id `skip`).
# Criterion: a question is mapped to an FAQ when that FAQ's answer would be a correct and sufficient reply to the
# question; otherwise `none` (questions about one product's facts, fit or use; store questions no FAQ answers, or
# that need a specific order, date, price or product looked up). "这个/this" means the item the shopper is looking at.
# split: alternates dev/test within each (lang, mapped or none) group ordered by sha1 of the question; dev chooses
# the confidence threshold, test reports. stratum: random or store-topic. source: file#line (shared/data/...).
# {columns}
"""


def normalise(text: str) -> str:
    """Case, width, spaces and punctuation folded away: the key for duplicates."""
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in text if ch.isalnum())


def zh_pool(data: Path) -> Iterator[tuple[str, str]]:
    """(customer turn, source) of the ECD dialogues, train then the test contexts."""
    for relative in (datasets.ECD_TRAIN, datasets.ECD_TEST):
        for line, _, customer, _ in dialogue_turns(data / relative):
            yield customer.strip(), datasets.provenance(relative, line)


def en_pool(data: Path) -> Iterator[tuple[str, str]]:
    """(question, source) of the Amazon appliances QA sample and of ePQA dev (first row of each question id)."""
    for line, record in numbered_appliance_records(data / datasets.APPLIANCES_QA):
        if record.get("question"):
            yield record["question"].strip(), datasets.provenance(datasets.APPLIANCES_QA, line)
    seen: set[str] = set()
    with (data / datasets.EPQA_DEV).open(encoding="utf-8", errors="replace", newline="") as handle:
        reader = csv.DictReader(handle)
        start = reader.line_num + 1
        for row in reader:
            if row["qid"] not in seen and row["question"].strip():
                seen.add(row["qid"])
                yield row["question"].strip(), f"{datasets.provenance(datasets.EPQA_DEV, start)} (qid {row['qid']})"
            start = reader.line_num + 1


def distinct(pool: Iterator[tuple[str, str]], faq_keys: set[str]) -> list[tuple[str, str]]:
    """First occurrence of each question, leaving out empty ones and those equal to a store FAQ's question."""
    seen = set(faq_keys)
    rows = []
    for question, source in pool:
        key = normalise(question)
        if key and key not in seen:
            seen.add(key)
            rows.append((" ".join(question.split()), source))
    return rows


def draw(data: Path, faqs: Path = FAQS, seed: int = SEED) -> list[dict[str, str]]:
    """The drawn rows, in order: zh (whole pool, shuffled), en random, en store-topic (shuffled)."""
    faq_keys = {normalise(json.loads(line)["question"]) for line in faqs.read_text(encoding="utf-8").splitlines()}
    rng = random.Random(seed)
    zh = distinct(zh_pool(data), faq_keys)
    rng.shuffle(zh)
    en = distinct(en_pool(data), faq_keys)
    order = list(range(len(en)))
    rng.shuffle(order)
    picked = order[:RANDOM_EN]
    topic = [n for n in order[RANDOM_EN:] if STORE_TOPIC_EN.search(en[n][0])]
    rows = [{"lang": "zh", "question": q, "stratum": "random", "source": s} for q, s in zh]
    rows += [{"lang": "en", "question": en[n][0], "stratum": "random", "source": en[n][1]} for n in picked]
    rows += [{"lang": "en", "question": en[n][0], "stratum": "store-topic", "source": en[n][1]} for n in topic]
    return rows


def assign_splits(rows: list[dict[str, str]]) -> None:
    """dev/test alternating within each (lang, answerable) group, in sha1 order of the question."""
    groups: dict[tuple[str, bool], list[dict[str, str]]] = {}
    for row in rows:
        groups.setdefault((row["lang"], row["faq_id"] != "none"), []).append(row)
    for group in groups.values():
        group.sort(key=lambda row: hashlib.sha1(row["question"].encode("utf-8")).hexdigest())
        for n, row in enumerate(group):
            row["split"] = "dev" if n % 2 == 0 else "test"


def write(sheet: Path, out: Path = HELDOUT) -> None:
    """The labelled sheet, skipped rows dropped, split assigned, written with its header."""
    with sheet.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    unlabelled = [row["question"] for row in rows if not row["faq_id"].strip()]
    if unlabelled:
        raise SystemExit(f"{len(unlabelled)} rows not labelled yet, e.g. {unlabelled[0]!r}")
    kept = [dict(row, faq_id=row["faq_id"].strip()) for row in rows if row["faq_id"].strip() != "skip"]
    assign_splits(kept)

    def count(lang: str, stratum: str | None = None, skipped: bool = False) -> int:
        return sum(
            row["lang"] == lang and stratum in (None, row["stratum"]) and (row["faq_id"].strip() == "skip") == skipped
            for row in rows
        )

    header = HEADER.format(
        seed=SEED,
        zh_drawn=count("zh") + count("zh", skipped=True),
        zh_skipped=count("zh", skipped=True),
        en_random=count("en", "random") + count("en", "random", skipped=True),
        en_topic=count("en", "store-topic") + count("en", "store-topic", skipped=True),
        en_skipped=count("en", skipped=True),
        columns="<TAB>".join(COLUMNS),
    )
    with out.open("w", encoding="utf-8", newline="") as handle:
        handle.write(header)
        handle.write("\t".join(COLUMNS) + "\n")
        for row in kept:
            handle.write("\t".join(row[column] for column in COLUMNS) + "\n")


def main(argv: list[str]) -> None:
    if len(argv) != 2 or argv[0] not in ("draw", "write"):
        raise SystemExit("usage: draw_faq_questions.py draw|write SHEET.tsv")
    sheet = Path(argv[1])
    if argv[0] == "draw":
        with sheet.open("w", encoding="utf-8", newline="") as handle:
            handle.write("lang\tquestion\tfaq_id\tstratum\tsource\n")
            for row in draw(PATHS.shared_data):
                handle.write(f"{row['lang']}\t{row['question']}\t\t{row['stratum']}\t{row['source']}\n")
    else:
        write(sheet)


if __name__ == "__main__":
    main(sys.argv[1:])
