"""Why: after a recommendation, "why the first one?" / "为什么推荐它" gives that item's path (scenario → problem →
need → the value that meets it); on a card, "why is it good for dry skin?" gives the value of the item that meets a
need of that problem, or says honestly that the graph does not link the item to it."""

from __future__ import annotations

from typing import Any

from actions.graph_store import GraphStore
from actions.language import pick
from actions.messages import say
from actions.ordinals import ordinal_index
from actions.recommendation import Needs, Recommender, path_text
from actions.reply import Reply
from actions.titles import display_title


class Explainer:
    """Explains why an item fits, from its cognitive path in the graph."""

    def __init__(self, store: GraphStore, recommender: Recommender) -> None:
        self._store = store
        self._recommender = recommender

    def reply(
        self,
        text: str,
        language: str,
        focus: str | None,
        listed: list[str],
        needs: dict[str, list[str]] | None = None,
    ) -> Reply:
        """The path of the item the message points at (an ordinal into the list, else the one in focus, else the
        only one listed), through the needs the message names, else those the conversation is about."""
        item_id = _pointed_item(text, focus, listed)
        if item_id is None:
            return Reply(say("which_item", language))
        asked = self._recommender.needs(text)
        remembered = needs or {}
        problems = asked.problems or ([] if asked else remembered.get("problems", []))
        scenarios = asked.scenarios or ([] if asked else remembered.get("scenarios", []))
        story = self._store.item_story(item_id, problems, scenarios)
        summaries = self._store.summaries([item_id])
        if story is None or not summaries:
            return Reply(say("which_item", language), item_in_focus=None)
        title = display_title(summaries[0], language, short=True)
        payload: dict[str, Any] = {"type": "explanation", "item": item_id}
        if story["value"] is None or story["poi"] is None:
            return Reply(say("why_no_path", language, title=title), item_in_focus=item_id, payload=payload)
        if asked and not _on_path(story, asked):
            named = self._asked_names(text, language)
            return Reply(say("why_not_linked", language, title=title, need=named), item_in_focus=item_id,
                         payload=payload)  # fmt: skip
        reason = _reason(story)
        payload["path"] = reason
        value = (reason["value_en"] if language == "en" else None) or reason["value"]
        poi = pick(language, reason["poi_zh"], reason["poi_en"])
        return Reply(
            say("why_path", language, title=title, path=path_text(reason, language), value=value, poi=poi),
            item_in_focus=item_id,
            payload=payload,
        )

    def _asked_names(self, text: str, language: str) -> str:
        """The needs the message names, as the shopper wrote them."""
        mentions = self._recommender.mentions(text)
        return say("list_separator", language).join(dict.fromkeys(text[m.start : m.end] for m in mentions))


def _pointed_item(text: str, focus: str | None, listed: list[str]) -> str | None:
    index = ordinal_index(text, len(listed))
    if index is not None:
        return listed[index]
    if focus:
        return focus
    return listed[0] if len(listed) == 1 else None


def _on_path(story: dict[str, Any], asked: Needs) -> bool:
    """Whether the item's path goes through a need the message names."""
    ids = {(story.get(kind) or {}).get("id") for kind in ("scenario", "problem", "poi")}
    return bool(ids & {*asked.scenarios, *asked.problems, *asked.pois})


def _reason(story: dict[str, Any]) -> dict[str, Any]:
    """An item story's path in the shape of a recommendation's reason."""
    names: dict[str, Any] = {}
    for kind in ("scenario", "problem", "poi"):
        node = story.get(kind) or {}
        names[f"{kind}_zh"], names[f"{kind}_en"] = node.get("name_zh"), node.get("name_en")
    return {**names, "value": story["value"]["value"], "value_en": story["value"].get("name_en")}
