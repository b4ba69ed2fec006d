"""Reading whole catalog folders: bad rows are reported with file, line and reason, good rows kept."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from kg_builder.catalog.loader import load_catalog
from tests.conftest import DEMO_CATALOG, mini_catalog, write_jsonl


def test_demo_catalog_is_clean_and_complete() -> None:
    catalog = load_catalog(DEMO_CATALOG)
    assert catalog.errors == []
    domains = {row["id"]: row["domain"] for row in catalog.rows["categories"]}
    per_domain: dict[str, int] = {}
    for item in catalog.rows["items"]:
        per_domain[domains[item["category"]]] = per_domain.get(domains[item["category"]], 0) + 1
    assert min(per_domain.values()) >= 10 and set(per_domain) == {"Beauty", "Clothing", "Snacks"}
    assert all(row["source"] for kind in catalog.rows.values() for row in kind)


def test_malformed_rows_are_reported_and_skipped(tmp_path: Path) -> None:
    root = mini_catalog(tmp_path / "catalog", prefix="t-")
    items = root / "items.jsonl"
    good = items.read_text(encoding="utf-8")
    write_jsonl(
        items,
        [
            '{"id": "t-bad-json", "title": ',
            {"id": "t-no-title", "lang": "en", "category": "t-mask", "source": "s"},
            {"id": "t-ghost", "title": "x", "lang": "en", "category": "t-nowhere", "source": "s"},
            {"id": "t-item1", "title": "dup", "lang": "en", "category": "t-mask", "source": "s"},
        ],
    )
    items.write_text(good + items.read_text(encoding="utf-8"), encoding="utf-8")
    catalog = load_catalog(root)
    reasons = {(e.file, e.line): e.reason for e in catalog.errors}
    assert reasons[("catalog/items.jsonl", 3)].startswith("invalid JSON")
    assert reasons[("catalog/items.jsonl", 4)] == "missing required field 'title'"
    assert reasons[("catalog/items.jsonl", 5)] == "unknown category 't-nowhere'"
    assert "duplicate of the record at catalog/items.jsonl:1" in reasons[("catalog/items.jsonl", 6)]
    assert [row["id"] for row in catalog.rows["items"]] == ["t-item1", "t-item2"]
    assert len(catalog.rows["item_properties"]) == 1


def test_csv_rows_with_wrong_column_counts(tmp_path: Path) -> None:
    root = mini_catalog(tmp_path / "catalog", prefix="t-")
    (root / "brands.jsonl").unlink()
    (root / "brands.csv").write_text(
        "id,name,source\nt-brand,TestBrand,test\nt-b2,Extra,test,surplus\nt-b3\n", encoding="utf-8"
    )
    catalog = load_catalog(root)
    assert [row["id"] for row in catalog.rows["brands"]] == ["t-brand"]
    reasons = {e.line: e.reason for e in catalog.errors if e.file.endswith("brands.csv")}
    assert "more values than" in reasons[3]
    assert "fewer values than" in reasons[4]


def test_search_text_and_value_order(tmp_path: Path) -> None:
    catalog = load_catalog(mini_catalog(tmp_path / "catalog", prefix="t-"))
    item = catalog.rows["items"][0]
    assert "test mask" in item["search_text"] and "测试甘草" in item["search_text"]
    assert catalog.rows["item_properties"][0]["position"] == 0
    assert catalog.rows["item_properties"][0]["value_id"] == "t-ingredient:test licorice"


def test_the_demo_catalog_is_real_data_at_the_size_the_project_promises() -> None:
    catalog = load_catalog(DEMO_CATALOG)
    domains = {row["id"]: row["domain"] for row in catalog.rows["categories"]}
    per_domain = Counter(domains[item["category"]] for item in catalog.rows["items"])
    assert catalog.errors == []
    assert len(catalog.rows["items"]) >= 300 and min(per_domain[d] for d in ("Beauty", "Clothing", "Snacks")) >= 80
    assert all(item["source"].startswith("shared/data/") for item in catalog.rows["items"])
    sizes = {kind: len(catalog.rows[kind]) for kind in ("scenarios", "problems", "pois", "causes", "needs")}
    assert sizes["scenarios"] >= 30 and sizes["problems"] >= 60 and sizes["pois"] >= 200
    assert sizes["causes"] >= 60 and sizes["needs"] >= 150
    faq_languages = Counter(faq["lang"] for faq in catalog.rows["faqs"])  # the shop's FAQs, written for it
    assert faq_languages["zh"] >= 25 and faq_languages["en"] >= 25
