"""Reading a whole catalog folder: every record kind validated, cross-references checked, bad rows reported."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg_builder.catalog.reader import SUFFIXES, RowParseError, read_rows
from kg_builder.catalog.records import (
    KINDS,
    RecordError,
    RecordInvalid,
    RecordKind,
    has_cjk,
    validate,
    value_key,
)

SINGULAR = {
    "categories": "category",
    "brands": "brand",
    "properties": "property",
    "items": "item",
    "pois": "POI",
    "problems": "problem",
    "scenarios": "scenario",
}


@dataclass
class Catalog:
    """Valid rows per record kind, plus the rows that were rejected."""

    root: Path
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    errors: list[RecordError] = field(default_factory=list)
    _ids: dict[str, set[str]] = field(default_factory=dict, repr=False)

    def ids(self, kind: str) -> set[str]:
        """The ids of the loaded records of one kind (kept up to date by `add`, so a check is O(1))."""
        if kind not in self._ids:
            if kind == "property_values":
                sources = [*self.rows.get("item_properties", []), *self.rows.get("satisfies", [])]
                self._ids[kind] = {row["value_id"] for row in sources}
            else:
                self._ids[kind] = {row["id"] for row in self.rows.get(kind, []) if "id" in row}
        return self._ids[kind]

    def add(self, kind: str, row: dict[str, Any]) -> None:
        """Append a valid row and index its id."""
        self.rows.setdefault(kind, []).append(row)
        if "id" in row:
            self.ids(kind).add(row["id"])
        if "value_id" in row:
            self.ids("property_values").add(row["value_id"])

    @property
    def row_count(self) -> int:
        return sum(len(rows) for rows in self.rows.values())


def kind_files(root: Path, kind: RecordKind) -> list[Path]:
    """The files of one record kind in a catalog folder: `<kind>.jsonl`, `<kind>.csv`, `<kind>/*.jsonl|csv`."""
    files = [root / f"{kind.name}{suffix}" for suffix in SUFFIXES if (root / f"{kind.name}{suffix}").is_file()]
    folder = root / kind.name
    if folder.is_dir():
        files += sorted(p for p in folder.iterdir() if p.suffix in SUFFIXES and p.is_file())
    return files


def load_catalog(root: Path) -> Catalog:
    """Read and check every record of the catalog under `root`; never raises for a bad row."""
    if not root.is_dir():
        raise FileNotFoundError(f"catalog folder not found: {root}")
    catalog = Catalog(root=root)
    for kind in KINDS:
        catalog.rows[kind.name] = []
        seen: dict[tuple[Any, ...], str] = {}
        for path in kind_files(root, kind):
            label = _display(path, root)
            for line, raw in read_rows(path):
                try:
                    if isinstance(raw, RowParseError):
                        raise RecordInvalid(str(raw))
                    row = validate(kind, raw)
                    _check_references(kind, row, catalog)
                    _derive(kind, row)
                    key = tuple(row.get(name) for name in kind.key)
                    if kind.name == "item_properties":
                        key = (row["item"], row["value_id"])
                    if key in seen:
                        raise RecordInvalid(f"duplicate of the record at {seen[key]}")
                    seen[key] = f"{label}:{line}"
                    row["_origin"] = f"{label}:{line}"
                    catalog.add(kind.name, row)
                except RecordInvalid as error:
                    catalog.errors.append(RecordError(label, line, str(error)))
    _number_values(catalog)
    _add_search_text(catalog)
    return catalog


def _number_values(catalog: Catalog) -> None:
    """Keep each item's values in the order the catalog lists them (sizes S, M, L stay in that order)."""
    positions: dict[str, int] = {}
    for row in catalog.rows.get("item_properties", []):
        row["position"] = positions.get(row["item"], 0)
        positions[row["item"]] = row["position"] + 1


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


def _check_references(kind: RecordKind, row: dict[str, Any], catalog: Catalog) -> None:
    for spec in kind.fields:
        value = row.get(spec.name)
        if spec.ref and value is not None and value not in catalog.ids(spec.ref):
            raise RecordInvalid(f"unknown {SINGULAR[spec.ref]} '{value[:80]}'")
    if kind.name == "images" and row["subject"] not in catalog.ids(row["subject_kind"]):
        raise RecordInvalid(f"unknown {row['subject_kind']} subject '{row['subject'][:80]}'")


def _derive(kind: RecordKind, row: dict[str, Any]) -> None:
    """Fields computed from the row: PropertyValue ids and names in both languages."""
    if kind.name in ("item_properties", "satisfies"):
        row["value_id"] = value_key(row["property"], row["value"], row.get("value_en"))
    if kind.name == "item_properties":
        value = row["value"]
        row["value_name_zh"] = row["value_zh"] or (value if has_cjk(value) else None)
        row["value_name_en"] = row["value_en"] or (None if has_cjk(value) else value)


def _add_search_text(catalog: Catalog) -> None:
    """Give every item one text to search: title, category and brand names, property values."""
    names: dict[str, list[str]] = {}
    for kind in ("categories", "properties"):
        for row in catalog.rows.get(kind, []):
            names[row["id"]] = [row["name_zh"], row["name_en"], *row["aliases_zh"], *row["aliases_en"]]
    for row in catalog.rows.get("brands", []):
        names[row["id"]] = [row["name"], *([row["name_zh"]] if row["name_zh"] else []), *row["aliases"]]
    values: dict[str, list[str]] = {}
    for row in catalog.rows.get("item_properties", []):
        values.setdefault(row["item"], []).extend(v for v in (row["value"], row["value_zh"], row["value_en"]) if v)
    for item in catalog.rows.get("items", []):
        parts = [item["title"], *names.get(item["category"], [])]
        if item["brand"]:
            parts += names.get(item["brand"], [])
        parts += values.get(item["id"], [])
        item["search_text"] = " ".join(dict.fromkeys(parts))
