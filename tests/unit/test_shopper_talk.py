"""Shopper talk on the in-memory store of the demo catalog (issue 15): constraints in a search and on the list
shown, paging, comparisons and sorting, "why", and questions about the item in focus."""

from __future__ import annotations

import pytest

from actions.assistant import ShoppingAssistant
from actions.constraints import ConstraintParser, Constraints, item_matches, price_bound
from actions.listing import SearchState
from actions.messages import say

LIPSTICKS = ["jie-82124", "b06", "b05", "ding-97385", "ding-6600"]  # "我想看看口红", as in test_chat_flows.py


@pytest.fixture(scope="module")
def parser(assistant: ShoppingAssistant) -> ConstraintParser:
    return assistant._lists._parser


# --- parsing ---


@pytest.mark.parametrize(
    ("text", "low", "high", "currency"),
    [
        ("lipstick under ¥100", None, 100.0, "CNY"),
        ("100元以下的口红", None, 100.0, "CNY"),
        ("不超过200块", None, 200.0, "CNY"),
        ("anything below $20?", None, 20.0, "USD"),
        ("between $10 and $20", 10.0, 20.0, "USD"),
        ("50到100块的面膜", 50.0, 100.0, "CNY"),
        ("over 300 yuan", 300.0, None, "CNY"),
        ("500元以上", 500.0, None, "CNY"),
        ("under 100", None, 100.0, None),  # no currency: the items' own
    ],
)
def test_price_bounds(text: str, low: float | None, high: float | None, currency: str | None) -> None:
    found, rest = price_bound(text)
    assert (found.min_price, found.max_price, found.currency) == (low, high, currency)
    assert "100" not in rest or high != 100.0


def test_no_price_bound_in_plain_words_or_sizes() -> None:
    for text in ("I want a red T-shirt in size XL", "第二个", "size 42 sneakers", "40000000000000000000"):
        assert not price_bound(text)[0].has_price_bound


def test_negations_exclude_brands_and_values(parser: ConstraintParser) -> None:
    assert parser.parse("not Maybelline").constraints.excluded_brands == ("maybelline",)
    parsed = parser.parse("口红，不要美宝莲")
    assert parsed.constraints.excluded_brands == ("maybelline",) and "美宝莲" not in parsed.rest
    assert parser.parse("不要国产的").constraints.excluded_values == ("国产",)
    assert parser.parse("除了红色的").constraints.excluded_values == ("红色",)
    assert parser.parse("这个是不是红色的").constraints.values == ("红色",)  # 是不是 asks, it does not negate


def test_values_are_the_graphs_values(parser: ConstraintParser) -> None:
    assert parser.parse("I want a red T-shirt in size XL").constraints.values == ("red", "xl")
    assert parser.parse("有XL的吗").constraints.values == ("xl",)
    assert parser.parse("草莓味的酸奶").constraints.values == ("草莓",)
    assert parser.parse("show me some lipsticks").constraints == Constraints()  # a category is not a value


def test_merging_replaces_the_price_and_flips_a_negation() -> None:
    old = Constraints(values=("red",), excluded_brands=("maybelline",), max_price=100.0, currency="CNY")
    new = Constraints(brands=("maybelline",), excluded_values=("red",), max_price=50.0)
    merged = old.merged(new)
    assert merged.values == () and merged.excluded_values == ("red",)
    assert merged.brands == ("maybelline",) and merged.excluded_brands == ()
    assert (merged.max_price, merged.currency) == (50.0, None)
    assert Constraints.from_slot(merged.as_slot()) == merged


@pytest.mark.parametrize("garbage", [None, "x", [1], {"values": "red", "max_price": "cheap", "currency": "XXX"}])
def test_a_crafted_slot_reads_as_no_constraints(garbage: object) -> None:
    assert Constraints.from_slot(garbage) == Constraints()
    assert SearchState.from_slot(garbage) == SearchState()
    assert SearchState.from_slot({"query": "口红", "shown": 10**40}).shown == 0


def test_a_price_bound_only_meets_items_in_its_currency() -> None:
    profile = {"title": "x", "values": [], "brands": [], "price": 15.0, "currency": None}  # CNY by default
    assert item_matches(Constraints(max_price=20.0, currency="CNY"), profile)
    assert item_matches(Constraints(max_price=20.0), profile)
    assert not item_matches(Constraints(max_price=20.0, currency="USD"), profile)
    assert not item_matches(Constraints(max_price=20.0), {**profile, "price": None})


# --- searching, narrowing, paging ---


def test_a_search_applies_its_constraints(assistant: ShoppingAssistant) -> None:
    red = assistant.search("我想要红色的口红")
    assert red.listed_items and "b05" in red.listed_items  # 正红色
    assert "b06" not in red.listed_items  # 303/306/325: no red in its values or title
    not_maybelline = assistant.search("口红，不要美宝莲")
    assert not_maybelline.listed_items and "b05" not in not_maybelline.listed_items
    assert not_maybelline.text.startswith("按您的要求（不要美宝莲）")
    closest = assistant.search("I want a red T-shirt in size XL")  # no red T-shirt: the XL ones, said so
    assert closest.listed_items == ["c04", "c06"] and closest.text.startswith("Nothing meets all of (red and xl)")
    assert closest.payload and closest.payload["meets_all"] is False
    nothing = assistant.search("lipstick not Maybelline under ¥50")  # priced lipsticks: ¥89 (Maybelline) and ¥340
    assert nothing.listed_items and "b05" not in nothing.listed_items and "b06" not in nothing.listed_items
    assert say("unpriced_note", "en") in nothing.text


def test_the_list_shown_narrows_and_pages(assistant: ShoppingAssistant) -> None:
    first = assistant.search("我想看看T恤")
    assert first.listed_items and len(first.listed_items) == 5 and first.search_state
    assert "说“换一批”看更多" in first.text
    second = assistant.more("换一批", first.listed_items, first.search_state)
    assert second.listed_items and not set(second.listed_items) & set(first.listed_items)
    pages = [first.listed_items, second.listed_items]
    state = second.search_state
    while (page := assistant.more("more", pages[-1], state)).listed_items:
        pages.append(page.listed_items)
        state = page.search_state
    assert page.text == say("no_more", "en")
    seen = [item for listed in pages for item in listed]
    assert len(seen) == len(set(seen))  # no item twice
    xl = assistant.refine("有XL的吗", first.listed_items, None, first.search_state)
    assert set(xl.listed_items or []) == {"c04", "c06"} and xl.text.startswith("按您的要求（xl）")


def test_cheaper_ones_and_a_price_bound_on_the_list(assistant: ShoppingAssistant) -> None:
    lipsticks = assistant.search("我想看看口红")
    assert lipsticks.listed_items == LIPSTICKS
    cheaper = assistant.refine("cheaper ones?", LIPSTICKS, "b06", lipsticks.search_state)  # b06 costs ¥340
    assert cheaper.listed_items == ["b05"]  # ¥89: the only cheaper priced lipstick
    under = assistant.refine("100元以下的", LIPSTICKS, None, lipsticks.search_state)
    assert under.listed_items == ["b05"]


def test_a_recommended_list_is_narrowed_and_has_no_next_page(assistant: ShoppingAssistant) -> None:
    recommended = assistant.recommend("熬夜皮肤暗沉怎么办")
    assert recommended.search_state == {} and recommended.listed_items
    assert assistant.more("换一批", recommended.listed_items, None).text == say("no_more", "zh")
    under = assistant.refine("100元以下的", recommended.listed_items, None, None)
    assert under.listed_items == ["b02"]  # ¥59; the others cost more or have no price


# --- comparisons ---


def test_the_cheapest_and_the_dearest_of_the_list(assistant: ShoppingAssistant) -> None:
    cheapest = assistant.compare("哪个最便宜", LIPSTICKS)
    assert cheapest.item_in_focus == "b05" and cheapest.text.startswith("最便宜的是第3个")
    dearest = assistant.compare("which one is the most expensive?", LIPSTICKS)
    assert dearest.item_in_focus == "b06" and dearest.text.startswith("The most expensive is no. 2")


def test_a_pair_is_compared_and_unpriced_items_are_said_so(assistant: ShoppingAssistant) -> None:
    pair = assistant.compare("第二个和第三个哪个便宜", LIPSTICKS)
    assert pair.item_in_focus == "b05" and pair.text.startswith("最便宜的是第3个")
    one_priced = assistant.compare("which is cheaper, the first or the third?", LIPSTICKS)
    assert one_priced.text.startswith("Only no. 3") and "no price for the others" in one_priced.text


def test_sorting_and_what_the_graph_does_not_hold(assistant: ShoppingAssistant) -> None:
    ascending = assistant.compare("sort them by price", LIPSTICKS)
    assert ascending.listed_items and ascending.listed_items[:2] == ["b05", "b06"]
    descending = assistant.compare("按价格从高到低排序", LIPSTICKS)
    assert descending.listed_items and descending.listed_items[:2] == ["b06", "b05"]
    assert assistant.compare("which is the best seller?", LIPSTICKS).text == say("no_sales_data", "en")
    assert assistant.compare("哪个最便宜", []).text == say("which_item", "zh")


# --- why, and questions about the item in focus ---


def test_why_gives_the_path_of_the_recommended_item(assistant: ShoppingAssistant) -> None:
    recommended = assistant.recommend("熬夜皮肤暗沉怎么办")
    listed = recommended.listed_items or []
    why = assistant.explain("为什么推荐第一个", None, listed, recommended.needs)
    assert why.item_in_focus == listed[0]
    assert why.text.startswith("推荐「") and "熬夜 → 皮肤暗沉 → 美白提亮" in why.text


def test_why_for_a_need_is_the_value_that_meets_it_or_an_honest_no(assistant: ShoppingAssistant) -> None:
    good = assistant.explain("why is it good for dry skin?", "b07", [])
    assert "dry skin" in good.text and "meets the need" in good.text
    not_linked = assistant.explain("why is it good for dry skin?", "b05", [])  # a lipstick
    assert not_linked.text.startswith("The graph does not link") and "dry skin" in not_linked.text
    assert assistant.explain("为什么推荐它", None, ["b05", "b06"]).text == say("which_item", "zh")


@pytest.mark.parametrize("text", ["这个面膜孕妇能用吗", "can pregnant women use this mask?"])
def test_a_question_about_the_item_in_focus_is_not_a_new_search(assistant: ShoppingAssistant, text: str) -> None:
    reply = assistant.search(text, focus="b02")
    assert reply.listed_items is None and reply.item_in_focus == "b02"
    assert reply.payload == {"type": "not_in_graph", "item": "b02"}


def test_prices_are_compared_within_one_currency(assistant: ShoppingAssistant) -> None:
    mixed = ["b05", "c04", "c06"]  # ¥89 (Taobao), $12.8 and $25 (AliExpress)
    english = assistant.compare("which is the cheapest?", mixed)
    assert english.item_in_focus == "c04" and "at $12.8." in english.text
    assert "(1 priced in another currency than USD were not compared.)" in english.text
    chinese = assistant.compare("哪个最便宜", mixed)
    assert "$12.8" in chinese.text and "¥" not in chinese.text.split("（")[0]  # the same symbol in both languages
    in_dollars = assistant.refine("only those under $20", mixed, None, None)
    assert in_dollars.listed_items == ["c04"]  # ¥89 is not under $20: another currency, never converted


@pytest.mark.parametrize("text", ["which one sells the best", "哪个卖的最好", "哪款最畅销"])
def test_sales_questions_in_other_words_are_answered_honestly(assistant: ShoppingAssistant, text: str) -> None:
    assert assistant.compare(text, LIPSTICKS).text == say("no_sales_data", "zh" if text[0] == "哪" else "en")


def test_bare_numbers_name_the_pair(assistant: ShoppingAssistant) -> None:
    pair = assistant.compare("which is cheaper, 2 or 3?", LIPSTICKS)  # b06 ¥340, b05 ¥89
    assert pair.item_in_focus == "b05" and pair.text.startswith("The cheapest is no. 3")


def test_narrowing_by_something_the_graph_cannot_tell_says_so(assistant: ShoppingAssistant) -> None:
    lipsticks = assistant.search("我想看看口红")
    reply = assistant.refine("只要大瓶装的", LIPSTICKS, None, lipsticks.search_state)
    assert reply.text == say("which_constraint", "zh") and reply.listed_items is None
