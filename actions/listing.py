"""Result lists that follow the shopper: a search with constraints ("a red T-shirt in XL under ¥100", "not
Maybelline"), narrowing the list shown ("the red ones", "有XL的吗", "cheaper ones?") and paging through the rest
("show me more", "换一批"). The conversation keeps the search (its words, entities and constraints) and how many
results were shown in the `search_state` slot, so that each turn re-runs the same ranked search."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from actions.constraints import ConstraintParser, Constraints, fit, item_currency
from actions.exhibition import card_reply, carousel, join_values, result_list
from actions.graph_store import GraphStore, ItemSummary
from actions.language import has_cjk
from actions.limits import MAX_LISTED_ITEMS, MAX_VALUE_CHARS
from actions.messages import say
from actions.prices import format_price
from actions.reply import Reply
from actions.retrieval import MAX_RESULTS, ItemRetriever, distinct_titles

POOL = 40  # ranked candidates a search keeps before its constraints filter them
CHEAPER = re.compile(r"\bcheaper\b|\bless expensive\b|\blower price|更便宜|便宜(?:一)?点|便宜些|再便宜|实惠点", re.I)


@dataclass(frozen=True)
class SearchState:
    """The search behind the list shown: its words, linked category and brand, constraints and how many of its
    results were shown. `query` is None for a list that came from elsewhere (a recommendation)."""

    query: str | None = None
    category: str | None = None
    brand: str | None = None
    constraints: Constraints = field(default_factory=Constraints)
    shown: int = 0

    def as_slot(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "category": self.category,
            "brand": self.brand,
            "constraints": self.constraints.as_slot(),
            "shown": self.shown,
        }

    @classmethod
    def from_slot(cls, value: object) -> SearchState:
        """Read back what as_slot wrote; anything malformed (the tracker is the client's) is dropped."""
        if not isinstance(value, dict):
            return cls()
        shown = value.get("shown")
        return cls(
            query=_short(value.get("query")),
            category=_short(value.get("category")),
            brand=_short(value.get("brand")),
            constraints=Constraints.from_slot(value.get("constraints")),
            shown=shown if isinstance(shown, int) and 0 <= shown <= MAX_LISTED_ITEMS else 0,
        )


class ListNavigator:
    """Searches with constraints, narrows the list shown and pages through the rest."""

    def __init__(
        self,
        store: GraphStore,
        retriever: ItemRetriever,
        parser: ConstraintParser,
        entity_names: list[dict[str, Any]] | None = None,
    ) -> None:
        """`entity_names`: rows of store.entity_names() when the caller has read them already."""
        self._store = store
        self._retriever = retriever
        self._parser = parser
        rows = store.entity_names() if entity_names is None else entity_names
        self._brand_names = {row["id"]: row["names"] for row in rows if row["label"] == "Brand"}

    def describe(self, constraints: Constraints, language: str) -> str:
        """The constraints in words, brands by name."""
        return describe(constraints, language, self._brand_names)

    def search(self, text: str, language: str, category: str | None = None, brand: str | None = None) -> Reply:
        """Items for a request, filtered by the constraints it states; the first page of them."""
        parsed = self._parser.parse(text)
        constraints = parsed.constraints
        if brand and self._retriever.understand("", brand=brand).brand in constraints.excluded_brands:
            brand = None
        query = self._retriever.understand(parsed.rest, category, brand)
        state = SearchState(parsed.rest.strip()[: MAX_VALUE_CHARS * 2], query.category, query.brand, constraints)
        return self._page(state, language, start=0)

    def refine(self, text: str, language: str, listed: list[str], focus: str | None, state: SearchState) -> Reply:
        """The list shown, narrowed by this message's constraints on top of the conversation's ("the red ones",
        "under $20", "not Maybelline"); "cheaper ones?" keeps the items cheaper than the one in focus (else than
        the cheapest listed), cheapest first."""
        asked = self._parser.parse(text).constraints
        cheaper = bool(CHEAPER.search(text))
        if not asked and not cheaper:  # nothing the graph's values can narrow by ("只要大瓶装的")
            return Reply(say("which_constraint", language))
        constraints = state.constraints.merged(asked)
        if cheaper:
            constraints = self._cheaper_than(constraints, focus, listed)
            if constraints is None:
                return Reply(say("no_prices", language))
        if state.query is None:  # a recommendation's list: narrow the items shown
            items, exact = self._filtered(listed, constraints)
            state = SearchState(constraints=constraints)
            return self._list_reply(items, language, state, constraints, cheaper, exact=exact)
        return self._page(replace(state, constraints=constraints), language, start=0, by_price=cheaper)

    def more(self, language: str, listed: list[str], state: SearchState) -> Reply:
        """The next page of the same search ("show me more", "换一批"); says so when everything was shown."""
        if state.query is None:
            return Reply(say("no_more" if listed else "which_item", language))
        return self._page(state, language, start=state.shown or len(listed))

    def _page(self, state: SearchState, language: str, start: int, by_price: bool = False) -> Reply:
        found, exact = self._results(state, by_price)
        page = found[start : start + MAX_RESULTS]
        if not page:
            if start:
                return Reply(say("no_more", language))
            described = self.describe(state.constraints, language)
            return Reply(nothing_found(described, language), listed_items=[], search_state=state.as_slot())
        state = replace(state, shown=min(start + len(page), MAX_LISTED_ITEMS))
        return self._list_reply(
            page, language, state, state.constraints, by_price, start=start, total=len(found), exact=exact
        )

    def _results(self, state: SearchState, by_price: bool) -> tuple[list[ItemSummary], bool]:
        """The results of the search, best first (cheapest first when `by_price`): those that meet all its
        constraints, else the closest (see `_filtered`); and whether they meet all."""
        query = self._retriever.understand(state.query or "", state.category, state.brand)
        found, exact = self._retriever.search(query, limit=POOL), True
        if state.constraints:
            found, exact = self._filtered([item.id for item in found], state.constraints)
        if by_price:
            found = sorted(found, key=lambda item: item.price if item.price is not None else float("inf"))
        return found, exact

    def _filtered(self, ids: list[str], constraints: Constraints) -> tuple[list[ItemSummary], bool]:
        """The items that meet every constraint, in the order of `ids`, and True; when none does, those that no
        fact rules out and that meet the most of what was asked (at least one thing, or have no price to hold
        against a bound), and False. Most harvested items have no price, so "red, under ¥150" still shows the red
        ones, said to be the closest."""
        fits = {p["id"]: fit(constraints, p) for p in self._store.item_profiles(ids)}
        ranked = [item_id for item_id in ids if item_id in fits]
        exact = [item_id for item_id in ranked if fits[item_id].exact]
        if exact:
            return distinct_titles(self._store.summaries(exact)), True
        near = [i for i in ranked if not fits[i].ruled_out and (fits[i].met + fits[i].unknown or not fits[i].asked)]
        near.sort(key=lambda i: (-fits[i].met, -fits[i].unknown))  # stable: the search's order among equals
        return distinct_titles(self._store.summaries(near)), False

    def _cheaper_than(self, constraints: Constraints, focus: str | None, listed: list[str]) -> Constraints | None:
        """A price bound below the item in focus's price (else the cheapest listed one's), in its currency."""
        priced = [s for s in self._store.summaries([focus] if focus else listed) if s.price is not None]
        if not priced:
            return None
        anchor = min(priced, key=lambda s: s.price or 0.0)
        bound = (anchor.price or 0.0) - 0.01
        return replace(constraints, min_price=None, max_price=bound, currency=item_currency(anchor.currency))

    def _list_reply(
        self,
        items: list[ItemSummary],
        language: str,
        state: SearchState,
        constraints: Constraints,
        by_price: bool,
        start: int = 0,
        total: int | None = None,
        exact: bool = True,
    ) -> Reply:
        if not items:
            return Reply(nothing_found(self.describe(constraints, language), language))
        ids = [item.id for item in items]
        slot = state.as_slot()
        if len(items) == 1 and not start and exact:
            reply = card_reply(self._store, ids[0], language, listed=ids)
            reply.search_state = slot
            return reply
        lines = result_list(items, language).split("\n")
        if constraints:  # the head says what the list meets instead of "I found 5 items"
            key = "applied_constraints" if exact else "closest_items"
            lines[0] = say(key, language, constraints=self.describe(constraints, language), count=len(items))
            if not exact and constraints.has_price_bound:
                lines.insert(1, say("unpriced_note", language))
        if total is not None and total > start + len(items):  # before the closing "which one?"
            lines.insert(-1, say("more_hint", language, left=total - start - len(items)))
        payload: dict[str, Any] = {"type": "item_list", "items": ids}
        if constraints:
            payload["constraints"] = constraints.as_slot()
            payload["meets_all"] = exact
        if by_price:
            payload["sorted"] = "price_asc"
        return Reply(
            "\n".join(lines),
            listed_items=ids,
            item_in_focus=None,
            property_in_focus="",
            payload=payload,
            carousel=carousel(items, language),
            search_state=slot,
        )


def describe(constraints: Constraints, language: str, brand_names: dict[str, list[str]] | None = None) -> str:
    """'red, XL, not Maybelline, at most ¥100' / '红色、XL、不要美宝莲、¥100以内' (a brand by its first name, in
    Chinese its first Chinese one)."""
    names = brand_names or {}
    brand = {b: _brand_name(names.get(b) or [b], language) for b in (*constraints.brands, *constraints.excluded_brands)}
    parts = [*constraints.values, *(brand[b] for b in constraints.brands)]
    excluded = (*constraints.excluded_values, *(brand[b] for b in constraints.excluded_brands))
    parts += [say("not_term", language, term=term) for term in excluded]
    low, high = (_amount(price, constraints.currency) for price in (constraints.min_price, constraints.max_price))
    if low and high:
        parts.append(say("price_between", language, low=low, high=high))
    elif high:
        parts.append(say("price_at_most", language, price=high))
    elif low:
        parts.append(say("price_at_least", language, price=low))
    return join_values(parts, language)


def nothing_found(described: str, language: str) -> str:
    """Nothing fits: say which constraints were applied (in words), so the shopper can drop one."""
    if not described:
        return say("nothing_found", language)
    return say("nothing_fits", language, constraints=described)


def _brand_name(names: list[str], language: str) -> str:
    chinese = [name for name in names if has_cjk(name)] if language == "zh" else []
    return (chinese or names)[0]


def _amount(price: float | None, currency: str | None) -> str:
    """A bound as the shopper said it: in its currency, or a bare number when they named none."""
    if price is None:
        return ""
    return format_price(price, currency) if currency else f"{price:g}"


def _short(value: object) -> str | None:
    return value if isinstance(value, str) and 0 < len(value) <= MAX_VALUE_CHARS * 2 else None
