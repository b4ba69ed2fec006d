"""The hand-written Chinese shop names of the products with real photos (data/catalog/photo_products_zh.tsv): the
cross-modal model trains on them, the harvest gives them to the catalog items of those products as `title_zh`."""

from __future__ import annotations

import csv
from pathlib import Path

from kg_builder.config import PATHS

CHINESE_NAMES = PATHS.catalog / "photo_products_zh.tsv"


def chinese_names(path: Path = CHINESE_NAMES) -> dict[str, str]:
    """Product key → Chinese shop name, from the TSV (`key`, `text_en`, `name_zh`; '#' lines are comments)."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    return {row["key"]: row["name_zh"] for row in csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)}
