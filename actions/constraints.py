"""What a shopper asks the items to be: property values ("red", "XL", "草莓"), brands, a price bound ("under ¥100",
"100元以下", "between $10 and $20") and negations ("not Maybelline", "不要国产的"), parsed from a message into a
structured query of the graph's values, merged across turns and applied to a list of candidate items.

Every pattern has bounded repeats only, so it runs in time linear in the message (tests/unit/test_linear_text.py)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

import jieba

from actions.entity_linking import EntityLinker, fold
from actions.limits import MAX_VALUE_CHARS
from actions.retrieval import STOPWORDS
from kg_builder.catalog.records import DEFAULT_CURRENCY

MAX_TERMS = 8  # value terms of one kind kept in a conversation
_NUMBER = r"(\d{1,7}(?:\.\d{1,2})?)"
_SYMBOL = r"([¥￥$€£])?"
_UNIT = r"\s{0,2}(yuan|rmb|cny|usd|dollars?|bucks|euros?|eur|元|块钱|块|美元|刀|欧元)?"
_CURRENCIES = {
    "¥": "CNY", "￥": "CNY", "yuan": "CNY", "rmb": "CNY", "cny": "CNY", "元": "CNY", "块钱": "CNY", "块": "CNY",
    "$": "USD", "usd": "USD", "dollar": "USD", "dollars": "USD", "bucks": "USD", "美元": "USD", "刀": "USD",
    "€": "EUR", "euro": "EUR", "euros": "EUR", "eur": "EUR", "欧元": "EUR", "£": "GBP",
}  # fmt: skip
_AMOUNT = rf"{_SYMBOL}\s{{0,2}}{_NUMBER}{_UNIT}"
_RANGE = re.compile(
    rf"(?:between\s{{1,3}})?{_AMOUNT}\s{{0,2}}(?:-|–|~|to|and|到|至)\s{{0,2}}{_AMOUNT}(?:之间)?", re.IGNORECASE
)
_MAX_BEFORE = re.compile(
    r"(?:under|below|less than|cheaper than|no more than|not more than|at most|up to|within|max(?:imum)?|"
    rf"低于|不超过|不到|少于|小于|便宜于|最多)\s{{0,3}}{_AMOUNT}",
    re.IGNORECASE,
)
_MAX_AFTER = re.compile(rf"{_AMOUNT}\s{{0,2}}(?:以下|以内|之内|内)", re.IGNORECASE)
_MIN_BEFORE = re.compile(
    rf"(?:over|above|more than|at least|from|高于|超过|大于|不低于|至少)\s{{0,3}}{_AMOUNT}", re.IGNORECASE
)
_MIN_AFTER = re.compile(rf"{_AMOUNT}\s{{0,2}}(?:以上|起)", re.IGNORECASE)
# A negation cue and the mention right after it: "not Maybelline", "no red", "不要国产的", "除了美宝莲"
_NEGATION = re.compile(
    r"\b(?:not|no|without|except|excluding|other than|anything but|don'?t want|do not want|never)\b|"
    r"不要|不想要|(?<!是)不是|除了|别要|别(?!的)|不含|不喜欢|排除",
    re.IGNORECASE,
)
NEGATION_REACH = 12  # characters between a cue and the mention it negates
_LATIN_WORD = re.compile(r"[a-z0-9]+")
_CLAUSE_END = re.compile(r"[,，。.;；!！?？]|\bbut\b|但是|但", re.IGNORECASE)
# Words that name a kind of value rather than a value: they never become a value term on their own
_GENERIC = frozenset(
    "no not non without any colour color colours colors size sizes flavour flavor flavours flavors material style "
    "type price cheap cheaper expensive skin hair good new one ones more other 颜色 尺码 尺寸 口味 味道 材质 款式 "
    "价格 便宜 更便宜 贵 其他 别的 换 一批 更多 还有".split()
)
# Shoppers' words for where an item comes from, looked for in its values and title
_ORIGIN_TERMS = {"国产": "国产", "domestic": "国产", "made in china": "国产", "进口": "进口", "imported": "进口"}


@dataclass(frozen=True)
class Constraints:
    """A structured query of the graph's values. `values` must each be found among an item's property values,
    title or brand names; `excluded_values` must not; `brands` / `excluded_brands` are brand ids; a price bound
    applies to items priced in its currency (None: the item's own)."""

    values: tuple[str, ...] = ()
    excluded_values: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()
    excluded_brands: tuple[str, ...] = ()
    min_price: float | None = None
    max_price: float | None = None
    currency: str | None = None

    def __bool__(self) -> bool:
        return bool(self.values or self.excluded_values or self.brands or self.excluded_brands or self.has_price_bound)

    @property
    def has_price_bound(self) -> bool:
        return self.min_price is not None or self.max_price is not None

    def merged(self, newer: Constraints) -> Constraints:
        """This turn's constraints on top of the conversation's: a new price bound or brand choice replaces the old
        one; values add up; a value or brand asked for again is no longer excluded, and the other way round."""
        values = _union(self.values, newer.values, minus=newer.excluded_values)
        excluded = _union(self.excluded_values, newer.excluded_values, minus=newer.values)
        brands = newer.brands or tuple(b for b in self.brands if b not in newer.excluded_brands)
        excluded_brands = _union(self.excluded_brands, newer.excluded_brands, minus=newer.brands)
        price = newer if newer.has_price_bound else self
        return Constraints(values, excluded, brands, excluded_brands, price.min_price, price.max_price, price.currency)

    def as_slot(self) -> dict[str, Any]:
        """A JSON-able form for the conversation's slot."""
        return {name: list(v) if isinstance(v, tuple) else v for name, v in self.__dict__.items()}

    @classmethod
    def from_slot(cls, value: object) -> Constraints:
        """Read back what as_slot wrote; anything malformed (the tracker is the client's) is dropped."""
        if not isinstance(value, dict):
            return cls()
        terms = {
            name: tuple(_short_strings(value.get(name)))
            for name in ("values", "excluded_values", "brands", "excluded_brands")
        }
        bounds = {name: _price(value.get(name)) for name in ("min_price", "max_price")}
        currency = value.get("currency")
        currency = currency if isinstance(currency, str) and currency in _CURRENCIES.values() else None
        return cls(**terms, **bounds, currency=currency)


@dataclass(frozen=True)
class ParsedMessage:
    """A message's constraints and the rest of its words (negated mentions and price phrases taken out), which is
    what retrieval should search for."""

    constraints: Constraints
    rest: str


class ConstraintParser:
    """Finds constraints in a message with the product linker (brands, categories, properties) and the names of
    every property value in the graph."""

    def __init__(self, linker: EntityLinker, value_names: Iterable[str]) -> None:
        self._linker = linker
        names = {fold(name).strip() for name in value_names if name and name.strip()}
        self._latin_words = {
            word for name in names if name.isascii() for word in _LATIN_WORD.findall(name) if len(word) > 1
        }
        self._latin_names = {name for name in names if name.isascii()}
        # one string searched in C: a word is a value when it is in some Chinese name (a Python loop over every
        # name grew with the catalog)
        self._chinese_names = "\n".join(name for name in names if not name.isascii())

    def parse(self, text: str) -> ParsedMessage:
        """The constraints a message states."""
        text = text[: MAX_VALUE_CHARS * 5]
        constraints, rest = price_bound(text)
        negations = [m.end() for m in _NEGATION.finditer(rest)]
        brands: list[str] = []
        excluded_brands: list[str] = []
        negated: list[tuple[int, int]] = []
        for mention in self._linker.mentions(rest):
            is_negated = _negated(rest, mention.start, negations)
            if mention.kind == "brand":
                (excluded_brands if is_negated else brands).append(mention.id)
            if is_negated and mention.kind in ("brand", "category"):
                negated.append((mention.start, mention.end))
        values, excluded = self._value_terms(rest, negations)
        negated += [(start, end) for _, start, end in excluded]
        kept = _without_spans(rest, negated)
        return ParsedMessage(
            replace(
                constraints,
                values=tuple(dict.fromkeys(t for t, _, _ in values))[:MAX_TERMS],
                excluded_values=tuple(dict.fromkeys(t for t, _, _ in excluded))[:MAX_TERMS],
                brands=tuple(dict.fromkeys(brands)),
                excluded_brands=tuple(dict.fromkeys(excluded_brands)),
            ),
            kept,
        )

    def _value_terms(
        self, text: str, negations: list[int]
    ) -> tuple[list[tuple[str, int, int]], list[tuple[str, int, int]]]:
        """(term, start, end) of the words that name a property value, split into wanted and negated ones."""
        folded = fold(text)
        taken = [False] * len(folded)
        for mention in self._linker.mentions(text):  # category, brand and property names are not values
            taken[mention.start : mention.end] = [True] * (mention.end - mention.start)
        found: list[tuple[str, int, int]] = []
        for phrase, canonical in _ORIGIN_TERMS.items():
            start = folded.find(phrase)
            if start != -1:
                found.append((canonical, start, start + len(phrase)))
                taken[start : start + len(phrase)] = [True] * len(phrase)
        for start, end in _spans(folded):
            word = folded[start:end]
            if any(taken[start:end]) or word in _GENERIC or word in STOPWORDS or not self._is_value(word):
                continue
            found.append((word, start, end))
        wanted = [term for term in found if not _negated(text, term[1], negations)]
        excluded = [term for term in found if _negated(text, term[1], negations)]
        return wanted, excluded

    def _is_value(self, word: str) -> bool:
        if word.isascii():
            return word in self._latin_names or (word in self._latin_words and not word.isdigit())
        return len(word) >= 2 and "\n" not in word and word in self._chinese_names


def price_bound(text: str) -> tuple[Constraints, str]:
    """The price bound a message states and the message without it."""
    for pattern, kind in ((_RANGE, "range"), (_MAX_BEFORE, "max"), (_MAX_AFTER, "max"), (_MIN_BEFORE, "min"),
                          (_MIN_AFTER, "min")):  # fmt: skip
        match = pattern.search(text)
        if match is None:
            continue
        groups = match.groups()
        if kind == "range":
            low, high = sorted((float(groups[1]), float(groups[4])))
            currency = _currency(groups[0], groups[2], groups[3], groups[5])
            found = Constraints(min_price=low, max_price=high, currency=currency)
        else:
            amount, currency = float(groups[1]), _currency(groups[0], groups[2])
            found = Constraints(
                min_price=amount if kind == "min" else None,
                max_price=amount if kind == "max" else None,
                currency=currency,
            )
        return found, text[: match.start()] + " " + text[match.end() :]
    return Constraints(), text


@dataclass(frozen=True)
class Fit:
    """How an item meets a query: `ruled_out` when its facts contradict it (an excluded brand or value, a price in
    the bound's currency outside the bound); else `met` of the `asked` wanted things (values, the brand, the price
    bound: an item without a price, or priced in another currency, does not meet a bound but is not ruled out)."""

    ruled_out: bool
    met: int
    asked: int
    unknown: int = 0  # asked things the graph cannot tell (a price bound on an item without a comparable price)

    @property
    def exact(self) -> bool:
        return not self.ruled_out and self.met == self.asked


def fit(constraints: Constraints, profile: dict[str, Any]) -> Fit:
    """How an item (an item_profiles row with brand_id, price and currency) meets the constraints."""
    haystack = _haystack(profile)
    brand = profile.get("brand_id")
    price, currency = profile.get("price"), profile.get("currency")
    comparable = _comparable(constraints, price, currency)
    ruled_out = (
        brand in constraints.excluded_brands
        or any(_contains(haystack, term) for term in constraints.excluded_values)
        or (comparable and not _within(constraints, price, currency))
    )
    wanted = [_contains(haystack, term) for term in constraints.values]
    if constraints.brands:
        wanted.append(brand in constraints.brands)
    if constraints.has_price_bound:
        wanted.append(comparable and _within(constraints, price, currency))
    unknown = int(constraints.has_price_bound and not comparable)
    return Fit(ruled_out, sum(wanted), len(wanted), unknown)


def item_matches(constraints: Constraints, profile: dict[str, Any]) -> bool:
    """Whether an item meets every constraint."""
    return fit(constraints, profile).exact


def item_currency(currency: object) -> str:
    """An item's currency: the catalog's, its documented default (CNY) when it names none."""
    return currency if isinstance(currency, str) and currency else DEFAULT_CURRENCY


def _comparable(constraints: Constraints, price: object, currency: object) -> bool:
    """An item's price can be held against the bound: it has one, in the bound's currency (or the bound names
    none)."""
    if not constraints.has_price_bound or not isinstance(price, int | float):
        return False
    return constraints.currency is None or constraints.currency == item_currency(currency)


def _within(constraints: Constraints, price: object, currency: object) -> bool:
    if not isinstance(price, int | float) or not _comparable(constraints, price, currency):
        return False
    low, high = constraints.min_price, constraints.max_price
    return (low is None or price >= low) and (high is None or price <= high)


def _haystack(profile: dict[str, Any]) -> str:
    names = [profile.get("title") or ""]
    for group in (profile.get("values") or []) + (profile.get("brands") or []):
        names += [str(name) for name in group if name]
    return " | ".join(names).casefold()


def _contains(haystack: str, term: str) -> bool:
    """Chinese terms as substrings; Latin ones as whole words ("red" in "wine red", not in "shredded")."""
    if not term.isascii():
        return term in haystack
    return re.search(rf"(?<![a-z0-9]){re.escape(term)}(?![a-z0-9])", haystack) is not None


def _spans(folded: str) -> list[tuple[int, int]]:
    """Start and end of each word (jieba for Chinese runs, whole Latin words)."""
    spans = []
    position = 0
    for token in jieba.lcut(folded):
        start = folded.find(token, position)
        position = start + len(token)
        if token.strip() and not _CLAUSE_END.fullmatch(token):
            spans.append((start, position))
    return spans


def _negated(text: str, start: int, negation_ends: list[int]) -> bool:
    """True when a negation cue ends at most NEGATION_REACH characters before `start`, in the same clause."""
    return any(0 <= start - end <= NEGATION_REACH and not _CLAUSE_END.search(text[end:start]) for end in negation_ends)


def _without_spans(text: str, spans: list[tuple[int, int]]) -> str:
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + " " + text[end:]
    return text


def _currency(*tokens: str | None) -> str | None:
    return next((_CURRENCIES[t.casefold()] for t in tokens if t and t.casefold() in _CURRENCIES), None)


def _union(old: tuple[str, ...], new: tuple[str, ...], minus: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(t for t in dict.fromkeys((*old, *new)) if t not in minus)[:MAX_TERMS]


def _short_strings(value: object) -> list[str]:
    if not isinstance(value, list):
        return []
    return [v for v in value[:MAX_TERMS] if isinstance(v, str) and 0 < len(v) <= MAX_VALUE_CHARS]


def _price(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0 else None
