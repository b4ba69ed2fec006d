"""KBQA (paper section 3): property and price questions about an item, answered from the graph, with follow-ups
("what about the second one?", "那第二个呢") that ask the property answered last about another item."""

from __future__ import annotations

import re
from typing import Any

from actions.entity_linking import EntityLinker
from actions.exhibition import join_values
from actions.faq import FaqFallback, faq_reply
from actions.graph_store import GraphStore, PropertyValue
from actions.language import pick
from actions.media import media_url
from actions.messages import say
from actions.ordinals import ordinal_index
from actions.prices import format_price
from actions.reply import Reply
from actions.retrieval import ItemRetriever, content_words
from actions.titles import display_title

# "what about the second one?", "how about the red one", "and the third?", "那第二个呢", "第三款呢"
FOLLOW_UP = re.compile(r"呢|\b(?:what|how) about\b|^\s*and\b", re.IGNORECASE)
# The price is an attribute of the item node, not a property value: "its price", "多少钱", "how much is it"
PRICE = "price"
PRICE_WORDS = re.compile(r"价格|价钱|多少钱|售价|几块钱|\bprice\b|\bhow much\b|\bcosts?\b", re.IGNORECASE)


def is_follow_up(text: str) -> bool:
    """True for "what about …?" / "…呢" messages."""
    return bool(FOLLOW_UP.search(text))


def property_answer(
    title: str, property_zh: str | None, property_en: str | None, values: list[PropertyValue], language: str
) -> str:
    """A sentence that answers a property question about the item named `title`, e.g. "这款T恤有S、M、L三个尺码。"."""
    name = pick(language, property_zh, property_en)
    shown = [pick(language, v.value_zh, v.value_en) or v.value for v in values]
    if len(shown) == 1:
        return say("property_answer_one", language, title=title, name=name, value=shown[0])
    values_text = join_values(shown, language)
    return say("property_answer_many", language, title=title, name=name, values=values_text, count=len(shown))


def price_answer(title: str, price: float | None, language: str, currency: str | None = None) -> str:
    """The price of an item in its currency (None: the catalog's default), or that the catalog has none."""
    if price is None:
        return say("price_unknown", language, title=title)
    return say("price_answer", language, title=title, price=format_price(price, currency))


def missing_value(
    title: str, property_zh: str | None, property_en: str | None, language: str, faq: tuple[str, str] | None
) -> str:
    """The graph has no value of that property for the item: say so, then give the most similar FAQ (marked as
    such) when one is confident, else offer to pass the question to the host."""
    name = pick(language, property_zh, property_en)
    if faq is None:
        return say("missing_value", language, title=title, name=name)
    return say("missing_value_faq", language, title=title, name=name, question=faq[0], answer=faq[1])


class PropertyAnswerer:
    """Answers property and price questions over the graph; the FAQ step helps when the graph has no answer."""

    def __init__(self, store: GraphStore, linker: EntityLinker, retriever: ItemRetriever, faq: FaqFallback) -> None:
        self._store = store
        self._linker = linker
        self._retriever = retriever
        self._faq = faq

    def ask(
        self,
        text: str,
        language: str,
        focus: str | None,
        listed: list[str],
        property_value: str | None = None,
        category: str | None = None,
        property_in_focus: str | None = None,
    ) -> Reply:
        """Answer "what is the size of the T-shirt?" about the item in focus, or the best item that fits;
        "what about the second one?" asks again about the property answered last."""
        property_id = self._linker.canonical("property", property_value) or self._linker.first(text, "property")
        if property_id is None and PRICE_WORDS.search(text):
            property_id = PRICE
        if property_id is None and is_follow_up(text):
            property_id = property_in_focus or None
        item_id = self._item_for_question(text, focus, listed, category)
        if item_id is None:
            return Reply(say("which_item", language))
        if property_id is None:
            found = self._faq.match(text, language)
            if found and found.confident:
                return faq_reply(found, language, item_id)
            if not content_words(text):
                return Reply(say("which_property", language), item_in_focus=item_id)
            return self._not_in_graph(item_id, language)
        return self.property_reply(text, item_id, property_id, language)

    def property_reply(self, text: str, item_id: str, property_id: str, language: str) -> Reply:
        """One property (or the price) of one item as a sentence with the values' images; when the graph has no
        value, says so and adds the most similar FAQ if one is confident."""
        card = self._store.item_card(item_id)
        if card is None:
            return Reply(say("which_item", language), item_in_focus=None)
        payload: dict[str, Any] = {"type": "property_answer", "item": item_id, "property": property_id}
        title = display_title(card.summary, language, short=True)
        if property_id == PRICE:
            price = card.summary.price
            payload.update(values=[] if price is None else [price], currency=card.summary.currency)
            text_out = price_answer(title, price, language, card.summary.currency)
            return Reply(text_out, item_in_focus=item_id, property_in_focus=property_id, payload=payload)
        values = self._store.property_values(item_id, property_id)
        name_zh, name_en = self._store.property_names(property_id)
        if not values:
            found = self._faq.match(text, language)
            faq = (found.question, found.answer) if found and found.confident else None
            payload.update(type="no_value", faq=found.id if faq and found else None)
            text_out = missing_value(title, name_zh, name_en, language, faq)
            return Reply(text_out, item_in_focus=item_id, property_in_focus=property_id, payload=payload)
        payload["values"] = [v.value for v in values]
        return Reply(
            property_answer(title, name_zh, name_en, values, language),
            images=list(dict.fromkeys(media_url(path) for value in values for path in value.images)),
            item_in_focus=item_id,
            property_in_focus=property_id,
            payload=payload,
        )

    def _not_in_graph(self, item_id: str, language: str) -> Reply:
        """An honest "the graph has nothing on that" about the item, offering the host."""
        card = self._store.item_card(item_id)
        if card is None:
            return Reply(say("which_item", language), item_in_focus=None)
        return Reply(
            say("not_in_graph", language, title=display_title(card.summary, language, short=True)),
            item_in_focus=item_id,
            payload={"type": "not_in_graph", "item": item_id},
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
