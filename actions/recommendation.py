"""Recommendation along the cognitive path: scenario / problem / need mentioned in the message → POIs →
property values that satisfy them → items, each with its path as the reason."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from actions.entity_linking import NEED_KINDS, EntityLinker
from actions.graph_store import GraphStore, ItemSummary

MAX_RECOMMENDATIONS = 5


@dataclass(frozen=True)
class Recommendation:
    """An item and the path that led to it (names in both languages; missing steps are None)."""

    item: ItemSummary
    reason: dict[str, Any]
    needs_met: int


@dataclass(frozen=True)
class Needs:
    """What the message says about the user's situation."""

    scenarios: list[str]
    problems: list[str]
    pois: list[str]

    def __bool__(self) -> bool:
        return bool(self.scenarios or self.problems or self.pois)


class Recommender:
    """Finds needs in text and items along the path from them; the graph and a needs linker are passed in."""

    def __init__(self, store: GraphStore, linker: EntityLinker | None = None) -> None:
        self._store = store
        self._linker = linker or EntityLinker.from_store(store, NEED_KINDS)

    def needs(self, text: str) -> Needs:
        """Scenarios, problems and curated POIs named in the text."""
        mentions = self._linker.mentions(text)
        found = {kind: list(dict.fromkeys(m.id for m in mentions if m.kind == kind)) for kind in NEED_KINDS}
        return Needs(found["scenario"], found["problem"], found["poi"])

    def recommend(self, needs: Needs, limit: int = MAX_RECOMMENDATIONS) -> list[Recommendation]:
        """Items meeting the most needs first, curated paths before predicted ones."""
        if not needs:
            return []
        rows = self._store.recommendations(needs.scenarios, needs.problems, needs.pois, limit)
        summaries = {s.id: s for s in self._store.summaries([row["item"] for row in rows])}
        return [
            Recommendation(summaries[row["item"]], row["reason"], row["needs_met"])
            for row in rows
            if row["item"] in summaries
        ]
