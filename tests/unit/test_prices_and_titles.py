"""Prices in the catalog's currency whatever the reply's language, and item names in the shopper's language: on the
in-memory store of the demo catalog and of a small catalog with other currencies and names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from actions.assistant import ShoppingAssistant
from actions.exhibition import card_subtitle, carousel, result_list
from actions.memory_store import InMemoryGraphStore
from actions.prices import format_price
from actions.titles import TITLE_CHARS, display_title
from tests.conftest import TEST_PREFIX, mini_catalog

B05_TITLE = "美国maybelline,美宝莲绝色持久哑光唇膏口红笔1.25g咬唇妆"
MASK = f"{TEST_PREFIX}mask"


@pytest.fixture
def store(tmp_path: Path) -> InMemoryGraphStore:
    """The mini catalog (item1: Chinese, ¥9.9 by default; item2: English, no price) plus item3, priced in SEK with
    names in both languages, and item4, in USD with a long Chinese title."""
    root = mini_catalog(tmp_path / "catalog")
    extra = [
        {"id": f"{TEST_PREFIX}item3", "title": "Ansiktsmask", "title_zh": "瑞典面膜", "title_en": "Face mask",
         "lang": "en", "category": MASK, "price": 25, "currency": "SEK", "source": "test"},
        {"id": f"{TEST_PREFIX}item4", "title": "长" * 60, "lang": "zh", "category": MASK, "price": 20,
         "currency": "USD", "source": "test"},
    ]  # fmt: skip
    (root / "items").mkdir()
    (root / "items" / "extra.jsonl").write_text("".join(json.dumps(row) + "\n" for row in extra), encoding="utf-8")
    return InMemoryGraphStore.from_catalog(root)


@pytest.mark.parametrize(
    ("price", "currency", "shown"),
    [(39, "CNY", "¥39"), (20.0, "USD", "$20"), (5, "EUR", "€5"), (25, "SEK", "SEK 25"), (12.5, None, "¥12.5")],
)
def test_format_price(price: float, currency: str | None, shown: str) -> None:
    assert format_price(price, currency) == shown


def test_the_same_price_in_a_chinese_and_an_english_reply(demo: ShoppingAssistant) -> None:
    zh = demo.ask_property("它多少钱", focus="b05")
    en = demo.ask_property("how much is it?", focus="b05")
    assert zh.text == f"「{B05_TITLE}」的价格是¥89。"
    assert en.text == f'"Lipstick · Maybelline — {B05_TITLE}" costs ¥89.'


def test_lists_and_cards_price_in_the_items_currency(store: InMemoryGraphStore) -> None:
    items = store.summaries([f"{TEST_PREFIX}item{n}" for n in (1, 3, 4)])
    assert [item.currency for item in items] == ["CNY", "SEK", "USD"]
    for language in ("zh", "en"):
        lines = result_list(items, language).split("\n")[1:4]
        assert [line.rsplit("，" if language == "zh" else ", ", 1)[1] for line in lines] == ["¥9.9", "SEK 25", "$20"]
        assert card_subtitle(items[2], language).endswith(" · $20")
    card = ShoppingAssistant(store).show_card(f"{TEST_PREFIX}item3", "看看")
    assert card.text.split("\n")[:2] == ["【瑞典面膜】", "品类：测试面膜\u3000价格：SEK 25"]


def test_names_in_the_shoppers_language(store: InMemoryGraphStore) -> None:
    item1, item2, item3, item4 = store.summaries([f"{TEST_PREFIX}item{n}" for n in range(1, 5)])
    assert [display_title(item3, language) for language in ("zh", "en")] == ["瑞典面膜", "Face mask"]
    assert [display_title(item2, language) for language in ("zh", "en")] == ["Test mask two"] * 2
    # A Chinese item with no English name: an English line (category, brand, key values) beside its title.
    assert display_title(item1, "zh") == "测试面膜一号 test mask one"
    assert display_title(item1, "en") == "Test mask · TestBrand — 测试面膜一号 test mask one"
    assert display_title(item1, "en", ["test licorice", "测试"]) == (
        "Test mask · TestBrand · test licorice — 测试面膜一号 test mask one"
    )
    short = display_title(item4, "en", short=True)  # only the original title is cut
    assert short == "Test mask — " + "长" * (TITLE_CHARS - 1) + "…"
    card = ShoppingAssistant(store).show_card(f"{TEST_PREFIX}item1", "show it")
    assert card.text.split("\n")[0] == "【Test mask · TestBrand · test licorice — 测试面膜一号 test mask one】"


def test_a_grocery_item_has_its_chinese_name_in_a_chinese_reply(demo_store: InMemoryGraphStore) -> None:
    """The harvest gives the grocery products their hand-written Chinese names (data/catalog/photo_products_zh.tsv)."""
    juices = demo_store.summaries(["grocery-bravo-apple-juice", "grocery-tropicana-apple-juice"])
    assert result_list(juices, "zh").split("\n")[1:3] == ["1. Bravo 苹果汁", "2. 纯果乐苹果汁"]
    assert [card["title"] for card in carousel(juices, "en")] == ["1. Bravo Apple Juice", "2. Tropicana Apple Juice"]
    shop = ShoppingAssistant(demo_store)
    assert shop.show_card("grocery-bravo-apple-juice", "看看").text.split("\n")[0] == "【Bravo 苹果汁】"
    assert shop.show_card("grocery-bravo-apple-juice", "show it").text.split("\n")[0] == "【Bravo Apple Juice】"
