"""Which language a message is in: Chinese when it holds a Chinese character, else English. Standard library only:
rasa_addons imports it in the Rasa server's environment."""

from __future__ import annotations

import re

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")  # CJK ideographs (extension A, unified, compatibility)


def has_cjk(text: str) -> bool:
    """True when the text holds a Chinese character."""
    return bool(_CJK.search(text))


def detect_language(text: str | None) -> str:
    """'zh' or 'en'."""
    return "zh" if text and has_cjk(text) else "en"


def pick(language: str, zh: str | None, en: str | None) -> str:
    """The name in the wanted language, else the other one, else ''."""
    first, second = (zh, en) if language == "zh" else (en, zh)
    return first or second or ""
