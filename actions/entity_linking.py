"""Linking mentions in a message to graph entities (categories, properties, brands) by their names."""

from __future__ import annotations

import re
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Mention:
    """A span of the message that names an entity."""

    kind: str  # category | property | brand
    id: str
    start: int
    end: int


class EntityLinker:
    """Finds the longest names of known entities in a text (case-insensitive, whole words for Latin names)."""

    def __init__(self, names: list[tuple[str, str, str]]) -> None:
        """`names`: (kind, id, name) triples."""
        self._names = sorted(
            ((kind, entity_id, name.casefold()) for kind, entity_id, name in names if name.strip()),
            key=lambda triple: -len(triple[2]),
        )
        self._ids = {(kind, entity_id) for kind, entity_id, _ in self._names}

    @classmethod
    def from_store(cls, store: GraphStore, kinds: tuple[str, ...] = PRODUCT_KINDS) -> EntityLinker:
        """Load every name and alias of the given kinds from the graph.

        Product words and needs get separate linkers, so that a long need ("口红不沾杯") never hides a
        category inside it."""
        return cls(
            [
                (_LABEL_KIND[row["label"]], row["id"], name)
                for row in store.entity_names()
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
        folded = text.casefold().strip()
        return next((eid for k, eid, name in self._names if k == kind and name == folded), None)

    def mentions(self, text: str) -> list[Mention]:
        """Non-overlapping mentions, longest names first."""
        folded = text.casefold()
        taken = [False] * len(folded)
        found: list[Mention] = []
        for kind, entity_id, name in self._names:  # plain substring search: a regex per name thrashed re's cache
            start = folded.find(name)
            while start != -1:
                end = start + len(name)
                if not any(taken[start:end]) and _word_bounded(folded, start, end, name):
                    taken[start:end] = [True] * (end - start)
                    found.append(Mention(kind, entity_id, start, end))
                start = folded.find(name, start + 1)
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
