"""Harvesting catalog records (items, brands, property triples) from the real datasets in ../shared/data.

The catalog's own taxonomy is the mapping: a source category or attribute name becomes a catalog
category or property when it equals one of its names or aliases. Every record keeps its file and line.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg_builder.catalog.loader import Catalog, load_catalog
from kg_builder.catalog.photo_names import CHINESE_NAMES, chinese_names
from kg_builder.config import PATHS
from kg_builder.sources import datasets
from kg_builder.sources.attribute_titles import read_attribute_titles
from kg_builder.sources.grocery import read_grocery_products
from kg_builder.sources.tagged_titles import read_tagged_titles

TAGGED_SOURCES = (  # (file under the data folder, id prefix, category labels, brand labels, model labels)
    (datasets.JIE_NER_TRAIN, "jie", ("HCCX",), ("HPPX",), ("XH",)),
    (datasets.JIE_NER_DEV, "jiedev", ("HCCX",), ("HPPX",), ("XH",)),
    (datasets.DING_NER_TRAIN, "ding", ("HC",), ("HP",), ()),
)
ATTRIBUTE_SOURCES = (
    (datasets.OAMINE_TRAIN, "oamine"),
    (datasets.OAMINE_TEST, "oaminetest"),
    (datasets.AE110K_TRAIN, "ae110k"),
)
DOMAIN_TITLES = re.compile(
    r"\b(shirts?|shoes?|dress|pants|jackets?|socks?|hats?|caps?|sweaters?|jeans|coffee|tea|snacks?|chocolate|"
    r"cookies?|nuts|cereal|cream|lotion|shampoo|conditioner|sunscreen|lipstick|serum|makeup|skin|hair)\b",
    re.IGNORECASE,
)
BRAND_ATTRIBUTES = {"brand", "brand name"}
MAX_TITLE = 80
PER_CATEGORY = {"zh": 3, "en": 9}  # items per (source file, category): keeps the catalog varied
VALUE_LEXICON = PATHS.knowledge / "value_lexicon.tsv"
HARVESTED = "harvested.jsonl"


@dataclass
class Harvest:
    """Records produced from the source data, and counts for the summary."""

    items: list[dict[str, Any]] = field(default_factory=list)
    brands: dict[str, dict[str, Any]] = field(default_factory=dict)
    item_properties: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # "file:line: reason" of malformed source lines
    skipped: Counter[str] = field(default_factory=Counter)

    def summary(self, domains: dict[str, str]) -> str:
        per_domain = Counter(domains[item["category"]] for item in self.items)
        per_lang = Counter(item["lang"] for item in self.items)
        skipped = ", ".join(f"{n} {why}" for why, n in self.skipped.most_common())
        return (
            f"harvest: {len(self.items)} items ({', '.join(f'{d} {n}' for d, n in sorted(per_domain.items()))}; "
            f"{', '.join(f'{lang} {n}' for lang, n in sorted(per_lang.items()))}), {len(self.brands)} new brands, "
            f"{len(self.item_properties)} property triples; skipped: {skipped or 'none'}"
        )


class NameIndex:
    """Case-insensitive lookup from every name and alias of catalog records to their ids."""

    def __init__(self, rows: Iterable[dict[str, Any]], *name_fields: str) -> None:
        self._ids: dict[str, str] = {}
        for row in rows:
            for name_field in name_fields:
                names = row.get(name_field) or []
                for name in [names] if isinstance(names, str) else names:
                    self._ids.setdefault(normalize(name), row["id"])

    def get(self, name: str) -> str | None:
        return self._ids.get(normalize(name))


def normalize(name: str) -> str:
    return re.sub(r"\s+", " ", name).strip().casefold()


def read_value_lexicon(path: Path) -> list[tuple[str, str, str]]:
    """(property, Chinese value, English value) rows of the curated value lexicon, longest values first."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            prop, zh, en = line.split("\t")
            rows.append((prop, zh, en))
    return sorted(rows, key=lambda row: -len(row[1]))


@dataclass(frozen=True)
class HarvestSources:
    """Which files of the data folder to read (paths relative to it); a missing file is counted and skipped."""

    tagged: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...], tuple[str, ...]], ...] = TAGGED_SOURCES
    attributes: tuple[tuple[str, str], ...] = ATTRIBUTE_SOURCES
    grocery: str | None = datasets.GROCERY
    dialogues: str | None = datasets.ECD_TRAIN
    product_qa: str | None = datasets.EPQA_DEV


class Harvester:
    """Turns source records into catalog rows that reference the catalog's categories, brands and properties."""

    def __init__(
        self,
        catalog: Catalog,
        data_dir: Path,
        lexicon: list[tuple[str, str, str]],
        sources: HarvestSources = HarvestSources(),
        names_zh: dict[str, str] | None = None,
    ) -> None:
        """`names_zh`: Chinese names of products by item id (the grocery products' `title_zh`)."""
        self.data_dir = data_dir
        self.sources = sources
        self.lexicon = lexicon
        self.names_zh = names_zh or {}
        catalog = _without_harvested(catalog)
        self.categories = NameIndex(catalog.rows["categories"], "name_zh", "name_en", "aliases_zh", "aliases_en")
        self.properties = NameIndex(catalog.rows["properties"], "id", "name_en", "aliases_en")
        self.brand_index = NameIndex(catalog.rows["brands"], "name", "name_zh", "aliases")
        self.used_sources = {_strip_prefix(item["source"]) for item in catalog.rows["items"]}
        self.result = Harvest()
        self._per_category: Counter[tuple[str, str]] = Counter()

    def run(self) -> Harvest:
        for relative, prefix, category_labels, brand_labels, model_labels in self.sources.tagged:
            for title in read_tagged_titles(path) if (path := self._existing(relative)) else ():
                source = datasets.provenance(relative, title.line)
                item = self._item(f"{prefix}-{title.line}", title.text, "zh", title.texts(*category_labels), source)
                if item is None:
                    continue
                brands = title.texts(*brand_labels)
                item["brand"] = self._brand(brands[0], source) if brands else None
                self._values_in_title(item, source)
                for model in title.texts(*model_labels)[:1]:
                    self._triple(item["id"], "model", model, None, f"model span in the title, {source}")
        for relative, prefix in self.sources.attributes:
            report = self._reporter(relative)
            for row in read_attribute_titles(path, report) if (path := self._existing(relative)) else ():
                source = datasets.provenance(relative, row.line)
                item = self._item(f"{prefix}-{row.line}", row.title, "en", [row.category], source)
                if item is not None:
                    self._attributes(item, row.attributes, source)
        grocery = self._existing(self.sources.grocery)
        for product in read_grocery_products(grocery) if grocery else ():
            source = datasets.provenance(product.path.relative_to(self.data_dir))
            item_id = "grocery-" + product.name.lower().replace(" ", "-")
            item = self._item(item_id, product.name, "en", [product.coarse_class], source)
            if item is None:
                continue
            if item_id in self.names_zh:
                item["title_zh"] = self.names_zh[item_id]
            item["brand"] = self._brand(product.brand, source) if product.brand else None
            facts = [("net_content", product.volume), ("origin", product.country)]
            self._attributes(item, [(name, value) for name, value in facts if value], source)
        return self.result

    def _reporter(self, relative: str) -> Callable[[int, str], None]:
        def report(line: int, reason: str) -> None:
            self.result.errors.append(f"{datasets.provenance(relative)}:{line}: {reason}")
            self.result.skipped["malformed source line"] += 1

        return report

    def _existing(self, relative: str | None) -> Path | None:
        """The path of a source, or None (counted as skipped) when it is not there."""
        if relative is None:
            return None
        path = self.data_dir / relative
        if not path.exists():
            self.result.skipped[f"missing source {relative}"] += 1
            return None
        return path

    def _item(self, item_id: str, title: str, lang: str, categories: list[str], source: str) -> dict[str, Any] | None:
        """A new item row, or None (counted) when the title is unusable or its category is not in the catalog."""
        category = next((c for c in map(self.categories.get, categories) if c), None)
        if category is None:
            self.result.skipped["without a catalog category"] += 1
            return None
        if source in self.used_sources:
            self.result.skipped["already in the catalog"] += 1
            return None
        if not 4 <= len(title) <= MAX_TITLE:
            self.result.skipped["title too short or too long"] += 1
            return None
        slot = (source.split("#")[0], category)
        if self._per_category[slot] >= PER_CATEGORY[lang]:
            self.result.skipped["over the per-category quota"] += 1
            return None
        self._per_category[slot] += 1
        item = {"id": item_id, "title": title, "lang": lang, "category": category, "brand": None, "source": source}
        self.result.items.append(item)
        return item

    def _brand(self, name: str, source: str) -> str:
        known = self.brand_index.get(name)
        if known:
            return known
        brand_id = "brand:" + normalize(name)
        self.result.brands.setdefault(brand_id, {"id": brand_id, "name": name.strip(), "source": source})
        return brand_id

    def _values_in_title(self, item: dict[str, Any], source: str) -> None:
        seen: set[str] = set()
        for prop, zh, en in self.lexicon:
            if zh in item["title"] and en not in seen and not any(zh in longer for longer in seen):
                seen.add(zh)
                seen.add(en)
                self._triple(item["id"], prop, zh, en, f"value in the title, {source}")

    def _attributes(self, item: dict[str, Any], pairs: Iterable[tuple[str, str]], source: str) -> None:
        for name, value in pairs:
            if name.casefold() in BRAND_ATTRIBUTES:
                item["brand"] = item["brand"] or self._brand(value, source)
                continue
            prop = self.properties.get(name) or self.properties.get(name.replace(" ", "_"))
            if prop is None:
                self.result.skipped[f"attribute '{name}' not a catalog property"] += 1
                continue
            self._triple(item["id"], prop, value[:200], None, f"attribute value, {source}")

    def _triple(self, item_id: str, prop: str, value: str, value_en: str | None, source: str) -> None:
        row = {"item": item_id, "property": prop, "value": value, "source": source}
        if value_en:
            row["value_en"] = value_en
        self.result.item_properties.append(row)


def _without_harvested(catalog: Catalog) -> Catalog:
    """The catalog minus the rows of an earlier harvest, so that a re-run produces the same files."""
    rows = {kind: [r for r in kind_rows if HARVESTED not in r["_origin"]] for kind, kind_rows in catalog.rows.items()}
    return Catalog(root=catalog.root, rows=rows, errors=catalog.errors)


def _strip_prefix(source: str) -> str:
    return source.split(", ")[-1]


def harvest_catalog(data_dir: Path, catalog_dir: Path, lexicon_path: Path = VALUE_LEXICON) -> Harvest:
    """Harvest the datasets under `data_dir` against the catalog in `catalog_dir` and write the files (the Chinese
    names of the photo products come from the catalog's CHINESE_NAMES file where it has one)."""
    if not data_dir.is_dir():
        raise FileNotFoundError(f"data folder not found: {data_dir}")
    catalog = load_catalog(catalog_dir)
    names_file = catalog_dir / CHINESE_NAMES.name
    names_zh = chinese_names(names_file) if names_file.is_file() else {}
    harvest = Harvester(catalog, data_dir, read_value_lexicon(lexicon_path), names_zh=names_zh).run()
    write_harvest(harvest, catalog_dir)
    return harvest


def write_harvest(harvest: Harvest, catalog_dir: Path) -> list[Path]:
    """Write `<kind>/harvested.jsonl` for items, brands and item_properties; returns the files written."""
    written = []
    for kind, rows in (
        ("brands", list(harvest.brands.values())),
        ("items", harvest.items),
        ("item_properties", _unique_triples(harvest.item_properties)),
    ):
        path = catalog_dir / kind / HARVESTED
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
        written.append(path)
    return written


def _unique_triples(rows: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    seen: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        key = (row["property"] + ":" + (row.get("value_en") or row["value"])).casefold()
        if key not in seen[row["item"]]:
            seen[row["item"]].add(key)
            yield row
