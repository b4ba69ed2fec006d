"""What a shopper reads as an item's name: its name in their language where the catalog gives one, else for an
English reader an English line made from the graph (category, brand, key values) beside the original title."""

from __future__ import annotations

from collections.abc import Sequence

from actions.graph_store import ItemSummary
from actions.language import has_cjk

TITLE_CHARS = 48
KEY_VALUES = 2  # English key values in the English line of an item with no English name


def short_title(title: str) -> str:
    """A title cut to a readable length."""
    return title if len(title) <= TITLE_CHARS else title[: TITLE_CHARS - 1] + "…"


def english_line(item: ItemSummary, values: Sequence[str] = ()) -> str:
    """'Facial mask · Kracie' from the category's English name, the brand and the first KEY_VALUES English values
    ('' for none: names in Chinese are left out)."""
    english = [value for value in values if not has_cjk(value)][:KEY_VALUES]
    parts = [part for part in (item.category_en, item.brand, *english) if part and not has_cjk(part)]
    line = " · ".join(dict.fromkeys(parts))
    return line[:1].upper() + line[1:]


def display_title(item: ItemSummary, language: str, values: Sequence[str] = (), short: bool = False) -> str:
    """The item's name for a reply: Chinese: title_zh, else the title; English: title_en, else the title of an
    English item, else the English line (with `values`, English key values) beside the title. `short` cuts the
    original title to TITLE_CHARS."""
    cut = short_title if short else str
    if language == "zh":
        return cut(item.title_zh or item.title)
    if item.title_en or item.lang == "en":
        return cut(item.title_en or item.title)
    line = english_line(item, values)
    return f"{line} — {cut(item.title)}" if line else cut(item.title)
