"""Comparisons and sorting over the items listed: the cheapest, the most expensive, "which is cheaper, the first or
the third?", "which has more …" (a numeric property such as the net content), "sort them by price". Prices are
compared within one currency; what the graph does not hold (sales, ratings) gets an honest reply."""

from __future__ import annotations

import re
from dataclasses import dataclass

from actions.constraints import item_currency
from actions.entity_linking import EntityLinker
from actions.exhibition import carousel, result_list
from actions.graph_store import GraphStore, ItemSummary
from actions.language import pick
from actions.messages import say
from actions.ordinals import ordinal_indices
from actions.prices import format_price
from actions.reply import Reply
from actions.titles import display_title

CHEAPEST = re.compile(r"cheapest|lowest price|least expensive|most affordable|最便宜|价格最低|最实惠|最低价", re.I)
PRICIEST = re.compile(r"most expensive|priciest|highest price|dearest|最贵|价格最高|最高价", re.I)
CHEAPER = re.compile(r"cheaper|less expensive|更便宜|便宜|实惠", re.I)
PRICIER = re.compile(r"more expensive|pricier|costs? more|更贵|贵", re.I)
DESCENDING = re.compile(r"high(?:est)? to low|descending|从高到低|从贵到便宜|由高到低|降序", re.I)
SORT = re.compile(r"\bsort|\border\b|\brank|排序|排一下|排个序|从低到高|从便宜到贵|从高到低|从贵到便宜", re.I)
# What the graph holds no figures for
UNKNOWN_MEASURES = re.compile(
    r"best[- ]?sell|sells?\b.{0,12}\b(?:best|most)|most popular|popular|top[- ]rated|best[- ]rated|rating|reviews?|"
    r"sales|sold|销量|卖得最好|卖的最好|卖得好|卖的好|畅销|最火|最受欢迎|评价|好评|口碑|人气",
    re.I,
)
MORE = re.compile(r"\bmore\b|\bbigger\b|\blarger\b|\bheavier\b|\bmost\b|更多|多|更大|大|最", re.I)
_QUANTITY = re.compile(r"(\d{1,6}(?:\.\d{1,3})?)\s{0,2}(ml|毫升|l|升|g|克|kg|千克|公斤|片|粒|支|包|袋|个|oz)", re.I)
_UNIT_SCALE = {
    "ml": ("ml", 1.0), "毫升": ("ml", 1.0), "l": ("ml", 1000.0), "升": ("ml", 1000.0),
    "g": ("g", 1.0), "克": ("g", 1.0), "kg": ("g", 1000.0), "千克": ("g", 1000.0), "公斤": ("g", 1000.0),
    "oz": ("g", 28.35), "片": ("片", 1.0), "粒": ("粒", 1.0), "支": ("支", 1.0), "包": ("包", 1.0),
    "袋": ("袋", 1.0), "个": ("个", 1.0),
}  # fmt: skip


@dataclass(frozen=True)
class Quantity:
    """A measured amount in a base unit (ml, g or a count)."""

    amount: float
    unit: str


def quantity(text: str) -> Quantity | None:
    """The first amount with a unit in a value ('180ml', '40g*2片' -> 40 g), in its base unit."""
    match = _QUANTITY.search(text)
    if match is None:
        return None
    unit, scale = _UNIT_SCALE[match.group(2).casefold()]
    return Quantity(float(match.group(1)) * scale, unit)


class Comparer:
    """Answers comparison and sorting questions about the listed items."""

    def __init__(self, store: GraphStore, linker: EntityLinker) -> None:
        self._store = store
        self._linker = linker

    def reply(self, text: str, language: str, listed: list[str]) -> Reply:
        """The answer to a comparison over the listed items (or the two an ordinal pair names)."""
        if not listed:
            return Reply(say("which_item", language))
        indices = ordinal_indices(text, len(listed))
        chosen = [listed[i] for i in indices] if len(indices) >= 2 else listed
        items = self._store.summaries(chosen)
        property_id = self._linker.first(text, "property")
        if property_id is not None and MORE.search(text):
            return self._by_property(items, listed, property_id, language)
        if UNKNOWN_MEASURES.search(text):
            return Reply(say("no_sales_data", language))
        if SORT.search(text):
            return self._sorted(items, language, descending=bool(DESCENDING.search(text)))
        if PRICIEST.search(text) or (len(indices) >= 2 and PRICIER.search(text) and not CHEAPER.search(text)):
            return self._by_price(items, listed, language, highest=True)
        if CHEAPEST.search(text) or CHEAPER.search(text):
            return self._by_price(items, listed, language, highest=False)
        return Reply(say("which_comparison", language))

    def _by_price(self, items: list[ItemSummary], listed: list[str], language: str, highest: bool) -> Reply:
        """The cheapest (or dearest) item among those priced in the most common currency."""
        priced, currency, left_out = _one_currency(items)
        if not priced:
            return Reply(say("no_prices", language))
        best = (max if highest else min)(priced, key=lambda item: item.price or 0.0)
        ties = [item for item in priced if item.price == best.price]
        key = "dearest" if highest else "cheapest"
        if len(priced) == 1:
            key = "only_priced"
        text = say(
            f"{key}_answer",
            language,
            number=listed.index(best.id) + 1,
            title=display_title(best, language, short=True),
            price=format_price(best.price or 0.0, best.currency),
        )
        if len(ties) > 1:
            text += say("price_tie", language, count=len(ties))
        if left_out:
            text += say("other_currency", language, currency=currency, count=left_out)
        return Reply(text, item_in_focus=best.id, payload={"type": "comparison", "item": best.id, "by": "price"})

    def _sorted(self, items: list[ItemSummary], language: str, descending: bool) -> Reply:
        """The listed items by price (unpriced ones last); the list slot follows the new order."""
        priced, _currency, _left_out = _one_currency(items)
        if not priced:
            return Reply(say("no_prices", language))
        ordered = sorted(priced, key=lambda item: item.price or 0.0, reverse=descending)
        ordered += [item for item in items if item not in ordered]
        ids = [item.id for item in ordered]
        head = say("sorted_desc" if descending else "sorted_asc", language)
        return Reply(
            head + "\n" + result_list(ordered, language),
            listed_items=ids,
            item_in_focus=None,
            payload={"type": "item_list", "items": ids, "sorted": "price_desc" if descending else "price_asc"},
            carousel=carousel(ordered, language),
        )

    def _by_property(self, items: list[ItemSummary], listed: list[str], property_id: str, language: str) -> Reply:
        """The item with the most of a measurable property ('which has more net content?'), when the values of
        every compared item have an amount in the same unit; otherwise says what is missing."""
        name_zh, name_en = self._store.property_names(property_id)
        name = pick(language, name_zh, name_en) or property_id
        amounts: dict[str, Quantity] = {}
        for item in items:
            values = self._store.property_values(item.id, property_id)
            found = next((q for v in values if (q := quantity(v.value)) is not None), None)
            if found is not None:
                amounts[item.id] = found
        units = {q.unit for q in amounts.values()}
        if len(amounts) < 2 or len(units) != 1:
            return Reply(say("cannot_compare_property", language, name=name))
        best_id = max(amounts, key=lambda item_id: amounts[item_id].amount)
        best = next(item for item in items if item.id == best_id)
        missing = len(items) - len(amounts)
        text = say(
            "most_property_answer",
            language,
            number=listed.index(best_id) + 1,
            title=display_title(best, language, short=True),
            name=name,
            amount=f"{amounts[best_id].amount:g}{amounts[best_id].unit}",
        )
        if missing:
            text += say("property_missing_for", language, count=missing, name=name)
        return Reply(text, item_in_focus=best_id, payload={"type": "comparison", "item": best_id, "by": property_id})


def _one_currency(items: list[ItemSummary]) -> tuple[list[ItemSummary], str, int]:
    """The priced items in the most common currency among them, that currency, and how many priced items are in
    another one (never compared: no exchange rates here)."""
    priced = [item for item in items if item.price is not None]
    if not priced:
        return [], "", 0
    currencies = [item_currency(item.currency) for item in priced]
    currency = max(set(currencies), key=currencies.count)
    same = [item for item, c in zip(priced, currencies, strict=True) if c == currency]
    return same, currency, len(priced) - len(same)
