"""The hand-written Chinese names of the products with real photos: well-formed, one per product."""

from __future__ import annotations

import csv
import re

import pytest

from kg_builder.catalog.photo_names import CHINESE_NAMES, chinese_names
from kg_builder.crossmodal.data import product_photos
from tests.conftest import SHARED_DATA

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


def _rows() -> list[dict[str, str]]:
    lines = [line for line in CHINESE_NAMES.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    reader = csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
    assert reader.fieldnames == ["key", "text_en", "name_zh"]
    return list(reader)


def test_rows_are_well_formed() -> None:
    rows = _rows()
    for row in rows:
        assert None not in row and all(row.values()), row  # exactly three non-empty columns
        assert CJK.search(row["name_zh"]), row
        assert not re.search(r"[\t\r\n]", row["name_zh"]), row
    keys = [row["key"] for row in rows]
    assert len(keys) == len(set(keys))
    assert chinese_names() == {row["key"]: row["name_zh"] for row in rows}


def test_every_photo_product_has_a_name() -> None:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"no shared data at {SHARED_DATA}")
    products = product_photos(SHARED_DATA)
    texts = {row["key"]: row["text_en"] for row in _rows()}
    assert set(texts) == {p.key for p in products}
    assert set(chinese_names()) == set(texts)
    for product in products:
        assert texts[product.key] == product.text
