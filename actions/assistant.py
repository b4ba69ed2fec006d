"""The shopping assistant's turns as plain Python, one call per turn, each handed to the step of paper section 3
that answers it: retrieval (actions/retrieval.py) and exhibition (actions/exhibition.py: result list, item card),
KBQA (actions/kbqa.py: property and price questions, follow-ups), the FAQ fallback (actions/faq.py),
recommendation (actions/recommendation.py), video (actions/video.py) and pictures (actions/pictures.py: text-to-image
search). No Rasa types here."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, TypeVar

from actions.comparison import Comparer
from actions.constraints import ConstraintParser
from actions.entity_linking import NEED_KINDS, EntityLinker
from actions.exhibition import bad_choice, card_reply, chosen_index
from actions.explanation import Explainer
from actions.faq import FaqAnswerer, FaqFallback
from actions.graph_store import GraphStore
from actions.kbqa import PropertyAnswerer, is_follow_up
from actions.language import detect_language
from actions.limits import MAX_MESSAGE_CHARS, too_long, too_long_reply
from actions.listing import ListNavigator, SearchState
from actions.pictures import PictureFinder
from actions.recommendation import Recommender
from actions.reply import Reply
from actions.retrieval import ItemRetriever, QueryEncoder
from actions.video import VideoMaker
from kg_builder.crossmodal.text_query import QueryTowers

__all__ = ["MAX_MESSAGE_CHARS", "Reply", "ShoppingAssistant"]

# "这个面膜孕妇能用吗", "can pregnant women use this mask?": a question about the item in focus, not a new search
ABOUT_FOCUS = re.compile(r"这个|这款|这件|这支|这瓶|它|\b(?:this|it|that one)\b", re.IGNORECASE)
QUESTION = re.compile(
    r"[吗嘛？?]|能不能|可不可以|能用|可以用|适合|\b(?:can|could|is|does|do|will|should)\b", re.IGNORECASE
)

Turn = TypeVar("Turn", bound=Callable[..., Reply])


def bounded(turn: Turn) -> Turn:
    """A turn whose message is longer than MAX_MESSAGE_CHARS answers "too long" in the user's language."""

    @functools.wraps(turn)
    def guarded(self: Any, text: str, *args: Any, **kwargs: Any) -> Reply:
        if too_long(text):
            return Reply(too_long_reply(text))
        return turn(self, text, *args, **kwargs)

    return guarded  # type: ignore[return-value]


class ShoppingAssistant:
    """Turn logic over a store; no Rasa types here, so tests call it directly. Without an FAQ answerer, the
    calibrated ranker is set up on the first FAQ question; with `encode` (a query's vector), search is semantic too;
    `towers` gives the cross-modal text tower for picture requests (default: the models folder)."""

    def __init__(
        self,
        store: GraphStore,
        linker: EntityLinker | None = None,
        faq: FaqAnswerer | None = None,
        encode: QueryEncoder | None = None,
        towers: QueryTowers | None = None,
    ) -> None:
        self._store = store
        names = store.entity_names()  # read once: 500k POI names at the paper's scale
        self._linker = linker or EntityLinker.from_rows(names)
        self._retriever = ItemRetriever(store, self._linker, encode=encode)
        self._recommender = Recommender(store, EntityLinker.from_rows(names, NEED_KINDS))
        self._videos = VideoMaker(store)
        self._faq = FaqFallback(store, faq)
        self._kbqa = PropertyAnswerer(store, self._linker, self._retriever, self._faq)
        self._pictures = PictureFinder(store, towers)
        self._lists = ListNavigator(
            store, self._retriever, ConstraintParser(self._linker, store.value_names()), entity_names=names
        )
        self._comparer = Comparer(store, self._linker)
        self._explainer = Explainer(store, self._recommender)

    @bounded
    def search(
        self, text: str, category: str | None = None, brand: str | None = None, focus: str | None = None
    ) -> Reply:
        """Find items for a request with its constraints and list them (or show the card when only one fits); a
        question about the item in focus ("这个面膜孕妇能用吗") is answered about it instead."""
        language = detect_language(text)
        if focus and ABOUT_FOCUS.search(text) and QUESTION.search(text):
            return self._kbqa.ask(text, language, focus, [], category=category)
        return self._lists.search(text, language, category, brand)

    @bounded
    def refine(self, text: str, listed: list[str], focus: str | None = None, search_state: object = None) -> Reply:
        """Narrow the list shown ("the red ones", "有XL的吗", "under $20", "not Maybelline", "cheaper ones?")."""
        return self._lists.refine(text, detect_language(text), listed, focus, SearchState.from_slot(search_state))

    @bounded
    def more(self, text: str, listed: list[str], search_state: object = None) -> Reply:
        """The next page of the same search ("show me more", "换一批")."""
        return self._lists.more(detect_language(text), listed, SearchState.from_slot(search_state))

    @bounded
    def compare(self, text: str, listed: list[str]) -> Reply:
        """Cheapest, most expensive, "which is cheaper, the first or the third?", "sort by price"."""
        return self._comparer.reply(text, detect_language(text), listed)

    @bounded
    def explain(
        self, text: str, focus: str | None, listed: list[str], needs: dict[str, list[str]] | None = None
    ) -> Reply:
        """Why an item was recommended, or why it is good for a need the message names."""
        return self._explainer.reply(text, detect_language(text), focus, listed, needs)

    @bounded
    def recommend(self, text: str) -> Reply:
        """Items for the user's situation along scenario → problem → POI → value → item, the path as reason."""
        reply = self._recommender.reply(text, detect_language(text))
        if reply.listed_items is not None:
            reply.search_state = {}  # a recommended list is not a search: "show me more" has no next page
        return reply

    @bounded
    def faq(self, text: str, focus: str | None = None) -> Reply:
        """The most similar FAQ when the matcher is confident, else: not known, passed on to the host."""
        return self._faq.reply(text, detect_language(text), focus)

    @bounded
    def video(
        self,
        text: str,
        focus: str | None,
        listed: list[str] | None = None,
        needs: dict[str, list[str]] | None = None,
    ) -> Reply:
        """A short video of the item in focus (or the listed one named by an ordinal) along its cognitive path,
        through the needs the conversation is about when there are any."""
        return self._videos.reply(text, detect_language(text), focus, listed, needs)

    @bounded
    def pictures(self, text: str, focus: str | None = None, listed: list[str] | None = None) -> Reply:
        """Up to three stored images ranked for the message by the cross-modal model: the item in focus's (or the
        listed one an ordinal names) when the message is about it, else the whole image index."""
        return self._pictures.reply(text, detect_language(text), focus, listed)

    @bounded
    def choose(
        self, text: str, listed: list[str], ordinal: str | None = None, property_in_focus: str | None = None
    ) -> Reply:
        """Show the card of the listed item the user points at; after a property answer, "what about the second
        one?" / "那第二个呢" answers the same property for that item instead."""
        language = detect_language(text)
        index = chosen_index(self._store, text, listed, ordinal)
        if index is None:
            return Reply(bad_choice(len(listed), language))
        if property_in_focus and is_follow_up(text):
            return self._kbqa.property_reply(text, listed[index], property_in_focus, language)
        return card_reply(self._store, listed[index], language, listed=listed)

    def show_card(self, item_id: str, text: str = "") -> Reply:
        """The card of one item."""
        return card_reply(self._store, item_id, detect_language(text[:MAX_MESSAGE_CHARS]))

    @bounded
    def ask_property(
        self,
        text: str,
        focus: str | None,
        listed: list[str] | None = None,
        property_value: str | None = None,
        category: str | None = None,
        property_in_focus: str | None = None,
    ) -> Reply:
        """Answer "what is the size of the T-shirt?" about the item in focus, or the best item that fits;
        "what about the second one?" asks again about the property answered last."""
        language = detect_language(text)
        return self._kbqa.ask(text, language, focus, listed or [], property_value, category, property_in_focus)
