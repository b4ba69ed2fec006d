"""The hand-judged item-search set (data/knowledge/retrieval_judgements.tsv): size, languages, ids, grades, splits."""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict

from kg_builder.config import REPO_ROOT

JUDGEMENTS = REPO_ROOT / "data" / "knowledge" / "retrieval_judgements.tsv"
CATALOG = REPO_ROOT / "data" / "catalog"
COLUMNS = ["query_id", "lang", "split", "query", "item_id", "grade"]


def _rows() -> list[dict[str, str]]:
    lines = JUDGEMENTS.read_text(encoding="utf-8").splitlines()
    comments = [line for line in lines if line.startswith("#")]
    assert comments[-1].removeprefix("# ").split("\t") == COLUMNS  # the column names, as the last comment line
    assert any("LLM helper" in line and "2026-11-26" in line for line in comments)  # who judged, and when
    return [dict(zip(COLUMNS, line.split("\t"), strict=True)) for line in lines if line and not line.startswith("#")]


def _catalog_ids() -> set[str]:
    files = [CATALOG / "items.jsonl", *sorted((CATALOG / "items").glob("*.jsonl"))]
    return {json.loads(line)["id"] for f in files for line in f.read_text(encoding="utf-8").splitlines() if line}


def test_size_and_languages() -> None:
    rows = _rows()
    lang = {r["query_id"]: r["lang"] for r in rows}
    assert len(lang) >= 200
    assert set(lang.values()) <= {"zh", "en", "mixed"}
    per_lang = Counter(lang.values())
    assert per_lang["zh"] >= 80 and per_lang["en"] >= 80
    assert all(len({r["lang"] for r in rows if r["query_id"] == q}) == 1 for q in lang)


def test_items_exist_and_grades_are_valid() -> None:
    rows, ids = _rows(), _catalog_ids()
    assert {r["grade"] for r in rows} <= {"0", "1", "2"}
    for r in rows:
        if r["item_id"] == "-":
            assert r["grade"] == "0"  # the one row of a query with no relevant item
        else:
            assert r["item_id"] in ids, r
            assert r["grade"] in {"1", "2"}, r  # only relevant pairs are listed
    by_query = defaultdict(list)
    for r in rows:
        by_query[r["query_id"]].append(r["item_id"])
    assert all("-" not in items or items == ["-"] for items in by_query.values())
    assert sum(items == ["-"] for items in by_query.values()) >= 5  # queries for things the catalog lacks


def test_no_duplicates_one_split_one_text() -> None:
    rows = _rows()
    pairs = Counter((r["query_id"], r["item_id"]) for r in rows)
    assert max(pairs.values()) == 1
    splits, texts = defaultdict(set), defaultdict(set)
    for r in rows:
        splits[r["query_id"]].add(r["split"])
        texts[r["query_id"]].add(r["query"])
    assert all(len(s) == 1 for s in splits.values())
    assert all(len(t) == 1 for t in texts.values())
    query_texts = [next(iter(t)) for t in texts.values()]
    assert len(query_texts) == len(set(query_texts))  # no query text twice


def test_split_follows_the_hash_rule() -> None:
    splits = {r["query_id"]: r["split"] for r in _rows()}
    for qid, split in splits.items():
        assert split == ("dev" if int(hashlib.sha256(qid.encode()).hexdigest()[:8], 16) % 10 < 4 else "test")
    share = sum(s == "dev" for s in splits.values()) / len(splits)
    assert 0.3 < share < 0.5
