"""Which language a message is in: Chinese when it holds a Chinese character, else English."""

from __future__ import annotations

from kg_builder.catalog.records import has_cjk


def detect_language(text: str | None) -> str:
    """'zh' or 'en'."""
    return "zh" if text and has_cjk(text) else "en"


def pick(language: str, zh: str | None, en: str | None) -> str:
    """The name in the wanted language, else the other one, else ''."""
    first, second = (zh, en) if language == "zh" else (en, zh)
    return first or second or ""
