"""The assistant's services on the real demo graph, in both languages, and against hostile text."""

from __future__ import annotations

from pathlib import Path

import pytest
from neo4j import Driver

from actions.assistant import ShoppingAssistant
from actions.graph_store import Neo4jGraphStore
from kg_builder.build import build_graph
from kg_builder.graph.ontology import CATEGORY, IMAGE, IN_CATEGORY, ITEM
from tests.conftest import DEMO_CATALOG

HOSTILE = [
    "' OR 1=1 //",
    "}) DETACH DELETE n //",
    "'); MATCH (n) DETACH DELETE n; //",
    '" OR title:* OR "',
    "CALL db.clearQueryCaches() //",
    "第二个' }) DETACH DELETE n //",
    "🍪" * 2000,
    "",
    "\x00\x1b[31m",
]


@pytest.fixture(scope="module")
def assistant(driver: Driver) -> ShoppingAssistant:
    build_graph(driver, DEMO_CATALOG, progress=False)
    return ShoppingAssistant(Neo4jGraphStore(driver))


def _fingerprint(driver: Driver) -> tuple:
    record = driver.execute_query(
        """MATCH (n) OPTIONAL MATCH (n)-[r]->()
           RETURN count(DISTINCT n) AS nodes, count(r) AS rels,
                  sum(size(keys(n))) AS node_keys"""
    ).records[0]
    return record["nodes"], record["rels"], record["node_keys"]


def _lipsticks(driver: Driver) -> set[str]:
    query = f"MATCH (i:{ITEM})-[:{IN_CATEGORY}]->(:{CATEGORY} {{id: 'lipstick'}}) RETURN collect(i.id) AS ids"
    return set(driver.execute_query(query).records[0]["ids"])


def test_search_lists_items_of_the_category_in_both_languages(assistant: ShoppingAssistant, driver: Driver) -> None:
    lipsticks = _lipsticks(driver)
    english = assistant.search("Can I see the lipstick?")
    chinese = assistant.search("我想看看口红")
    shown = min(5, len(lipsticks))
    assert len(lipsticks) > 2 and {"b05", "b06"} <= lipsticks
    assert set(english.listed_items) <= lipsticks and set(chinese.listed_items) <= lipsticks
    assert len(english.listed_items) == len(chinese.listed_items) == shown
    assert english.text.startswith(f"I found {shown} items:") and chinese.text.startswith(f"为您找到{shown}件商品：")


@pytest.mark.parametrize("text", ["Can I see the lipstick?", "我想看看口红", "Do you have T-shirts?"])
def test_a_result_list_never_shows_one_title_twice(assistant: ShoppingAssistant, text: str) -> None:
    listed = assistant.search(text).listed_items
    titles = [item.title.casefold() for item in assistant._store.summaries(listed)]
    assert len(listed) == 5 and len(set(titles)) == len(titles), titles


def test_choose_by_ordinal_shows_the_card(assistant: ShoppingAssistant) -> None:
    listed = assistant.search("我想看看口红").listed_items
    card = assistant.choose("第二个", listed)
    assert card.item_in_focus == listed[1]
    assert "品类：口红" in card.text
    english = assistant.choose("the last one", listed)
    assert english.item_in_focus == listed[-1] and "Category: lipstick" in english.text


def test_size_of_the_t_shirt(assistant: ShoppingAssistant, driver: Driver) -> None:
    reply = assistant.ask_property("What is the size of the T-shirt?", focus=None)
    assert reply.payload["property"] == "size" and reply.item_in_focus in {"c04", "c05", "c06"}
    assert "values for size" in reply.text
    assert len(reply.images) == len(set(reply.images))
    for url in reply.images:  # a shared value node's images: only this item's own pieces, or curated ones
        name = url.rsplit("/", 1)[-1]
        rows = driver.execute_query(
            f"MATCH (img:{IMAGE}) WHERE img.path ENDS WITH '/' + $name RETURN img.item AS item", name=name
        ).records
        assert rows and all(row["item"] in (None, reply.item_in_focus) for row in rows), url


def test_mask_ingredients_in_chinese_for_the_item_in_focus(assistant: ShoppingAssistant) -> None:
    reply = assistant.ask_property("这款面膜的成分是什么?", focus="b02")
    assert reply.text == "「肌美精,立体浸透保湿面膜（弹力）,4片/盒」的成分有甘草酸二钾、透明质酸，共2种。"


def test_what_about_the_second_one_asks_the_same_property_again(assistant: ShoppingAssistant) -> None:
    listed = assistant.search("我想看看T恤").listed_items
    with_sleeves = [n for n, item in enumerate(listed, 1) if assistant._store.property_values(item, "sleeve_length")]
    first, second = with_sleeves[:2]
    answer = assistant.ask_property(f"第{first}个的袖长是多少", focus=None, listed=listed)
    assert answer.property_in_focus == "sleeve_length" and answer.item_in_focus == listed[first - 1]
    follow_up = assistant.choose(f"那第{second}个呢", listed, property_in_focus=answer.property_in_focus)
    assert follow_up.payload["type"] == "property_answer" and follow_up.payload["property"] == "sleeve_length"
    assert follow_up.item_in_focus == listed[second - 1] and "袖长" in follow_up.text
    english = assistant.ask_property(f"what about number {first}?", None, listed, property_in_focus="sleeve_length")
    assert english.item_in_focus == listed[first - 1] and english.payload["property"] == "sleeve_length"
    # Without a follow-up word, or with no property answered before, an ordinal still shows the card.
    assert assistant.choose("第二个", listed, property_in_focus="sleeve_length").payload["type"] == "item_card"
    assert assistant.choose("那第二个呢", listed).payload["type"] == "item_card"
    assert assistant.search("我想看看口红").property_in_focus == ""


def test_its_price_and_a_value_the_graph_lacks(assistant: ShoppingAssistant) -> None:
    listed = assistant.search("我想看看口红").listed_items
    card = assistant.choose("第二个", listed)
    price = assistant.ask_property("它的价格是多少", focus=card.item_in_focus, listed=listed)
    summary = assistant._store.summaries([listed[1]])[0]
    assert (
        price.payload["property"] == "price" and price.text == f"「{summary.title[:48]}」的价格是¥{summary.price:g}。"
    )
    english = assistant.ask_property("how much is the first one?", focus=None, listed=listed)
    assert english.item_in_focus == listed[0] and english.payload["property"] == "price"
    assert "$" not in english.text  # the catalog's yuan, whatever the language of the reply
    t_shirts = assistant.search("Do you have T-shirts?").listed_items
    lacking = next(n for n, item in enumerate(t_shirts) if not assistant._store.property_values(item, "size"))
    reply = assistant.ask_property(f"what sizes does number {lacking + 1} come in?", focus=None, listed=t_shirts)
    assert reply.payload["type"] == "no_value" and reply.text.startswith("Sorry, the graph has no size for")
    assert reply.property_in_focus == "size"  # so "what about the first one?" asks about the size again


def test_card_has_pois_and_image_links(assistant: ShoppingAssistant) -> None:
    reply = assistant.show_card("s11", "Tropicana")
    assert "Selling points: rich in vitamin C" in reply.text
    assert reply.images and reply.images[0].endswith("Tropicana-Apple-Juice_Iconic.jpg")


def test_unknown_things_get_a_clear_answer(assistant: ShoppingAssistant) -> None:
    assert assistant.search("do you sell rocket engines?").listed_items == []
    assert "Which item" in assistant.ask_property("what is its size?", focus=None).text
    assert "1 to 2" in assistant.choose("the ninth one", ["b05", "b06"]).text


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_changes_nothing(assistant: ShoppingAssistant, driver: Driver, text: str) -> None:
    before = _fingerprint(driver)
    assistant.search(text, category=text, brand=text)
    assistant.choose(text, ["b05", "b06"], ordinal=text)
    assistant.ask_property(text, focus=text, listed=[text], property_value=text, category=text)
    assistant.show_card(text, text)
    assert _fingerprint(driver) == before


@pytest.mark.parametrize(
    ("text", "language"),
    [("I stay up late and my skin looks dull, what should I buy?", "en"), ("我经常熬夜，皮肤暗沉，买什么好？", "zh")],
)
def test_recommendation_follows_the_cognitive_path_and_shows_it(
    assistant: ShoppingAssistant, text: str, language: str
) -> None:
    reply = assistant.recommend(text)
    assert reply.payload and reply.payload["type"] == "recommendation" and reply.listed_items
    first = reply.payload["paths"][0]
    assert first["scenario_en"] == "staying up late" and first["problem_en"] == "dull skin"
    assert first["predicted"] is False  # a curated path outranks predicted ones
    expected = "熬夜 → 皮肤暗沉 → " if language == "zh" else "staying up late → dull skin → "
    assert expected in reply.text
    card = assistant.choose("the first one" if language == "en" else "第一个", reply.listed_items)
    assert card.item_in_focus == reply.listed_items[0]


def test_recommendation_without_a_known_need_asks_for_the_situation(assistant: ShoppingAssistant) -> None:
    assert "situation" in assistant.recommend("what should I buy?").text
    assert assistant.recommend("买什么好").listed_items is None
    for text in HOSTILE:
        assert assistant.recommend(text).text


def test_a_video_follows_the_items_path_plays_as_h264_and_is_rendered_once(
    assistant: ShoppingAssistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    import imageio_ffmpeg

    monkeypatch.delenv("MEDIA_BASE_URL", raising=False)  # file URLs, to open the video here

    recommended = assistant.recommend("我经常熬夜，皮肤暗沉，买什么好？")
    listed = recommended.listed_items
    reply = assistant.video("给我看看第一个的视频", focus=None, listed=listed, needs=recommended.needs)
    assert reply.item_in_focus == listed[0] and reply.video and reply.payload
    captions = reply.payload["captions"]
    assert captions[1] == "熬夜的时候" and captions[2] == "容易皮肤暗沉" and len(captions) == 6
    path = Path(reply.video.removeprefix("file://"))
    frames, seconds = imageio_ffmpeg.count_frames_and_secs(str(path))
    assert frames > 6 * 12 and seconds > 6
    assert "h264" in next(imageio_ffmpeg.read_frames(str(path)))["codec"]
    rendered = path.stat().st_ino  # a new render writes a new file and moves it here; a cache hit only touches it
    assert assistant.video("再放一次视频", focus=listed[0], needs=recommended.needs).video == reply.video
    assert path.stat().st_ino == rendered
    assert assistant.video("video please", focus=None).video is None


def test_store_questions_get_the_most_similar_faq_or_go_to_the_host(assistant: ShoppingAssistant) -> None:
    shipping = assistant.faq("发什么快递呢")
    assert shipping.payload and shipping.payload["type"] == "faq"
    assert shipping.payload["faq"] == "faq_courier_zh" and "参考常见问题：“发什么快递？”" in shipping.text
    unknown = assistant.faq("量子纠缠和黑洞蒸发有什么关系")
    assert unknown.payload and unknown.payload["type"] == "pass_to_host" and "主播" in unknown.text
    assert "host" in assistant.faq("zxqv blorp wibble").text
    for text in HOSTILE:
        reply = assistant.faq(text)
        assert reply.text and reply.payload["type"] in ("faq", "pass_to_host")


def test_a_listed_item_can_be_chosen_by_a_word_of_its_name_or_values(assistant: ShoppingAssistant) -> None:
    listed = assistant.search("我想看看酸奶").listed_items
    assert listed and "grocery-alpro-vanilla-soyghurt" in listed and "grocery-alpro-blueberry-soyghurt" in listed
    assert assistant.choose("the vanilla one", listed).item_in_focus == "grocery-alpro-vanilla-soyghurt"
    assert assistant.choose("the blueberry one", listed).item_in_focus == "grocery-alpro-blueberry-soyghurt"
    ambiguous = assistant.choose("the alpro one", listed)  # two Alpro soyghurts: ask for a number
    assert ambiguous.item_in_focus is None and "1" in ambiguous.text
    assert assistant.choose("🍓", listed).item_in_focus is None


def test_an_item_card_lists_the_scenarios_its_selling_points_serve(assistant: ShoppingAssistant) -> None:
    first = assistant.recommend("我经常熬夜，皮肤暗沉，买什么好？").listed_items[0]
    card = assistant.show_card(first, "看看")
    assert "适用场景：" in card.text
    english = assistant.show_card(first, "show it")
    assert "Good for: " in english.text
