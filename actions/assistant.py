"""The shopping assistant's turns as plain Python: search, choose, show a card, answer a property question."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from actions import replies
from actions.entity_linking import EntityLinker
from actions.faq import FaqAnswerer, FaqMatch
from actions.graph_store import GraphStore, ItemCard, ItemSummary
from actions.language import detect_language
from actions.media import media_url
from actions.ordinals import ordinal_index
from actions.recommendation import Recommender
from actions.retrieval import ItemRetriever, content_words
from actions.video import VideoMaker

# "what about the second one?", "how about the red one", "and the third?", "那第二个呢", "第三款呢"
FOLLOW_UP = re.compile(r"呢|\b(?:what|how) about\b|^\s*and\b", re.IGNORECASE)
# The price is an attribute of the item node, not a property value: "its price", "多少钱", "how much is it"
PRICE = "price"
PRICE_WORDS = re.compile(r"价格|价钱|多少钱|售价|几块钱|\bprice\b|\bhow much\b|\bcosts?\b", re.IGNORECASE)


@dataclass
class Reply:
    """What one turn says and what the conversation should remember."""

    text: str
    images: list[str] = field(default_factory=list)
    listed_items: list[str] | None = None  # None: leave the slot as it is
    item_in_focus: str | None = None
    payload: dict[str, Any] | None = None
    buttons: list[dict[str, str]] = field(default_factory=list)
    needs: dict[str, list[str]] | None = None  # the scenarios / problems / POIs the conversation is about
    carousel: list[dict[str, Any]] = field(default_factory=list)  # numbered item cards for the chat widget
    prompt: str = ""  # the line that carries the buttons when media come between
    video: str | None = None  # URL of an MP4
    property_in_focus: str | None = None  # the property last answered, "" to forget it


class ShoppingAssistant:
    """Turn logic over the graph; no Rasa types here, so tests call it directly."""

    def __init__(self, store: GraphStore, linker: EntityLinker | None = None) -> None:
        self._store = store
        self._linker = linker or EntityLinker.from_store(store)
        self._retriever = ItemRetriever(store, self._linker)
        self._recommender = Recommender(store)
        self._videos = VideoMaker(store)
        self._faq: FaqAnswerer | None = None

    def search(self, text: str, category: str | None = None, brand: str | None = None) -> Reply:
        """Find items for a request and list them (or show the card when only one fits)."""
        language = detect_language(text)
        items = self._retriever.search(self._retriever.understand(text, category, brand))
        if not items:
            return Reply(replies.nothing_found(text, language), listed_items=[])
        ids = [item.id for item in items]
        if len(items) == 1:
            return self._card_reply(ids[0], language, listed=ids)
        return Reply(
            replies.result_list(items, language),
            listed_items=ids,
            item_in_focus=None,
            property_in_focus="",
            payload={"type": "item_list", "items": ids},
            carousel=_carousel(items, language),
        )

    def recommend(self, text: str) -> Reply:
        """Items for the user's situation along scenario → problem → POI → value → item, the path as reason."""
        language = detect_language(text)
        needs = self._recommender.needs(text)
        found = self._recommender.recommend(needs)
        if not found:
            return Reply(replies.no_recommendation(language, bool(needs)))
        ids = [rec.item.id for rec in found]
        return Reply(
            replies.recommendation_list(found, language),
            listed_items=ids,
            property_in_focus="",
            payload={"type": "recommendation", "items": ids, "paths": [rec.reason for rec in found]},
            needs={"scenarios": needs.scenarios, "problems": needs.problems, "pois": needs.pois},
            carousel=_carousel([rec.item for rec in found], language),
        )

    def faq(self, text: str, focus: str | None = None) -> Reply:
        """The most similar FAQ when the matcher is confident, else: not known, passed on to the host."""
        language = detect_language(text)
        found = self._faq_match(text, language)
        if found is None or not found.confident:
            payload = {"type": "pass_to_host", "question": text[:500], "best_faq": found.id if found else None}
            return Reply(replies.message("pass_to_host", language), item_in_focus=focus, payload=payload)
        return self._faq_reply(found, language, focus)

    def _faq_match(self, text: str, language: str) -> FaqMatch | None:
        if self._faq is None:
            try:
                self._faq = FaqAnswerer(self._store)
            except FileNotFoundError:
                return None  # no trained matcher: every FAQ question goes to the host
        return self._faq.best(text, language)

    def _faq_reply(self, found: FaqMatch, language: str, focus: str | None) -> Reply:
        return Reply(
            replies.faq_answer(found.question, found.answer, language),
            item_in_focus=focus,
            payload={"type": "faq", "faq": found.id, "score": round(found.score, 3)},
        )

    def video(
        self,
        text: str,
        focus: str | None,
        listed: list[str] | None = None,
        needs: dict[str, list[str]] | None = None,
    ) -> Reply:
        """A short video of the item in focus (or the listed one named by an ordinal) along its cognitive path,
        through the needs the conversation is about when there are any."""
        language = detect_language(text)
        index = ordinal_index(text, len(listed or []))
        item_id = (listed or [])[index] if index is not None else focus
        made = self._videos.video(item_id, language, needs) if item_id else None
        if made is None:
            return Reply(replies.message("which_item", language))
        path, scenes = made
        url = media_url(str(path))
        return Reply(
            replies.video_text([scene.caption for scene in scenes], language),
            item_in_focus=item_id,
            video=url,
            payload={"type": "video", "item": item_id, "src": url, "captions": [s.caption for s in scenes]},
        )

    def choose(
        self, text: str, listed: list[str], ordinal: str | None = None, property_in_focus: str | None = None
    ) -> Reply:
        """Show the card of the listed item the user points at; after a property answer, "what about the second
        one?" / "那第二个呢" answers the same property for that item instead."""
        language = detect_language(text)
        index = ordinal_index(ordinal or "", len(listed)) if ordinal else None
        if index is None:
            index = ordinal_index(text, len(listed))
        if index is None:
            index = self._by_name_or_attribute(text, listed)
        if index is None:
            return Reply(replies.bad_choice(len(listed), language))
        if property_in_focus and FOLLOW_UP.search(text):
            return self._property_reply(text, listed[index], property_in_focus, language)
        return self._card_reply(listed[index], language, listed=listed)

    def _by_name_or_attribute(self, text: str, listed: list[str]) -> int | None:
        """The one listed item whose title or property values contain the most words of the message
        ("the vanilla one", "红色的那个"); None when no item or several items match best."""
        words = content_words(text)
        if not words:
            return None
        counts = []
        for item_id in listed:
            card = self._store.item_card(item_id)
            fields = [card.summary.title] if card else []
            for prop in card.properties if card else []:
                fields += [str(prop.get(key) or "") for key in ("value", "value_zh", "value_en")]
            haystack = " ".join(fields).casefold()
            counts.append(sum(word in haystack for word in words))
        best = max(counts, default=0)
        return counts.index(best) if best and counts.count(best) == 1 else None

    def show_card(self, item_id: str, text: str = "") -> Reply:
        """The card of one item."""
        return self._card_reply(item_id, detect_language(text))

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
        property_id = self._linker.canonical("property", property_value) or self._linker.first(text, "property")
        if property_id is None and PRICE_WORDS.search(text):
            property_id = PRICE
        if property_id is None and FOLLOW_UP.search(text):
            property_id = property_in_focus or None
        item_id = self._item_for_question(text, focus, listed or [], category)
        if item_id is None:
            return Reply(replies.message("which_item", language))
        if property_id is None:
            found = self._faq_match(text, language)
            if found and found.confident:
                return self._faq_reply(found, language, item_id)
            return Reply(replies.message("which_property", language), item_in_focus=item_id)
        return self._property_reply(text, item_id, property_id, language)

    def _property_reply(self, text: str, item_id: str, property_id: str, language: str) -> Reply:
        """One property (or the price) of one item as a sentence with the values' images; when the graph has no
        value, says so and adds the most similar FAQ if one is confident."""
        card = self._store.item_card(item_id)
        if card is None:
            return Reply(replies.message("which_item", language), item_in_focus=None)
        payload: dict[str, Any] = {"type": "property_answer", "item": item_id, "property": property_id}
        if property_id == PRICE:
            price = card.summary.price
            payload["values"] = [] if price is None else [price]
            text_out = replies.price_answer(card.summary.title, price, language)
            return Reply(text_out, item_in_focus=item_id, property_in_focus=property_id, payload=payload)
        values = self._store.property_values(item_id, property_id)
        name_zh, name_en = self._store.property_names(property_id)
        if not values:
            found = self._faq_match(text, language)
            faq = (found.question, found.answer) if found and found.confident else None
            payload.update(type="no_value", faq=found.id if faq and found else None)
            text_out = replies.missing_value(card.summary.title, name_zh, name_en, language, faq)
            return Reply(text_out, item_in_focus=item_id, property_in_focus=property_id, payload=payload)
        payload["values"] = [v.value for v in values]
        return Reply(
            replies.property_answer(card.summary.title, name_zh, name_en, values, language),
            images=list(dict.fromkeys(media_url(path) for value in values for path in value.images)),
            item_in_focus=item_id,
            property_in_focus=property_id,
            payload=payload,
        )

    def _item_for_question(self, text: str, focus: str | None, listed: list[str], category: str | None) -> str | None:
        """The item a question is about: an ordinal into the list, the focus, or the best match of a named category."""
        index = ordinal_index(text, len(listed))
        if index is not None:
            return listed[index]
        query = self._retriever.understand(text, category)
        if query.category is None and query.brand is None:
            return focus
        if focus:
            card = self._store.item_card(focus)
            if card and query.category in (None, card.summary.category):
                return focus
        found = self._retriever.search(query, limit=1)
        return found[0].id if found else None

    def _card_reply(self, item_id: str, language: str, listed: list[str] | None = None) -> Reply:
        card: ItemCard | None = self._store.item_card(item_id)
        if card is None:
            return Reply(replies.message("which_item", language), item_in_focus=None)
        images = [media_url(image["path"]) for image in card.images]
        return Reply(
            replies.card_text(card, language, media_url),
            images=images,
            listed_items=listed,
            item_in_focus=item_id,
            payload={"type": "item_card", "item": item_id, "title": card.summary.title, "images": images},
            buttons=[{"title": (video := replies.message("video_button", language)), "payload": video}],
            prompt=replies.message("video_offer", language),
        )


def _carousel(items: list[ItemSummary], language: str) -> list[dict[str, Any]]:
    """One numbered card per item (title, price, image, a button that picks it by its number)."""
    cards = []
    for number, item in enumerate(items, 1):
        card: dict[str, Any] = {
            "title": f"{number}. {replies.short_title(item.title)}",
            "subtitle": replies.card_subtitle(item, language),
            "buttons": [
                {
                    "title": replies.pick_button(number, language),
                    "type": "postback",
                    "payload": replies.pick_message(number, language),  # the user's words, in their language
                }
            ],
        }
        if item.image:
            card["image_url"] = media_url(item.image)
        cards.append(card)
    return cards
