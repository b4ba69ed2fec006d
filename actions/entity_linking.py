"""Linking mentions in a message to graph entities (categories, properties, brands) by their names."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from actions.graph_store import GraphStore

_LABEL_KIND = {
    "Category": "category",
    "Property": "property",
    "Brand": "brand",
    "Scenario": "scenario",
    "Problem": "problem",
    "POI": "poi",
}
PRODUCT_KINDS = ("category", "property", "brand")
NEED_KINDS = ("scenario", "problem", "poi")
_ASCII_WORD = re.compile(r"^[\w\- ]+$", re.ASCII)


def fold(text: str) -> str:
    """Case-folded text of the same length, so positions in it are positions in `text`: a character whose folding
    is longer ("ß" -> "ss", "İ") is kept as it is."""
    folded = text.casefold()
    if len(folded) == len(text):  # the common case: every character folds to one
        return folded
    return "".join(f if len(f := char.casefold()) == 1 else char for char in text)


@dataclass(frozen=True)
class Mention:
    """A span of the message that names an entity."""

    kind: str  # category | property | brand
    id: str
    start: int
    end: int


class EntityLinker:
    """Finds the longest names of known entities in a text (case-insensitive, whole words for Latin names).

    Names are kept in one table per length; each position of a message is looked up for the lengths of the names
    that start with its character. The cost grows with the message, not with the number of names: a loop over every
    name made a recommendation take 251 ms with the 500k POI names of 300k generated items, 8 ms now
    (benchmarks/cost_curves.py)."""

    def __init__(self, names: list[tuple[str, str, str]]) -> None:
        """`names`: (kind, id, name) triples."""
        self._by_length: dict[int, dict[str, list[tuple[str, str]]]] = {}
        self._ids: set[tuple[str, str]] = set()
        for kind, entity_id, name in names:
            folded = fold(name)
            if not folded.strip():
                continue
            self._by_length.setdefault(len(folded), {}).setdefault(folded, []).append((kind, entity_id))
            self._ids.add((kind, entity_id))
        # the lengths of the names that start with a character, longest first: most characters start none
        starts: dict[str, set[int]] = {}
        for length, table in self._by_length.items():
            for folded in table:
                starts.setdefault(folded[0], set()).add(length)
        self._lengths_from = {char: sorted(lengths, reverse=True) for char, lengths in starts.items()}

    @classmethod
    def from_store(cls, store: GraphStore, kinds: tuple[str, ...] = PRODUCT_KINDS) -> EntityLinker:
        """Load every name and alias of the given kinds from the graph.

        Product words and needs get separate linkers, so that a long need ("口红不沾杯") never hides a
        category inside it."""
        return cls.from_rows(store.entity_names(), kinds)

    @classmethod
    def from_rows(cls, rows: list[dict[str, Any]], kinds: tuple[str, ...] = PRODUCT_KINDS) -> EntityLinker:
        """A linker of the given kinds from rows of GraphStore.entity_names (read once for several linkers)."""
        return cls(
            [
                (_LABEL_KIND[row["label"]], row["id"], name)
                for row in rows
                if _LABEL_KIND.get(row["label"]) in kinds
                for name in row["names"]
            ]
        )

    def knows(self, kind: str, entity_id: str) -> bool:
        """True when the id is a known entity of that kind."""
        return (kind, entity_id) in self._ids

    def canonical(self, kind: str, text: str | None) -> str | None:
        """The id for an NLU entity value that is an id, a name or an alias; None when unknown."""
        if not text:
            return None
        if self.knows(kind, text):
            return text
        folded = fold(text).strip()
        entities = self._by_length.get(len(folded), {}).get(folded, [])
        return next((entity_id for entity_kind, entity_id in entities if entity_kind == kind), None)

    def mentions(self, text: str) -> list[Mention]:
        """Non-overlapping mentions: longest names first, then leftmost; start and end index `text`."""
        folded = fold(text)
        candidates = [  # (length, start) of each slice that is a name
            (length, start)
            for start, char in enumerate(folded)
            for length in self._lengths_from.get(char, ())
            if folded[start : start + length] in self._by_length[length]
        ]
        candidates.sort(key=lambda pair: (-pair[0], pair[1]))
        taken = [False] * len(folded)
        found: list[Mention] = []
        for length, start in candidates:
            end = start + length
            if any(taken[start:end]) or not _word_bounded(folded, start, end, folded[start:end]):
                continue
            kind, entity_id = self._by_length[length][folded[start:end]][0]
            taken[start:end] = [True] * length
            found.append(Mention(kind, entity_id, start, end))
        return sorted(found, key=lambda mention: mention.start)

    def first(self, text: str, kind: str) -> str | None:
        """The id of the first mention of one kind, if any."""
        return next((m.id for m in self.mentions(text) if m.kind == kind), None)


def _word_bounded(text: str, start: int, end: int, name: str) -> bool:
    """Latin names must not sit inside a longer word ('cap' in 'capsules')."""
    if not _ASCII_WORD.match(name):
        return True
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not (before.isascii() and before.isalnum()) and not (after.isascii() and after.isalnum())
