"""Item exhibition (paper section 3): the numbered result list with its carousel of cards, picking an item from it
by number, button or word, and the item card (title, brand, price, properties, selling points, scenarios, images)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from actions.graph_store import GraphStore, ItemCard, ItemSummary
from actions.language import pick
from actions.media import media_url
from actions.messages import say
from actions.ordinals import ordinal_index
from actions.prices import format_price
from actions.reply import Reply
from actions.retrieval import content_words
from actions.titles import display_title

_ORDINAL_EN = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}
MAX_CARD_POIS = 6  # curated and imported selling points first, then the best-scored predicted ones


def join_values(values: list[str], language: str) -> str:
    """'S、M、L' / 'S, M and L'."""
    if len(values) <= 1:
        return "".join(values)
    return say("list_separator", language).join(values[:-1]) + say("list_last_separator", language) + values[-1]


def price_suffix(item: ItemSummary, language: str) -> str:
    """'，¥99' / ', $99' after a title, in the item's currency; '' without a price."""
    return "" if item.price is None else say("price_suffix", language, price=format_price(item.price, item.currency))


def numbered_title(number: int, item: ItemSummary, language: str) -> str:
    """'2. <the item's name>' as lists and cards show it."""
    return f"{number}. {display_title(item, language, short=True)}"


def result_list(items: list[ItemSummary], language: str) -> str:
    """A numbered list of found items and the question which one."""
    lines = [numbered_title(n, item, language) + price_suffix(item, language) for n, item in enumerate(items, 1)]
    many = len(items) > 1
    head = say("result_head_many", language, count=len(items)) if many else say("result_head_one", language)
    tail = say("result_tail_many" if many else "result_tail_one", language)
    return "\n".join([head, *lines, tail])


def card_subtitle(item: ItemSummary, language: str) -> str:
    """Brand, category and price in one short line."""
    category = item.category_zh if language == "zh" else (item.category_en or item.category_zh)
    brand = item.brand_zh if language == "zh" and item.brand_zh else item.brand
    price = None if item.price is None else format_price(item.price, item.currency)
    return " · ".join(part for part in (brand, category, price) if part)


def pick_button(number: int, language: str) -> str:
    """The label of a card's button."""
    return say("pick_button", language, number=number)


def pick_message(number: int, language: str) -> str:
    """What a card's button says for the user (plain words, so NLU and language detection see the user's)."""
    return say("pick_message", language, number=number, ordinal=_ORDINAL_EN.get(number, f"#{number}"))


def carousel(items: list[ItemSummary], language: str) -> list[dict[str, Any]]:
    """One numbered card per item (title, price, image, a button that picks it by its number)."""
    cards = []
    for number, item in enumerate(items, 1):
        card: dict[str, Any] = {
            "title": numbered_title(number, item, language),
            "subtitle": card_subtitle(item, language),
            "buttons": [
                {
                    "title": pick_button(number, language),
                    "type": "postback",
                    "payload": pick_message(number, language),  # the user's words, in their language
                }
            ],
        }
        if item.image:
            card["image_url"] = media_url(item.image)
        cards.append(card)
    return cards


def card_text(card: ItemCard, language: str, image_url: Callable[[str], str]) -> str:
    """An item card as text: title, brand, price, key properties, POIs, scenarios, image links."""
    s = card.summary
    properties: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    key_values: dict[str, str] = {}  # the first English value of each property, for an English line of the title
    for prop in card.properties:
        if prop["value_en"]:
            key_values.setdefault(prop["property"], prop["value_en"])
        names[prop["property"]] = pick(language, prop["name_zh"], prop["name_en"])
        properties.setdefault(prop["property"], []).append(
            pick(language, prop["value_zh"], prop["value_en"]) or prop["value"]
        )
    ranked = sorted(card.pois, key=lambda poi: (poi.get("predicted", False), -(poi.get("score") or 1.0)))
    mark = say("predicted_mark", language)
    pois = [
        pick(language, poi["name_zh"], poi["name_en"]) + (mark if poi.get("predicted") else "")
        for poi in ranked[:MAX_CARD_POIS]
    ]
    lines = [say("card_title", language, title=display_title(s, language, list(key_values.values())))]
    category = pick(language, s.category_zh, s.category_en)
    brand = pick(language, s.brand_zh, s.brand) if language == "zh" else (s.brand or "")
    lines.append(
        say("card_category", language, category=category)
        + (say("card_brand", language, brand=brand) if brand else "")
        + (say("card_price", language, price=format_price(s.price, s.currency)) if s.price else "")
    )
    for prop_id, values in properties.items():
        lines.append(say("card_property", language, name=names[prop_id], values=join_values(values, language)))
    if pois:
        lines.append(say("card_selling_points", language, pois=join_values(pois, language)))
    scenarios = [pick(language, sc["name_zh"], sc["name_en"]) for sc in card.scenarios]
    if scenarios:
        lines.append(say("card_scenarios", language, scenarios=join_values(scenarios, language)))
    for image in card.images:
        lines.append(say("card_image", language, url=image_url(image["path"])))
    return "\n".join(lines)


def card_reply(store: GraphStore, item_id: str, language: str, listed: list[str] | None = None) -> Reply:
    """The card of one item with its images and the offer of a video; "which item?" for an unknown id."""
    card: ItemCard | None = store.item_card(item_id)
    if card is None:
        return Reply(say("which_item", language), item_in_focus=None)
    images = [media_url(image["path"]) for image in card.images]
    return Reply(
        card_text(card, language, media_url),
        images=images,
        listed_items=listed,
        item_in_focus=item_id,
        payload={"type": "item_card", "item": item_id, "title": card.summary.title, "images": images},
        buttons=[{"title": (video := say("video_button", language)), "payload": video}],
        prompt=say("video_offer", language),
    )


def chosen_index(store: GraphStore, text: str, listed: list[str], ordinal: str | None = None) -> int | None:
    """The position of the listed item the user points at: by the NLU ordinal, an ordinal in the text, or the
    item's name or attribute; None when nothing points at exactly one."""
    index = ordinal_index(ordinal or "", len(listed)) if ordinal else None
    if index is None:
        index = ordinal_index(text, len(listed))
    if index is None:
        index = _by_name_or_attribute(store, text, listed)
    return index


def _by_name_or_attribute(store: GraphStore, text: str, listed: list[str]) -> int | None:
    """The one listed item whose title or property values contain the most words of the message
    ("the vanilla one", "红色的那个"); None when no item or several items match best."""
    words = content_words(text)
    if not words:
        return None
    counts = []
    for item_id in listed:
        card = store.item_card(item_id)
        fields = [card.summary.title, card.summary.title_zh or "", card.summary.title_en or ""] if card else []
        for prop in card.properties if card else []:
            fields += [str(prop.get(key) or "") for key in ("value", "value_zh", "value_en")]
        haystack = " ".join(fields).casefold()
        counts.append(sum(word in haystack for word in words))
    best = max(counts, default=0)
    return counts.index(best) if best and counts.count(best) == 1 else None


def bad_choice(count: int, language: str) -> str:
    """The ordinal does not point at a listed item."""
    if count == 0:
        return say("which_item", language)
    return say("bad_choice", language, count=count)
