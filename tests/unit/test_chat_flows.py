"""Every chat flow of ShoppingAssistant on the in-memory store of the demo catalog: no Neo4j, no servers.

The same turns run against the real graph in tests/integration/test_assistant_services.py; here the answers are
exact, because the catalog files are all the store holds."""

from __future__ import annotations

import pytest

from actions.assistant import MAX_MESSAGE_CHARS, ShoppingAssistant
from actions.faq import FaqAnswerer
from actions.memory_store import InMemoryGraphStore
from actions.messages import say
from actions.ordinals import ordinal_index
from kg_builder.faq.scoring import bm25_scorer
from kg_builder.faq.store_ranker import on_text

B02_TITLE = "肌美精,立体浸透保湿面膜（弹力）,4片/盒"
B05_TITLE = "美国maybelline,美宝莲绝色持久哑光唇膏口红笔1.25g咬唇妆"
B06_TITLE = "givenchy/纪梵希小羊皮口红高级定制303/306/325 大理石n25/14"
B06_EN = f"Lipstick · Givenchy · 303 · long-lasting — {B06_TITLE}"  # no English name: a line from the graph
LIPSTICKS = ["jie-82124", "b06", "b05", "ding-97385", "ding-6600"]  # "我想看看口红": ranked by the enhanced similarity


# --- search ---


def test_search_lists_the_items_of_a_category_in_both_languages(
    assistant: ShoppingAssistant, store: InMemoryGraphStore
) -> None:
    chinese = assistant.search("我想看看口红")
    assert chinese.listed_items == LIPSTICKS
    lines = chinese.text.split("\n")
    assert lines[0] == "为您找到5件商品：" and lines[2] == f"2. {B06_TITLE}，¥340"
    assert lines[-1] == "想看哪一个？可以说“第二个”。"
    assert chinese.payload == {"type": "item_list", "items": LIPSTICKS} and chinese.property_in_focus == ""
    assert [card["buttons"][0]["payload"] for card in chinese.carousel] == [f"第{n}个" for n in range(1, 6)]
    assert chinese.carousel[1]["subtitle"] == "纪梵希 · 口红 · ¥340"
    english = assistant.search("Can I see the lipstick?")
    lipsticks = set(store.items_by_filter("lipstick", None))
    assert len(english.listed_items) == 5 and set(english.listed_items) <= lipsticks
    assert english.text.startswith("I found 5 items:\n") and 'Say "the second one"' in english.text
    assert english.carousel[0]["buttons"][0] == {"title": "Show #1", "type": "postback", "payload": "the first one"}


def test_search_by_title_words_and_in_mixed_languages(assistant: ShoppingAssistant) -> None:
    by_words = assistant.search("修护眼霜")  # 修护 is a value: items with it in a value or the title
    assert set(by_words.listed_items or []) == {"b07", "ding-27046"}
    assert "瑞典有机l#a bruket 168棉花籽修护眼霜15ml抗氧化保湿去暗沉，¥260" in by_words.text
    by_value = assistant.search("棉花籽修护眼霜")  # 棉花籽 too: only the item that has both is left
    assert by_value.listed_items == ["b07"] and by_value.item_in_focus == "b07"
    mixed = assistant.search("我想看看 lipstick 口红 please")
    assert mixed.listed_items == LIPSTICKS and mixed.text.startswith("为您找到5件商品：")


def test_a_search_that_fits_one_item_shows_its_card(assistant: ShoppingAssistant) -> None:
    reply = assistant.search("Tropicana juice")
    assert reply.listed_items == ["s11"] and reply.item_in_focus == "s11"
    assert reply.payload and reply.payload["type"] == "item_card"
    assert "Selling points: rich in vitamin C" in reply.text
    assert reply.images and reply.images[0].endswith("/data/catalog/images/Tropicana-Apple-Juice_Iconic.jpg")


# --- choosing from a list ---


@pytest.mark.parametrize(
    ("text", "title"),
    [("第二个", B06_TITLE), ("the second one", B06_EN), ("看第2个", B06_TITLE), ("number 2", B06_EN), ("2", B06_EN)],
)
def test_pick_by_number(assistant: ShoppingAssistant, text: str, title: str) -> None:
    card = assistant.choose(text, LIPSTICKS)
    assert card.item_in_focus == "b06" and card.listed_items == LIPSTICKS
    assert card.payload == {"type": "item_card", "item": "b06", "title": B06_TITLE, "images": []}
    assert card.text.split("\n")[0] == f"【{title}】"


def test_pick_by_the_text_of_a_carousel_button(assistant: ShoppingAssistant) -> None:
    for language_text in ("我想看看口红", "Can I see the lipstick?"):
        listed = assistant.search(language_text)
        button = listed.carousel[2]["buttons"][0]["payload"]
        assert assistant.choose(button, listed.listed_items).item_in_focus == listed.listed_items[2]
    last = assistant.choose("the last one", LIPSTICKS)
    assert last.item_in_focus == "ding-6600" and "Category: lipstick" in last.text


def test_pick_by_a_word_of_the_name_or_the_values(assistant: ShoppingAssistant) -> None:
    listed = assistant.search("我想看看酸奶").listed_items
    assert {"grocery-alpro-vanilla-soyghurt", "grocery-alpro-blueberry-soyghurt"} <= set(listed)
    assert assistant.choose("the vanilla one", listed).item_in_focus == "grocery-alpro-vanilla-soyghurt"
    assert assistant.choose("the blueberry one", listed).item_in_focus == "grocery-alpro-blueberry-soyghurt"
    ambiguous = assistant.choose("the alpro one", listed)  # two Alpro soyghurts: ask for a number
    assert (
        ambiguous.item_in_focus is None and ambiguous.text == 'Please pick a number from 1 to 5, e.g. "the first one".'
    )
    assert assistant.choose("紫色的那个", ["b05", "b06"]).item_in_focus is None
    assert assistant.choose("哑光的那个", ["b05", "b06"]).item_in_focus == "b05"  # a value of b05


# --- the item card ---


def test_the_card_in_chinese_and_english(assistant: ShoppingAssistant) -> None:
    chinese = assistant.show_card("b02", "看看")
    assert chinese.text.split("\n") == [
        f"【{B02_TITLE}】",
        "品类：面膜\u3000品牌：肌美精\u3000价格：¥59",
        "· 成分：甘草酸二钾、透明质酸",
        "· 功效：保湿、紧致",
        "· 包装：4片/盒",
        "· 适用肤质：所有肤质",
        "卖点：美白提亮、补水保湿、长效锁水、抗皱紧致、紧致提拉、提升弹性",
        "适用场景：熬夜、空调房、秋冬干燥季",
    ]
    assert chinese.item_in_focus == "b02" and chinese.buttons == [{"title": "看短视频", "payload": "看短视频"}]
    assert chinese.prompt == "想看看它的短视频吗？"
    english = assistant.show_card("b02", "show it")
    # No English name: an English line from the graph (category, English key values) beside the original title.
    assert english.text.split("\n")[0] == f"【Facial mask · dipotassium glycyrrhizinate · moisturizing — {B02_TITLE}】"
    assert "Category: facial mask | Brand: 肌美精 | Price: ¥59" in english.text
    assert "· ingredient: dipotassium glycyrrhizinate and hyaluronic acid" in english.text
    assert "Good for: staying up late, air-conditioned rooms and dry autumn and winter" in english.text


def test_a_card_shows_its_images(assistant: ShoppingAssistant) -> None:
    reply = assistant.show_card("s11", "Tropicana")
    assert len(reply.images) == 1 and reply.images[0].endswith("Tropicana-Apple-Juice_Iconic.jpg")
    assert f"Image: {reply.images[0]}" in reply.text and reply.payload["images"] == reply.images


# --- property questions (KBQA), follow-ups, price ---


def test_property_questions(assistant: ShoppingAssistant) -> None:
    size = assistant.ask_property("What is the size of the T-shirt?", focus=None)
    assert size.item_in_focus == "c04" and size.property_in_focus == "size"
    assert (
        size.text
        == '"Plus Size Patchwork Yoga Sport T-shirts Short S…" has 6 values for size: S, M, L, XL, XXL and XXXL.'
    )
    assert size.payload == {
        "type": "property_answer",
        "item": "c04",
        "property": "size",
        "values": ["S", "M", "L", "XL", "XXL", "XXXL"],
    }
    ingredients = assistant.ask_property("这款面膜的成分是什么?", focus="b02")
    assert ingredients.text == f"「{B02_TITLE}」的成分有甘草酸二钾、透明质酸，共2种。"
    one = assistant.ask_property("what is the origin of the second one?", focus=None, listed=LIPSTICKS[1:3])
    assert one.item_in_focus == "b05" and one.text.endswith("is USA.")


def test_what_about_the_second_one_asks_the_same_property_again(assistant: ShoppingAssistant) -> None:
    listed = assistant.search("我想看看T恤").listed_items
    first = assistant.ask_property("第一个的袖长是多少", focus=None, listed=listed)
    assert first.property_in_focus == "sleeve_length" and first.item_in_focus == listed[0]
    assert first.text == "「短袖t恤,绣花,民族风」的袖长是短袖。"
    chinese = assistant.choose("那第二个呢", listed, property_in_focus=first.property_in_focus)
    assert chinese.payload["type"] == "property_answer" and chinese.item_in_focus == listed[1]
    assert chinese.text == "「男士t恤长袖秋衣外,2017新款帅气薄款韩版潮搭配牛仔裤学生卫衣」的袖长是长袖。"
    english = assistant.choose("what about the second one?", listed, property_in_focus="sleeve_length")
    assert (
        english.text
        == 'The sleeve length of "T-shirt — 男士t恤长袖秋衣外,2017新款帅气薄款韩版潮搭配牛仔裤学生卫衣" is long sleeve.'
    )
    asked = assistant.ask_property("what about number 1?", None, listed, property_in_focus="sleeve_length")
    assert asked.item_in_focus == listed[0] and asked.payload["property"] == "sleeve_length"
    # Without a follow-up word, or with no property answered before, an ordinal shows the card.
    assert assistant.choose("第二个", listed, property_in_focus="sleeve_length").payload["type"] == "item_card"
    assert assistant.choose("那第二个呢", listed).payload["type"] == "item_card"


def test_price_and_a_value_the_graph_lacks(assistant: ShoppingAssistant) -> None:
    price = assistant.ask_property("它的价格是多少", focus="b06", listed=LIPSTICKS)
    assert price.text == f"「{B06_TITLE}」的价格是¥340。"
    assert price.payload == {
        "type": "property_answer",
        "item": "b06",
        "property": "price",
        "values": [340.0],
        "currency": "CNY",
    }
    english = assistant.ask_property("how much is the third one?", focus=None, listed=LIPSTICKS)
    assert english.item_in_focus == "b05" and english.text == f'"Lipstick · Maybelline — {B05_TITLE}" costs ¥89.'
    unknown = assistant.ask_property("how much is the first one?", focus=None, listed=LIPSTICKS)
    assert unknown.payload["values"] == [] and unknown.text.startswith("Sorry, the graph has no price for")
    t_shirts = assistant.search("Do you have T-shirts?").listed_items
    lacking = assistant.ask_property("what sizes does number 5 come in?", focus=None, listed=t_shirts)
    # (a confident FAQ may follow when the FAQ matcher is trained: the FAQ fallback has its own test)
    assert (lacking.payload["type"], lacking.payload["item"], lacking.payload["property"]) == (
        "no_value",
        t_shirts[4],
        "size",
    )
    assert lacking.text.startswith("Sorry, the graph has no size for") and lacking.property_in_focus == "size"


# --- recommendation along the cognitive path ---


@pytest.mark.parametrize(
    ("text", "path", "head"),
    [
        (
            "I stay up late and my skin looks dull, what should I buy?",
            "why: staying up late → dull skin → fair skin → brightening",
            "Based on what you told me, I'd suggest:",
        ),
        (
            "我经常熬夜，皮肤暗沉，买什么好？",
            "理由: 熬夜 → 皮肤暗沉 → 美白提亮 → 去暗沉",
            "根据您的情况，推荐这些商品：",
        ),
    ],
)
def test_recommendation_gives_its_path_as_the_reason(
    assistant: ShoppingAssistant, text: str, path: str, head: str
) -> None:
    reply = assistant.recommend(text)
    assert reply.listed_items == ["b07", "b09", "jie-2855", "b02", "ding-41966"]
    assert reply.needs == {"scenarios": ["stay_up_late"], "problems": ["dull_skin"], "pois": []}
    lines = reply.text.split("\n")
    assert lines[0] == head and lines[2] == f"   {path}"
    first = reply.payload["paths"][0]
    assert (first["scenario_en"], first["problem_en"], first["poi_en"], first["value"]) == (
        "staying up late",
        "dull skin",
        "fair skin",
        "去暗沉",
    )
    assert first["predicted"] is False
    card = assistant.choose("the first one", reply.listed_items)
    assert card.item_in_focus == "b07" and "去暗沉" in card.text


def test_recommendation_from_a_need_alone(assistant: ShoppingAssistant) -> None:
    reply = assistant.recommend("I need something rich in vitamin C")
    assert "s11" in reply.listed_items and reply.needs["pois"] == ["vitamin_c"]
    assert all(path["poi_en"] == "rich in vitamin C" and path["scenario_en"] is None for path in reply.payload["paths"])


# --- out of scope, unknown things ---


def test_unknown_things_get_a_clear_answer(assistant: ShoppingAssistant) -> None:
    nothing = assistant.search("do you sell rocket engines?")
    assert nothing.listed_items == [] and nothing.text.startswith("Sorry, I could not find a matching item")
    assert assistant.search("有没有火箭发动机").text.startswith("抱歉，直播间里没有找到相关的商品。")
    assert "Which item" in assistant.ask_property("what is its size?", focus=None).text
    assert assistant.ask_property("它有什么特点", focus=None).text.startswith("您想问的是哪件商品？")
    assert (
        assistant.choose("the ninth one", ["b05", "b06"]).text
        == 'Please pick a number from 1 to 2, e.g. "the first one".'
    )
    assert assistant.choose("第九个", []).text.startswith("您想问的是哪件商品？")
    assert assistant.show_card("no-such-item").item_in_focus is None
    situation = assistant.recommend("what should I buy?")
    assert "situation" in situation.text and situation.listed_items is None
    assert assistant.recommend("买什么好").text.startswith("能说说您的情况吗？")
    assert assistant.video("video please", focus=None).video is None


# --- hostile text ---

HOSTILE = [
    "') DETACH DELETE n //",
    "'}) MATCH (n) DETACH DELETE n; //",
    '" OR title:* OR "',
    "第二个' }) DETACH DELETE n //",
    "1" * 40_000,
    " " * 40_000,
    "口红 lipstick " * 80_000,
    "🍪🧴💄" * 700,
    "我想看看 the second 口红 呢 what about 第3个 price 多少钱 🍪",
    "\x00\x1b[31m",
    "",
]


@pytest.mark.parametrize("text", HOSTILE, ids=lambda text: text[:24])
def test_hostile_text_is_answered_without_error(assistant: ShoppingAssistant, text: str) -> None:
    replies = [
        assistant.search(text, category=text, brand=text),
        assistant.choose(text, LIPSTICKS, ordinal=text, property_in_focus="color"),
        assistant.ask_property(text, focus=text, listed=[text], property_value=text, category=text),
        assistant.ask_property(text, focus="b02", listed=LIPSTICKS, property_in_focus=text),
        assistant.recommend(text),
        assistant.show_card(text, text),
        assistant.video(text, focus=text, listed=[text]),
    ]
    assert all(reply.text for reply in replies)
    assert replies[5].item_in_focus is None and replies[6].video is None


def test_a_message_over_the_limit_gets_the_too_long_reply_in_its_language(assistant: ShoppingAssistant) -> None:
    assert "太长" in assistant.search("口红" * MAX_MESSAGE_CHARS).text
    english = assistant.ask_property("x" * (MAX_MESSAGE_CHARS + 1), focus="b02")
    assert "too long" in english.text and english.item_in_focus is None
    assert assistant.search("口红" * (MAX_MESSAGE_CHARS // 2)).listed_items  # at the limit: answered as usual


@pytest.mark.parametrize(
    ("text", "index"),
    [("1" * 40_000, None), (" " * 40_000 + "第二个", 1), ("第" + "1" * 40_000, None), ("1" * 40_000 + "号", None)],
    ids=["digits", "spaces", "di-digits", "digits-hao"],
)
def test_ordinals_in_long_runs_of_digits_and_spaces(text: str, index: int | None) -> None:
    """Bounded patterns: these took about a minute each with the unbounded `\\d+\\s*号` and `\\s*`."""
    assert ordinal_index(text, 5) == index


# --- FAQ fallback (BM25 over the store's FAQs: no encoder needed) ---

FAQ_THRESHOLD = 15.0  # raw BM25 of the language's top FAQ: 22-50 for the store questions below, 10.4 off topic


@pytest.fixture(scope="module")
def faq_assistant(store: InMemoryGraphStore) -> ShoppingAssistant:
    thresholds = {"zh": FAQ_THRESHOLD, "en": FAQ_THRESHOLD}
    return ShoppingAssistant(store, faq=FaqAnswerer(store.faqs(), on_text(bm25_scorer()), thresholds))


@pytest.mark.parametrize(
    ("question", "faq"),
    [
        ("请问什么时候发货", "faq_shipping_zh"),
        ("when will my order ship?", "faq_shipping_en"),
        ("是正品吗", "faq_genuine_zh"),
    ],
)
def test_a_store_question_is_answered_from_the_catalog_faqs(
    faq_assistant: ShoppingAssistant, store: InMemoryGraphStore, question: str, faq: str
) -> None:
    reply = faq_assistant.faq(question, focus="b02")
    answer = next(row["answer"] for row in store.faqs() if row["id"] == faq)
    assert reply.payload is not None and reply.payload["faq"] == faq
    assert reply.text.startswith(answer) and reply.item_in_focus == "b02"


@pytest.mark.parametrize("question", ["量子纠缠和黑洞蒸发有什么关系", "今天天气怎么样", "sing me a song"])
def test_an_unknown_question_goes_to_the_host(faq_assistant: ShoppingAssistant, question: str) -> None:
    reply = faq_assistant.faq(question)
    assert reply.payload is not None and reply.payload["type"] == "pass_to_host"
    assert reply.text == say("pass_to_host", "en" if question.isascii() else "zh")
