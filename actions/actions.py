"""Rasa custom actions: read the tracker, call ShoppingAssistant, send the reply. Nothing else lives here.

The tracker is the client's to craft (slots and entities included): it is read through the helpers below, which
take strings of at most MAX_VALUE_CHARS, at most MAX_LISTED_ITEMS listed items, MAX_NEEDS needs of each kind and
the first MAX_ENTITIES entities, and ignore values of any other type (actions/limits.py).

Logging (logger `actions.actions`): every exception that becomes an apology, with its traceback; each turn's
intent, action and time at debug level; a warning at start-up when no FAQ matcher is trained.

rasa-sdk runs a synchronous `run` on its event loop, where it holds up every other conversation while it works:
the video turn, which may render for seconds, runs in a worker thread instead (ActionMakeVideo)."""

from __future__ import annotations

import abc
import asyncio
import logging
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.assistant import Reply, ShoppingAssistant
from actions.faq import faq_model_available
from actions.graph_store import GraphUnavailable, shared_store
from actions.language import detect_language
from actions.limits import MAX_ENTITIES, MAX_LISTED_ITEMS, MAX_MESSAGE_CHARS, MAX_NEEDS, MAX_VALUE_CHARS
from actions.messages import say
from actions.query_vector import model_tag, unpack
from actions.video import max_renders
from kg_builder.faq.store_ranker import RANKER_FILE

logger = logging.getLogger(__name__)
_assistant: ShoppingAssistant | None = None


def warn_if_faq_missing(path: Path = RANKER_FILE) -> bool:
    """At start-up: warn when the FAQ ranker is not calibrated (checks the file; the encoder loads on the first FAQ
    question). Returns whether there is one."""
    if faq_model_available(path):
        return True
    logger.warning(
        "No calibrated FAQ ranker in %s (run `python -m kg_builder faq`): FAQ questions get the reply that the FAQ "
        "is unavailable and go to the host.",
        path,
    )
    return False


warn_if_faq_missing()


def encode_query(text: str) -> Sequence[float]:
    """A shopper's words as an e5 query vector (the encoder loads on the first search, not at start-up; the message
    is not kept in the embedding cache)."""
    from kg_builder.textmodels.encoder import text_encoder

    return text_encoder().query(text, cache=False)


def rasa_vector(tracker: Tracker) -> AbstractContextManager[None]:
    """For the turn's duration: the e5 vector the Rasa server made for the latest message (actions/query_vector.py)
    answers the encoder's query for exactly that text, so a search or FAQ turn does not embed the same words again.
    Nothing is kept after the turn. A no-op when there is no vector that fits, or no encoder."""
    from kg_builder.textmodels.encoder import text_encoder

    try:
        given = unpack(tracker.latest_message, model_tag())
        return text_encoder().given_query(*given) if given is not None else nullcontext()
    except (ImportError, OSError, RuntimeError):  # the encoder will not load: the turn goes on without it
        logger.warning("the e5 encoder is not available; the message's vector is not reused", exc_info=True)
        return nullcontext()


def assistant() -> ShoppingAssistant:
    """One assistant per action-server process, created once the graph is reachable."""
    global _assistant
    if _assistant is None:
        _assistant = ShoppingAssistant(shared_store(), encode=encode_query)
    return _assistant


NEED_KINDS = ("scenarios", "problems", "pois")  # the keys of the needs_in_focus slot (Reply.needs)


def _short(value: object) -> str | None:
    """A non-empty string of at most MAX_VALUE_CHARS (an id, a name, an entity value), else None."""
    return value if isinstance(value, str) and 0 < len(value) <= MAX_VALUE_CHARS else None


def _strings(value: object, limit: int) -> list[str]:
    """The first `limit` entries of a list, those that are short strings."""
    return [entry for entry in value[:limit] if _short(entry) is not None] if isinstance(value, list) else []


def _text(tracker: Tracker) -> str:
    """The latest message's text ('' when it has none); the assistant's turns answer one over the limit."""
    text = tracker.latest_message.get("text")
    return text if isinstance(text, str) else ""


def _entity(tracker: Tracker, name: str) -> str | None:
    """The value of the first entity `name` (no role, no group) among the latest message's first MAX_ENTITIES."""
    entities = tracker.latest_message.get("entities")
    for entity in entities[:MAX_ENTITIES] if isinstance(entities, list) else []:
        if not isinstance(entity, dict) or entity.get("role") is not None or entity.get("group") is not None:
            continue
        if entity.get("entity") == name:
            return _short(entity.get("value"))
    return None


def _slot(tracker: Tracker, name: str) -> str | None:
    """A text slot (item_in_focus, property_in_focus)."""
    return _short(tracker.get_slot(name))


def _listed(tracker: Tracker) -> list[str]:
    """The listed_items slot: at most MAX_LISTED_ITEMS ids."""
    return _strings(tracker.get_slot("listed_items"), MAX_LISTED_ITEMS)


def _needs(tracker: Tracker) -> dict[str, list[str]] | None:
    """The needs_in_focus slot: at most MAX_NEEDS ids of each kind; None when unset or not a mapping."""
    needs = tracker.get_slot("needs_in_focus")
    if not isinstance(needs, dict):
        return None
    return {kind: _strings(needs[kind], MAX_NEEDS) for kind in NEED_KINDS if needs.get(kind) is not None}


def _intent(tracker: Tracker) -> str | None:
    intent = tracker.latest_message.get("intent")
    return _short(intent.get("name")) if isinstance(intent, dict) else None


def _log_turn(tracker: Tracker, action: str, started: float) -> None:
    intent = _intent(tracker)
    logger.debug("turn: intent=%s action=%s time=%.3f s", intent, action, time.perf_counter() - started)


# Channels that take the structured payload as `custom` JSON; Rasa 3.6's socket.io channel passes custom JSON
# to `emit()` as keyword arguments and fails on it, and the shell only prints it.
STRUCTURED_CHANNELS = ("rest",)
# `rasa shell` prints an attachment as a string and fails on a dict (Rasa 3.6 console): it gets no carousel (the
# numbered list is in the text) and the video's address as text. Its buttons would become a menu that takes the
# next typed line, so it gets them as a hint in the text instead: what to say for each.
TEXT_ONLY_CHANNELS = ("cmdline",)


def button_hint(buttons: list[dict[str, str]]) -> str:
    """'(you can say "Watch a short video")': the buttons as words to type, in the language of their payloads."""
    language = detect_language(" ".join(button["payload"] for button in buttons))
    choices = [
        say("button_choice", language, payload=button["payload"])
        + ("" if button["title"] == button["payload"] else say("button_title", language, title=button["title"]))
        for button in buttons
    ]
    return say("button_hint", language, choices=say("list_separator", language).join(choices))


def _send(dispatcher: CollectingDispatcher, reply: Reply, channel: str | None = None) -> list[EventType]:
    structured = reply.payload if channel in STRUCTURED_CHANNELS else None
    text_only = channel in TEXT_ONLY_CHANNELS
    buttons = [] if text_only else reply.buttons
    hint = button_hint(reply.buttons) if text_only and reply.buttons else ""
    carousel = reply.carousel if not text_only else []
    media_follow = bool(carousel or reply.images or reply.video)
    buttons_now = bool(reply.buttons) and not media_follow
    first_buttons = buttons if buttons_now else None
    text = reply.text + (hint if buttons_now else "")
    dispatcher.utter_message(text=text, json_message=structured, buttons=first_buttons)
    if carousel:
        dispatcher.utter_message(
            attachment={"type": "template", "payload": {"template_type": "generic", "elements": carousel}}
        )
    for image in reply.images:
        dispatcher.utter_message(image=image)
    if reply.video and text_only:
        dispatcher.utter_message(text=reply.video)
    elif reply.video:
        dispatcher.utter_message(attachment={"type": "video", "payload": {"title": reply.text, "src": reply.video}})
    if reply.buttons and not buttons_now:  # widgets show buttons on the last message: they come after the media
        dispatcher.utter_message(text=reply.prompt + hint, buttons=buttons)
    events: list[EventType] = []
    if reply.listed_items is not None:
        events.append(SlotSet("listed_items", reply.listed_items))
    if reply.item_in_focus is not None:
        events.append(SlotSet("item_in_focus", reply.item_in_focus))
    if reply.needs is not None:
        events.append(SlotSet("needs_in_focus", reply.needs))
    if reply.property_in_focus is not None:
        events.append(SlotSet("property_in_focus", reply.property_in_focus or None))
    if reply.search_state is not None:
        events.append(SlotSet("search_state", reply.search_state or None))
    return events


class AssistantAction(Action, abc.ABC):
    """One turn of ShoppingAssistant: a subclass names the action and says which call answers the message.

    When the graph is down the user gets an apology in their language instead of a failure; any other exception
    fails the action, and the Rasa server apologises for the silent turn (rasa_addons/apology_policy.py). Both are
    logged with their traceback. The `language` slot follows the user, so that Rasa's own fallback reply
    (utter_default) can too."""

    action_name = ""

    def name(self) -> str:
        return self.action_name

    @abc.abstractmethod
    def turn(self, shop: ShoppingAssistant, text: str, tracker: Tracker) -> Reply:
        """The assistant's reply to the latest message (abstract: rasa-sdk registers no abstract action)."""

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        started = time.perf_counter()
        text = _text(tracker)
        language = detect_language(text[:MAX_MESSAGE_CHARS])
        try:
            with rasa_vector(tracker):
                reply = self.turn(assistant(), text, tracker)
            events = _send(dispatcher, reply, tracker.get_latest_input_channel())
        except GraphUnavailable:
            logger.exception("%s: the graph is unavailable, the user gets an apology", self.name())
            global _assistant
            _assistant = None
            dispatcher.utter_message(text=say("graph_unavailable", language))
            events = []
        except Exception:
            logger.exception("%s failed, the Rasa server apologises for the silent turn", self.name())
            raise
        finally:
            _log_turn(tracker, self.name(), started)
        return [SlotSet("language", language), *events]


class ActionSearchItems(AssistantAction):
    """List the items that fit the user's request."""

    action_name = "action_search_items"

    def turn(self, shop: ShoppingAssistant, text: str, tracker: Tracker) -> Reply:
        return shop.search(
            text, _entity(tracker, "category"), _entity(tracker, "brand"), _slot(tracker, "item_in_focus")
        )


class ActionChooseItem(AssistantAction):
    """Show the card of the listed item the user picked (or, after a property answer, that property of it)."""

    action_name = "action_choose_item"

    def turn(self, shop: ShoppingAssistant, text: str, tracker: Tracker) -> Reply:
        return shop.choose(text, _listed(tracker), _entity(tracker, "ordinal"), _slot(tracker, "property_in_focus"))


class ActionAnswerProperty(AssistantAction):
    """Answer a question about a property of the item in focus."""

    action_name = "action_answer_property"

    def turn(self, shop: ShoppingAssistant, text: str, tracker: Tracker) -> Reply:
        return shop.ask_property(
            text,
            focus=_slot(tracker, "item_in_focus"),
            listed=_listed(tracker),
            property_value=_entity(tracker, "property"),
            category=_entity(tracker, "category"),
            property_in_focus=_slot(tracker, "property_in_focus"),
        )


class ActionRecommend(AssistantAction):
    """Recommend items for the user's situation, with the path scenario → problem → POI → value as reason."""

    action_name = "action_recommend"

    def turn(self, shop: ShoppingAssistant, text: str, tracker: Tracker) -> Reply:
        return shop.recommend(text)


class ActionRefineItems(AssistantAction):
    """Narrow the list shown by the constraints of the message ("the red ones", "under $20", "not Maybelline")."""

    action_name = "action_refine_items"

    def turn(self, shop: ShoppingAssistant, text: str, tracker: Tracker) -> Reply:
        return shop.refine(text, _listed(tracker), _slot(tracker, "item_in_focus"), tracker.get_slot("search_state"))


class ActionShowMore(AssistantAction):
    """The next page of the same search ("show me more", "换一批")."""

    action_name = "action_show_more"

    def turn(self, shop: ShoppingAssistant, text: str, tracker: Tracker) -> Reply:
        return shop.more(text, _listed(tracker), tracker.get_slot("search_state"))


class ActionCompareItems(AssistantAction):
    """Compare or sort the listed items (cheapest, "which is cheaper, the first or the third?", by price)."""

    action_name = "action_compare_items"

    def turn(self, shop: ShoppingAssistant, text: str, tracker: Tracker) -> Reply:
        return shop.compare(text, _listed(tracker))


class ActionExplain(AssistantAction):
    """Why an item was recommended, or why it is good for the need the message names."""

    action_name = "action_explain"

    def turn(self, shop: ShoppingAssistant, text: str, tracker: Tracker) -> Reply:
        return shop.explain(text, _slot(tracker, "item_in_focus"), _listed(tracker), _needs(tracker))


class ActionShowPictures(AssistantAction):
    """Show the stored images that best match the message (the item in focus's when it is about that item)."""

    action_name = "action_show_pictures"

    def turn(self, shop: ShoppingAssistant, text: str, tracker: Tracker) -> Reply:
        return shop.pictures(text, _slot(tracker, "item_in_focus"), _listed(tracker))


# Threads for video turns: the renders themselves are limited to VIDEO_MAX_RENDERS (actions/video.py); the extra
# threads serve videos from the cache while renders run. More turns than threads wait in the pool's queue.
VIDEO_TURNS = ThreadPoolExecutor(max_workers=max_renders() + 2, thread_name_prefix="video-turn")


class ActionMakeVideo(AssistantAction):
    """Render (or reuse) the short video of the item in focus and send it: the turn runs in a VIDEO_TURNS thread,
    so that the event loop goes on with other conversations while it renders."""

    action_name = "action_make_video"

    async def run(  # type: ignore[override]
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        turn = super().run
        return await asyncio.get_running_loop().run_in_executor(VIDEO_TURNS, turn, dispatcher, tracker, domain)

    def turn(self, shop: ShoppingAssistant, text: str, tracker: Tracker) -> Reply:
        return shop.video(text, _slot(tracker, "item_in_focus"), _listed(tracker), _needs(tracker))


class ActionAnswerFaq(AssistantAction):
    """Answer a store question from the most similar FAQ, or pass it on to the host."""

    action_name = "action_answer_faq"

    def turn(self, shop: ShoppingAssistant, text: str, tracker: Tracker) -> Reply:
        return shop.faq(text, _slot(tracker, "item_in_focus"))


class ActionUtterLocalized(Action):
    """Send the pre-configured reply for the intent (greet, goodbye, thank, else out of scope) in the user's
    language. The texts live in `actions.messages.MESSAGES`: Rasa's own responses cannot follow the user's
    language."""

    INTENTS = ("greet", "goodbye", "thank")

    def name(self) -> str:
        return "action_utter_localized"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        started = time.perf_counter()
        key = intent if (intent := _intent(tracker)) in self.INTENTS else "out_of_scope"
        language = detect_language(_text(tracker)[:MAX_MESSAGE_CHARS])
        dispatcher.utter_message(text=say(key, language))
        _log_turn(tracker, self.name(), started)
        return [SlotSet("language", language)]
