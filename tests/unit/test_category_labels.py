"""The hand-checked categories of the harvested items (data/knowledge/category_labels.tsv)."""

from __future__ import annotations

import hashlib
import json

from kg_builder.config import REPO_ROOT

LABELS = REPO_ROOT / "data" / "knowledge" / "category_labels.tsv"
CATALOG = REPO_ROOT / "data" / "catalog"
COLUMNS = ["item_id", "assigned_category", "correct", "split", "true_category", "note"]


def _jsonl(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _category_ids() -> set[str]:
    rows = _jsonl(CATALOG / "categories.jsonl") + _jsonl(CATALOG / "categories" / "harvest_categories.jsonl")
    return {row["id"] for row in rows}


def _rows() -> list[dict[str, str]]:
    lines = LABELS.read_text(encoding="utf-8").splitlines()
    comments = [line for line in lines if line.startswith("#")]
    assert comments[-1].removeprefix("# ").split("\t") == COLUMNS  # the column names, as the last comment line
    header = "\n".join(comments)
    for promised in ("Criterion", "Judge: an LLM helper", "2026-11-26", "split: dev when"):
        assert promised in header
    return [dict(zip(COLUMNS, line.split("\t"), strict=True)) for line in lines if line and not line.startswith("#")]


def test_every_harvested_item_is_labelled_once_with_its_assigned_category() -> None:
    items = {item["id"]: item["category"] for item in _jsonl(CATALOG / "items" / "harvested.jsonl")}
    rows = _rows()
    ids = [row["item_id"] for row in rows]
    assert len(ids) == len(set(ids))
    assert set(ids) == set(items)
    for row in rows:
        assert row["assigned_category"] == items[row["item_id"]], row


def test_labels_true_categories_and_notes() -> None:
    categories = _category_ids()
    rows = _rows()
    assert {row["correct"] for row in rows} == {"0", "1"}
    for row in rows:
        assert row["true_category"] in categories | {"none"}, row
        assert row["note"].strip(), row  # `-` when there is nothing to add
        if row["correct"] == "1":
            assert row["true_category"] == row["assigned_category"], row
        else:
            assert row["true_category"] != row["assigned_category"], row
            assert row["note"] != "-", row  # a wrong assignment always says why


def test_splits_follow_the_hash_rule_and_are_both_used() -> None:
    rows = _rows()
    assert {row["split"] for row in rows} == {"dev", "test"}
    for row in rows:
        bucket = int(hashlib.sha1(row["item_id"].encode("utf-8")).hexdigest()[:8], 16) % 100
        assert row["split"] == ("dev" if bucket < 40 else "test"), row
    share = sum(row["split"] == "dev" for row in rows) / len(rows)
    assert 0.3 <= share <= 0.5
    for split in ("dev", "test"):
        assert {row["correct"] for row in rows if row["split"] == split} == {"0", "1"}
