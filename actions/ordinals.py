"""Ordinal mentions ("the second one", "第二个", "2", "the last one") -> a position in a listed result."""

from __future__ import annotations

import re

_EN = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5,
}  # fmt: skip
_CARDINALS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}  # only after "number" / "no.": "the red one"
_ZH_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_LAST = re.compile(r"\b(last|final)\b|最后")
# Bounded repeats only: every pattern runs in time linear in the message (no backtracking over long runs of digits
# or spaces).
_ZH = re.compile(r"第\s{0,3}([一二两三四五六七八九十]|\d{1,3})|(?<!\d)([一二两三四五六七八九十]|\d{1,3})\s{0,3}号")
_NUMBER = re.compile(r"(?:no\.?|number|#)?\s{0,3}\b(\d{1,2})\b")
_NAMED_NUMBER = re.compile(r"\b(?:no\.?|number|#)\s{0,3}(" + "|".join(_CARDINALS) + r")\b")
_WORD = re.compile(r"\b(" + "|".join(sorted(_EN, key=len, reverse=True)) + r")\b")


def ordinal_index(text: str, count: int) -> int | None:
    """The 0-based index the text points at among `count` listed items, or None."""
    if count <= 0 or not text:
        return None
    folded = text.casefold()
    position: int | None = None
    if _LAST.search(folded):
        position = count
    elif match := _ZH.search(folded):
        token = match.group(1) or match.group(2)
        position = int(token) if token.isdigit() else _ZH_DIGITS[token]
    elif match := _WORD.search(folded):
        position = _EN[match.group(1)]
    elif match := _NAMED_NUMBER.search(folded):
        position = _CARDINALS[match.group(1)]
    elif match := _NUMBER.search(folded):
        position = int(match.group(1))
    if position is None or not 1 <= position <= count:
        return None
    return position - 1


def ordinal_indices(text: str, count: int) -> list[int]:
    """Every distinct position the text points at, in order ("the first or the third" -> [0, 2]; "第一个和第三个")."""
    folded = text.casefold()
    positions: list[int] = []
    for match in _ZH.finditer(folded):
        token = match.group(1) or match.group(2)
        positions.append(int(token) if token.isdigit() else _ZH_DIGITS[token])
    positions += [_EN[match.group(1)] for match in _WORD.finditer(folded)]
    if _LAST.search(folded):
        positions.append(count)
    if len(positions) < 2:  # "which is cheaper, 1 or 4?"
        positions += [int(match.group(1)) for match in _NUMBER.finditer(folded)]
    found = [p - 1 for p in dict.fromkeys(positions) if 1 <= p <= count]
    return found
