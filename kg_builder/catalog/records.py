"""The catalog input format: one record kind per file, its fields, and the validation of one row."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

MAX_TEXT = 4000  # characters in any one text field
MAX_ID = 200
DOMAINS = ("Beauty", "Clothing", "Snacks")
LANGS = ("zh", "en")
IMAGE_SUBJECT_KINDS = ("items", "pois", "problems", "scenarios", "property_values", "categories")
DEFAULT_CURRENCY = "CNY"  # of a priced item that names no currency: every demo price is in yuan

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_SPACES = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_UNCLEAN = re.compile(r"[\x00-\x1f\x7f]|[^\S ]| {2}")  # what the two above would change, but for the ends
_CURRENCY = re.compile(r"[A-Z]{3}")  # an ISO 4217 code


class RecordInvalid(ValueError):
    """A row that cannot be loaded; the message is the reason."""


@dataclass(frozen=True)
class RecordError:
    """A rejected row: which file, which line, why."""

    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


@dataclass(frozen=True)
class Field:
    """One field of a record kind. `ref` names the record kind whose id this field must be."""

    name: str
    required: bool = True
    type: str = "text"  # text | id | number | list | lang | domain | currency
    ref: str | None = None


@dataclass(frozen=True)
class RecordKind:
    """A kind of record, read from `<name>.jsonl` or `<name>.csv` in the catalog folder."""

    name: str
    fields: tuple[Field, ...]
    key: tuple[str, ...] = ("id",)
    doc: str = ""
    field_names: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "field_names", frozenset(f.name for f in self.fields))


def _named(ident: str = "id") -> tuple[Field, ...]:
    return (Field(ident, type="id"), Field("name_zh"), Field("name_en"), Field("source"))


_ALIASES = (Field("aliases_zh", False, "list"), Field("aliases_en", False, "list"))

KINDS: tuple[RecordKind, ...] = (
    RecordKind(
        "categories",
        _named() + (Field("domain", type="domain"),) + _ALIASES,
        doc="product categories, with the domain they belong to",
    ),
    RecordKind(
        "brands",
        (
            Field("id", type="id"),
            Field("name"),
            Field("name_zh", False),
            Field("aliases", False, "list"),
            Field("source"),
        ),
        doc="brands",
    ),
    RecordKind("properties", _named() + _ALIASES, doc="property names (size, ingredient, ...)"),
    RecordKind("pois", _named() + _ALIASES, doc="points of interest: needs and selling points"),
    RecordKind("problems", _named() + _ALIASES, doc="user problems"),
    RecordKind("scenarios", _named() + _ALIASES, doc="usage scenarios"),
    RecordKind(
        "items",
        (
            Field("id", type="id"),
            Field("title"),
            Field("title_zh", False),
            Field("title_en", False),
            Field("lang", type="lang"),
            Field("category", ref="categories"),
            Field("brand", False, ref="brands"),
            Field("price", False, "number"),
            Field("currency", False, "currency"),
            Field("source"),
        ),
        doc="products",
    ),
    RecordKind(
        "item_properties",
        (
            Field("item", ref="items"),
            Field("property", ref="properties"),
            Field("value"),
            Field("value_zh", False),
            Field("value_en", False),
            Field("source"),
        ),
        key=("item", "property", "value"),
        doc="(item, property, value) triples",
    ),
    RecordKind(
        "causes",
        (Field("scenario", ref="scenarios"), Field("problem", ref="problems"), Field("source")),
        key=("scenario", "problem"),
        doc="scenario -CAUSE-> problem",
    ),
    RecordKind(
        "needs",
        (Field("problem", ref="problems"), Field("poi", ref="pois"), Field("source")),
        key=("problem", "poi"),
        doc="problem -NEED-> POI",
    ),
    RecordKind(
        "satisfies",
        (
            Field("property", ref="properties"),
            Field("value"),
            Field("value_en", False),
            Field("poi", ref="pois"),
            Field("score", False, "number"),
            Field("source"),
        ),
        key=("property", "value", "poi"),
        doc="property value -SATISFY-> POI",
    ),
    RecordKind(
        "user_problems",
        (Field("user", type="id"), Field("problem", ref="problems"), Field("source")),
        key=("user", "problem"),
        doc="user -HAS_PROBLEM-> problem (the user state that preference completion starts from)",
    ),
    RecordKind(
        "faqs",
        (
            Field("id", type="id"),
            Field("question"),
            Field("answer"),
            Field("lang", type="lang"),
            Field("item", False, ref="items"),
            Field("source"),
        ),
        doc="frequently asked questions with answers",
    ),
    RecordKind(
        "images",
        (
            Field("id", type="id"),
            Field("path"),
            Field("subject"),
            Field("subject_kind", type="text"),
            Field("caption", False),
            Field("source"),
        ),
        doc="images and the node they show",
    ),
)
KIND_BY_NAME = {kind.name: kind for kind in KINDS}


def has_cjk(text: str) -> bool:
    """True when the text holds a Chinese character."""
    return bool(_CJK.search(text))


def clean_text(value: Any, name: str) -> str:
    """Collapse white space and drop control characters; reject non-text, empty and overlong values."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise RecordInvalid(f"field '{name}' must be text, got {type(value).__name__}")
    text = _SPACES.sub(" ", _CONTROL.sub("", value)).strip() if _UNCLEAN.search(value) else value.strip()
    if not text:
        raise RecordInvalid(f"field '{name}' is empty")
    if len(text) > MAX_TEXT:
        raise RecordInvalid(f"field '{name}' is too long ({len(text)} > {MAX_TEXT} characters)")
    return text


def value_key(property_id: str, value: str, value_en: str | None = None) -> str:
    """The id of a PropertyValue node: the property plus the English form of the value when known."""
    canonical = _SPACES.sub(" ", (value_en or value)).strip().casefold()
    return f"{property_id}:{canonical}"


def _convert(spec: Field, raw: Any) -> Any:
    if spec.type == "number":
        if isinstance(raw, bool):
            raise RecordInvalid(f"field '{spec.name}' must be a number, got {raw!r}")
        try:
            number = float(raw)
        except (TypeError, ValueError):
            raise RecordInvalid(f"field '{spec.name}' must be a number, got {str(raw)[:40]!r}") from None
        if not math.isfinite(number) or number < 0:
            raise RecordInvalid(f"field '{spec.name}' must be a finite number >= 0, got {raw!r}")
        return number
    if spec.type == "list":
        items = raw.split("|") if isinstance(raw, str) else raw
        if not isinstance(items, list):
            raise RecordInvalid(f"field '{spec.name}' must be a list or '|'-separated text")
        return [clean_text(item, spec.name) for item in items if str(item).strip()]
    text = clean_text(raw, spec.name)
    if spec.type == "id" and len(text) > MAX_ID:
        raise RecordInvalid(f"field '{spec.name}' is too long for an id ({len(text)} > {MAX_ID})")
    if spec.type == "lang" and text not in LANGS:
        raise RecordInvalid(f"field '{spec.name}' must be one of {', '.join(LANGS)}, got {text[:20]!r}")
    if spec.type == "domain" and text not in DOMAINS:
        raise RecordInvalid(f"field '{spec.name}' must be one of {', '.join(DOMAINS)}, got {text[:20]!r}")
    if spec.type == "currency":
        text = text.upper()
        if not _CURRENCY.fullmatch(text):
            raise RecordInvalid(f"field '{spec.name}' must be an ISO 4217 code such as CNY or USD, got {text[:20]!r}")
    return text


def validate(kind: RecordKind, raw: Any) -> dict[str, Any]:
    """Check one raw row of `kind` and return it cleaned; raise RecordInvalid with the reason."""
    if not isinstance(raw, dict):
        raise RecordInvalid(f"a {kind.name} record must be an object, got {type(raw).__name__}")
    if not kind.field_names.issuperset(raw):
        unknown = sorted(set(raw) - kind.field_names)
        raise RecordInvalid(f"unknown field(s) {', '.join(repr(u[:40]) for u in unknown[:5])}")
    row: dict[str, Any] = {}
    for spec in kind.fields:
        raw_value = raw.get(spec.name)
        if raw_value is None or (isinstance(raw_value, str) and not raw_value.strip()):
            if spec.required:
                raise RecordInvalid(f"missing required field '{spec.name}'")
            row[spec.name] = [] if spec.type == "list" else None
            continue
        row[spec.name] = _convert(spec, raw_value)
    if kind.name == "images" and row["subject_kind"] not in IMAGE_SUBJECT_KINDS:
        raise RecordInvalid(
            f"field 'subject_kind' must be one of {', '.join(IMAGE_SUBJECT_KINDS)}, got {row['subject_kind'][:30]!r}"
        )
    if kind.name == "items" and row["price"] is not None:
        row["currency"] = row["currency"] or DEFAULT_CURRENCY
    if kind.name == "satisfies" and row["score"] is not None and row["score"] > 1:
        raise RecordInvalid(f"field 'score' must be between 0 and 1, got {row['score']}")
    return row
