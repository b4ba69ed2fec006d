"""Recommendation along the cognitive path: scenario / problem / need mentioned in the message → POIs →
property values that satisfy them → items, each with its path as the reason (paper section 3)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from actions.entity_linking import NEED_KINDS, EntityLinker, Mention
from actions.exhibition import carousel, numbered_title, price_suffix
from actions.graph_store import GraphStore, ItemSummary
from actions.messages import say
from actions.reply import Reply

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

    def mentions(self, text: str) -> list[Mention]:
        """The scenario, problem and POI names in a text."""
        return self._linker.mentions(text)

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

    def reply(self, text: str, language: str) -> Reply:
        """Items for the user's situation along scenario → problem → POI → value → item, the path as reason."""
        needs = self.needs(text)
        found = self.recommend(needs)
        if not found:
            return Reply(no_recommendation(language, bool(needs)))
        ids = [rec.item.id for rec in found]
        return Reply(
            recommendation_list(found, language),
            listed_items=ids,
            property_in_focus="",
            payload={"type": "recommendation", "items": ids, "paths": [rec.reason for rec in found]},
            needs={"scenarios": needs.scenarios, "problems": needs.problems, "pois": needs.pois},
            carousel=carousel([rec.item for rec in found], language),
        )


def path_text(reason: dict[str, Any], language: str) -> str:
    """'熬夜 → 皮肤暗沉 → 美白提亮 → 烟酰胺' from one recommendation path."""
    steps = [
        reason.get(f"scenario_{language}") or reason.get("scenario_zh"),
        reason.get(f"problem_{language}") or reason.get("problem_zh"),
        reason.get(f"poi_{language}") or reason.get("poi_zh"),
        (reason.get("value_en") if language == "en" else None) or reason.get("value"),
    ]
    return " → ".join(step for step in steps if step)


def recommendation_list(recommendations: list[Recommendation], language: str) -> str:
    """Numbered items, each with the path that explains it."""
    lines = []
    for n, rec in enumerate(recommendations, 1):
        mark = say("predicted_mark", language) if rec.reason.get("predicted") else ""
        lines.append(
            f"{numbered_title(n, rec.item, language)}{price_suffix(rec.item, language)}\n"
            + say("recommendation_reason", language, path=path_text(rec.reason, language), mark=mark)
        )
    return "\n".join([say("recommendation_head", language), *lines, say("recommendation_tail", language)])


def no_recommendation(language: str, needs_found: bool) -> str:
    """Nothing along the path, or no need recognised."""
    return say("no_recommendation" if needs_found else "ask_situation", language)
