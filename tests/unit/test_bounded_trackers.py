"""A tracker posted to the action server is read within bounds: 100,000 listed items, huge slot values, thousands
of entities or values of the wrong type make an action do a bounded amount of work and still answer. The actions
run as the action server runs them (a tracker dict through `Tracker.from_dict`) over the in-memory store of the
demo catalog, wrapped to record every call the assistant makes to it."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import actions
from actions.assistant import ShoppingAssistant
from actions.faq import FaqAnswerer
from actions.limits import MAX_ENTITIES, MAX_LISTED_ITEMS, MAX_NEEDS, MAX_VALUE_CHARS
from actions.memory_store import InMemoryGraphStore
from kg_builder.faq.scoring import bm25_scorer
from kg_builder.faq.store_ranker import on_text

LIPSTICKS = ["jie-82124", "b06", "b05", "ding-97385", "ding-6600"]
MANY = 100_000
HUGE = "x" * 1_000_000


class RecordingStore:
    """The in-memory store, recording each call: (method, positional arguments, keyword arguments)."""

    def __init__(self, store: InMemoryGraphStore) -> None:
        self._store = store
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._store, name)
        if not callable(attribute):
            return attribute

        def recorded(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, args, kwargs))
            return attribute(*args, **kwargs)

        return recorded

    def named(self, method: str) -> list[tuple[Any, ...]]:
        return [args + tuple(kwargs.values()) for name, args, kwargs in self.calls if name == method]

    def longest_string_argument(self) -> int:
        """The length of the longest string (alone or in a list) passed to the store."""
        values = [v for _, args, kwargs in self.calls for v in (*args, *kwargs.values())]
        strings = [s for v in values for s in (v if isinstance(v, list | tuple) else [v]) if isinstance(s, str)]
        return max(map(len, strings), default=0)


@pytest.fixture(scope="module")
def memory_store() -> InMemoryGraphStore:
    return InMemoryGraphStore.from_catalog()


@pytest.fixture
def store(memory_store: InMemoryGraphStore, monkeypatch: pytest.MonkeyPatch) -> RecordingStore:
    """The action server's assistant over a recording store (set-up calls forgotten), with BM25 as FAQ matcher."""
    recording = RecordingStore(memory_store)
    faq = FaqAnswerer(memory_store.faqs(), on_text(bm25_scorer()), {"zh": 15.0, "en": 15.0})
    monkeypatch.setattr(actions, "_assistant", ShoppingAssistant(recording, faq=faq))  # type: ignore[arg-type]
    recording.calls.clear()
    return recording


def tracker(
    text: object, intent: object = None, slots: dict[str, Any] | None = None, entities: object = None
) -> Tracker:
    """A tracker as the Rasa server posts it (only the parts the actions read)."""
    parsed = {"name": intent, "confidence": 1.0} if intent is None or isinstance(intent, str) else intent
    latest = {"text": text, "intent": parsed, "entities": entities or []}
    events = [{"event": "user", "text": "…", "input_channel": "rest"}]
    return Tracker.from_dict({"sender_id": "crafted", "slots": slots or {}, "latest_message": latest, "events": events})


def run(action: actions.Action, crafted: Tracker) -> tuple[list[dict[str, Any]], list[Any]]:
    """Run an action as rasa-sdk does: awaited when its `run` is a coroutine (the video turn's is)."""
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, crafted, {})
    if inspect.isawaitable(events):
        events = asyncio.run(events)
    return dispatcher.messages, events


def junk_ids(count: int) -> list[str]:
    return [f"junk-{n}" for n in range(count)]


def test_100k_listed_items_are_read_as_the_first_50(store: RecordingStore) -> None:
    listed = LIPSTICKS + junk_ids(MANY)
    messages, _ = run(actions.ActionChooseItem(), tracker("the second one", slots={"listed_items": listed}))
    assert store.named("item_card") == [("b06",)] and "【" in messages[0]["text"]
    store.calls.clear()
    run(actions.ActionChooseItem(), tracker("the vanilla one please", slots={"listed_items": listed}))
    assert len(store.named("item_card")) == MAX_LISTED_ITEMS  # one card per listed item compared, not 100,005


def test_the_list_an_answer_keeps_is_the_bounded_one(store: RecordingStore) -> None:
    _, events = run(actions.ActionChooseItem(), tracker("第二个", slots={"listed_items": LIPSTICKS + junk_ids(MANY)}))
    listed = next(event["value"] for event in events if event["name"] == "listed_items")
    assert listed[:5] == LIPSTICKS and len(listed) == MAX_LISTED_ITEMS


def test_100k_needs_reach_the_store_as_a_handful(store: RecordingStore) -> None:
    needs = {"scenarios": junk_ids(MANY), "problems": junk_ids(MANY), "pois": junk_ids(MANY), "other": junk_ids(MANY)}
    slots = {"needs_in_focus": needs, "item_in_focus": "junk-item", "listed_items": junk_ids(MANY)}
    messages, _ = run(actions.ActionMakeVideo(), tracker("video please", slots=slots))
    [(item, problems, scenarios)] = store.named("item_story")
    assert item == "junk-item" and len(problems) == len(scenarios) == MAX_NEEDS
    assert messages[0]["text"]  # "which item?": there is no such item


@pytest.mark.parametrize(
    "action",
    [
        actions.ActionSearchItems(),
        actions.ActionChooseItem(),
        actions.ActionAnswerProperty(),
        actions.ActionMakeVideo(),
        actions.ActionAnswerFaq(),
        actions.ActionRecommend(),
        actions.ActionShowPictures(),
    ],
    ids=lambda action: action.name(),
)
def test_huge_slot_and_entity_values_never_reach_the_store(store: RecordingStore, action: actions.Action) -> None:
    slots = {"item_in_focus": HUGE, "property_in_focus": HUGE, "listed_items": [HUGE] * MANY}
    entities = [{"entity": name, "value": HUGE} for name in ("category", "brand", "property", "ordinal")]
    entities += [{"entity": "junk", "value": "x"}] * MANY
    messages, events = run(action, tracker("口红的颜色呢", slots=slots, entities=entities))
    assert messages and messages[0]["text"]
    assert store.longest_string_argument() <= MAX_VALUE_CHARS  # the message's words and short ids only
    assert {"event": "slot", "name": "language", "value": "zh", "timestamp": None} in events


def test_entities_beyond_the_first_50_are_not_read(store: RecordingStore) -> None:
    entities = [{"entity": "junk", "value": "x"}] * MAX_ENTITIES + [{"entity": "category", "value": "口红"}]
    run(actions.ActionSearchItems(), tracker("我想看看", entities=entities))
    near = [{"entity": "junk", "value": "x"}] * (MAX_ENTITIES - 1) + [{"entity": "category", "value": "口红"}]
    assert actions._entity(tracker("我想看看", entities=near), "category") == "口红"
    assert actions._entity(tracker("我想看看", entities=entities), "category") is None


CRAFTED: list[dict[str, Any]] = [
    {"text": None, "intent": None, "slots": {"listed_items": "b06", "needs_in_focus": ["x"], "item_in_focus": 5}},
    {"text": 12345, "intent": ["greet"], "slots": {"listed_items": [1, None, {"a": 1}], "needs_in_focus": {"pois": 3}}},
    {"text": "第二个", "intent": "x" * 10_000, "slots": {"property_in_focus": ["color"]}, "entities": "category"},
    {"text": "the second one", "slots": {"listed_items": [HUGE, "b06"], "needs_in_focus": None}, "entities": [1, "x"]},
]
ACTIONS: list[Callable[[], actions.Action]] = [
    actions.ActionSearchItems,
    actions.ActionChooseItem,
    actions.ActionAnswerProperty,
    actions.ActionMakeVideo,
    actions.ActionAnswerFaq,
    actions.ActionRecommend,
    actions.ActionShowPictures,
    actions.ActionUtterLocalized,
]


@pytest.mark.parametrize("crafted", CRAFTED, ids=range(len(CRAFTED)))
def test_values_of_the_wrong_type_are_ignored(store: RecordingStore, crafted: dict[str, Any]) -> None:
    for action in ACTIONS:
        fields = {key: crafted.get(key) for key in ("text", "intent", "slots", "entities")}
        messages, _ = run(action(), tracker(**fields))
        assert messages and messages[0]["text"], action().name()


def test_ordinary_slots_are_read_as_before() -> None:
    slots = {"listed_items": LIPSTICKS, "item_in_focus": "b06", "needs_in_focus": {"problems": ["p1"], "pois": []}}
    crafted = tracker("x", slots=slots, entities=[{"entity": "category", "value": "口红", "role": None}])
    assert actions._listed(crafted) == LIPSTICKS and actions._slot(crafted, "item_in_focus") == "b06"
    assert actions._needs(crafted) == {"problems": ["p1"], "pois": []}
    assert actions._entity(crafted, "category") == "口红" and actions._entity(crafted, "brand") is None
    with_role = tracker("x", entities=[{"entity": "category", "value": "口红", "role": "old"}])
    assert actions._entity(with_role, "category") is None  # as rasa-sdk's get_latest_entity_values(name)
