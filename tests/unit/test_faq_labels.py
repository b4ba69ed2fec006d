"""The store FAQs (data/catalog/faqs.jsonl) and the hand-labelled held-out customer questions mapped to them."""

from __future__ import annotations

import csv
import json
import unicodedata
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FAQS = ROOT / "data" / "catalog" / "faqs.jsonl"
HELDOUT = ROOT / "data" / "knowledge" / "faq_heldout.tsv"
LANGS = ("zh", "en")


def _faqs() -> list[dict[str, str]]:
    return [json.loads(line) for line in FAQS.read_text(encoding="utf-8").splitlines() if line.strip()]


def _heldout() -> list[dict[str, str]]:
    lines = [line for line in HELDOUT.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))


def _key(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).lower() if ch.isalnum())


def test_store_faqs_parse_with_unique_ids_in_both_languages() -> None:
    faqs = _faqs()
    assert all(faq["id"] and faq["question"] and faq["answer"] and faq["source"] for faq in faqs)
    assert len({faq["id"] for faq in faqs}) == len(faqs)
    counts = Counter(faq["lang"] for faq in faqs)
    assert set(counts) == set(LANGS)
    assert all(counts[lang] >= 25 for lang in LANGS)


def test_heldout_parses_with_known_ids_and_both_splits() -> None:
    rows = _heldout()
    faq_lang = {faq["id"]: faq["lang"] for faq in _faqs()}
    assert all(set(row) == {"lang", "question", "faq_id", "split", "stratum", "source"} for row in rows)
    for row in rows:
        assert row["lang"] in LANGS and row["question"].strip() and row["source"].startswith("shared/data/")
        assert row["split"] in ("dev", "test") and row["stratum"] in ("random", "store-topic")
        assert row["faq_id"] == "none" or faq_lang[row["faq_id"]] == row["lang"]
    for lang in LANGS:
        mine = [row for row in rows if row["lang"] == lang]
        assert len(mine) >= 150
        for split in ("dev", "test"):
            answerable = [row for row in mine if row["split"] == split and row["faq_id"] != "none"]
            assert len(answerable) >= 20, (lang, split)
            assert any(row["split"] == split and row["faq_id"] == "none" for row in mine)


def test_heldout_questions_are_distinct_and_never_an_faq_question() -> None:
    keys = [_key(row["question"]) for row in _heldout()]
    assert len(set(keys)) == len(keys)
    assert not set(keys) & {_key(faq["question"]) for faq in _faqs()}
