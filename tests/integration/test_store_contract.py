"""One contract for both GraphStore implementations, on the demo catalog: the in-memory store filled from the
catalog files, and Neo4j holding the demo graph that `make graph` built (read only: these tests never write).

Neo4j also holds what the learned stages predicted (candidates, linked images, item vectors, the category check that
keeps doubtful harvested items out of lists), so curated facts are asserted there as subsets where predictions may add
more, and harvested items may be missing from lists.
Run the in-memory half alone, without services: `pytest tests/integration/test_store_contract.py -k memory`."""

from __future__ import annotations

import inspect
from collections.abc import Iterator

import numpy as np
import pytest

from actions.graph_store import GraphStore, GraphUnavailable, Neo4jGraphStore, shared_store
from actions.memory_store import InMemoryGraphStore
from actions.retrieval import lucene_query

TROPICANA_IMAGE = "images/Tropicana-Apple-Juice_Iconic.jpg"
B02_PROPERTIES = [
    ("ingredient", "甘草酸二钾"),
    ("ingredient", "透明质酸"),
    ("efficacy", "补水"),
    ("efficacy", "弹力"),
    ("pack_size", "4片/盒"),
    ("skin_type", "所有肤质"),
]
C04_SIZES = ["S", "M", "L", "XL", "XXL", "XXXL"]
HARVESTED_PREFIXES = ("jie", "ding", "oamine", "ae110k", "grocery")  # ids `kg_builder harvest` gives


def _size(store: GraphStore) -> int:
    """How many nodes the store holds through its own queries: a cheap fingerprint of the Neo4j half."""
    return len(store.entity_names()) + len(store.faqs())


@pytest.fixture(scope="module")
def curated() -> InMemoryGraphStore:
    """The catalog's own facts: what every store must hold."""
    return InMemoryGraphStore.from_catalog()


@pytest.fixture(scope="module", params=["memory", pytest.param("neo4j", marks=pytest.mark.integration)])
def store(request: pytest.FixtureRequest, curated: InMemoryGraphStore) -> Iterator[GraphStore]:
    if request.param == "memory":
        yield curated
        return
    try:
        graph = shared_store()  # the action server's store: read queries only
        before = _size(graph)
    except GraphUnavailable as error:
        pytest.fail(f"Neo4j is not reachable: {error}. Build the demo graph with `make graph`.")
    yield graph
    assert _size(graph) == before


@pytest.fixture(scope="module")
def exact(store: GraphStore, curated: InMemoryGraphStore) -> bool:
    """True for the in-memory store, where curated facts are all there is."""
    return store is curated


def test_the_memory_and_neo4j_stores_have_the_signatures_of_the_protocol() -> None:
    methods = [name for name in vars(GraphStore) if not name.startswith("_")]
    assert len(methods) == 16
    for implementation in (InMemoryGraphStore, Neo4jGraphStore):
        for name in methods:
            expected = inspect.signature(getattr(GraphStore, name))
            assert inspect.signature(getattr(implementation, name)) == expected, (implementation, name)


def test_known_item_cards(store: GraphStore) -> None:
    card = store.item_card("b02")
    assert card is not None
    s = card.summary
    assert (s.id, s.title, s.lang, s.price) == ("b02", "肌美精,立体浸透保湿面膜（弹力）,4片/盒", "zh", 59.0)
    assert (s.currency, s.title_zh, s.title_en) == ("CNY", None, None)  # the catalog names yuan for the Taobao prices
    assert (s.category, s.category_zh, s.category_en, s.brand, s.brand_zh) == (
        "facial_mask",
        "面膜",
        "facial mask",
        "肌美精",
        "肌美精",
    )
    assert [(p["property"], p["value"]) for p in card.properties] == B02_PROPERTIES
    assert [p["position"] for p in card.properties] == list(range(len(B02_PROPERTIES)))
    first = card.properties[0]
    assert (first["name_zh"], first["name_en"], first["value_zh"], first["value_en"]) == (
        "成分",
        "ingredient",
        "甘草酸二钾",
        "dipotassium glycyrrhizinate",
    )
    assert card.source and card.source.startswith("shared/data/")
    assert store.item_card("no-such-item") is None


def test_card_pois_images_and_scenarios(store: GraphStore, curated: InMemoryGraphStore, exact: bool) -> None:
    card = store.item_card("s11")
    assert card is not None and card.summary.brand == "Tropicana" and card.summary.brand_zh == "纯果乐"
    pois = {poi["id"]: poi for poi in card.pois}
    assert "vitamin_c" in pois and pois["vitamin_c"]["name_en"] == "rich in vitamin C"
    assert pois["vitamin_c"]["inferred"] is True and pois["vitamin_c"]["predicted"] is False
    assert pois["vitamin_c"]["source"] == "rule:has_property+satisfy"
    assert {"id": "img_tropicana_apple", "path": TROPICANA_IMAGE, "caption": "Tropicana Apple Juice"} in card.images
    assert 1 <= len(card.scenarios) <= 3 and all(sc["name_zh"] and sc["name_en"] for sc in card.scenarios)
    reference = curated.item_card("c06")
    card = store.item_card("c06")
    assert reference and card
    assert {p["id"] for p in reference.pois} <= {p["id"] for p in card.pois}
    if exact:
        assert {p["id"] for p in card.pois} == {
            "breathable",
            "comfortable",
            "pure_cotton",
            "soft_touch",
            "sweat_absorbing",
        }
        assert {sc["name_en"] for sc in store.item_card("s11").scenarios} == {"rushed breakfast", "kids after school"}


def test_summaries_keep_the_order_of_the_ids(store: GraphStore) -> None:
    summaries = store.summaries(["s11", "no-such-item", "b02", "c04"])
    assert [s.id for s in summaries] == ["s11", "b02", "c04"]
    assert summaries[0].title == "Tropicana Apple Juice, not from concentrate, 1 l" and summaries[0].price == 3.2
    assert summaries[0].image == TROPICANA_IMAGE  # the curated image outranks linked ones
    assert (summaries[2].category, summaries[2].price, summaries[2].currency) == ("t_shirt", 12.8, "USD")
    (juice,) = store.summaries(["grocery-bravo-apple-juice"])
    assert (juice.title, juice.title_zh, juice.title_en, juice.price, juice.currency) == (
        "Bravo Apple Juice",
        "Bravo 苹果汁",
        None,
        None,
        None,
    )
    assert store.summaries([]) == []


def test_property_values_and_names(store: GraphStore, curated: InMemoryGraphStore) -> None:
    sizes = store.property_values("c04", "size")
    assert [v.value for v in sizes] == C04_SIZES and [v.id for v in sizes] == [
        f"size:{s.casefold()}" for s in C04_SIZES
    ]
    ingredients = store.property_values("b02", "ingredient")
    assert [(v.value, v.value_zh, v.value_en) for v in ingredients] == [
        ("甘草酸二钾", "甘草酸二钾", "dipotassium glycyrrhizinate"),
        ("透明质酸", "透明质酸", "hyaluronic acid"),
    ]
    for value, reference in zip(ingredients, curated.property_values("b02", "ingredient"), strict=True):
        assert set(reference.images) <= set(value.images)
    assert store.property_values("c04", "no-such-property") == []
    assert store.property_names("size") == ("尺码", "size")
    assert store.property_names("no-such-property") == (None, None)


def test_value_names_and_the_profile_facts_that_constraints_read(
    store: GraphStore, curated: InMemoryGraphStore
) -> None:
    names = set(store.value_names())
    assert set(curated.value_names()) <= names and {"正红色", "classic red", "XL", "草莓"} <= names
    (b05,) = store.item_profiles(["b05"])
    assert (b05["brand_id"], b05["price"]) == ("maybelline", 89)
    assert ["正红色", "正红色", "classic red"] in b05["values"] or ["正红色", None, "classic red"] in b05["values"]


def test_entity_names_hold_every_curated_name_and_alias(store: GraphStore, curated: InMemoryGraphStore) -> None:
    rows = {(row["label"], row["id"]): row["names"] for row in store.entity_names()}
    for row in curated.entity_names():
        assert rows[(row["label"], row["id"])] == row["names"]
    assert rows[("Category", "lipstick")] == ["口红", "lipstick", "唇膏", "口红笔", "lipsticks", "lip stick"]
    assert rows[("Brand", "tropicana")][:2] == ["Tropicana", "纯果乐"]
    assert {"尺码", "size", "sizes"} <= set(rows[("Property", "size")])
    assert {"熬夜", "staying up late", "晚睡"} <= set(rows[("Scenario", "stay_up_late")])
    assert {"皮肤暗沉", "dull skin", "暗沉"} <= set(rows[("Problem", "dull_skin")])
    assert {"美白提亮", "fair skin", "美白"} <= set(rows[("POI", "fair_skin")])


def test_items_by_filter(store: GraphStore, curated: InMemoryGraphStore) -> None:
    lipsticks = store.items_by_filter("lipstick", None)
    assert {"b05", "b06"} <= set(lipsticks) and lipsticks == sorted(lipsticks)
    hand_picked = {
        item for item in curated.items_by_filter("lipstick", None) if not item.startswith(HARVESTED_PREFIXES)
    }
    assert hand_picked <= set(lipsticks)  # Neo4j lists no harvested item whose category the build's check doubts
    assert "s11" in store.items_by_filter(None, "tropicana")
    assert store.items_by_filter("juice", "tropicana") == ["s11"]
    assert len(store.items_by_filter("juice", None, limit=2)) == 2
    assert store.items_by_filter("no-such-category", None) == []
    assert store.items_by_filter("", None) == [] and store.items_by_filter("juice", "") == []  # empty is not "any"
    everything = store.items_by_filter(None, None, limit=5)
    assert len(everything) == 5 and everything == sorted(everything)


def test_items_by_text_finds_an_item_by_a_title_word(store: GraphStore) -> None:
    found = store.items_by_text(lucene_query("Tropicana apple juice"))
    assert "s11" in found and all(score > 0 for score in found.values())
    assert "b02" in store.items_by_text(lucene_query("立体浸透保湿面膜"))
    assert len(store.items_by_text(lucene_query("juice"), limit=3)) == 3
    assert store.items_by_text(lucene_query("zxqvwibble")) == {}


def test_recommendations_follow_a_curated_path(store: GraphStore, curated: InMemoryGraphStore) -> None:
    rows = store.recommendations(["stay_up_late"], ["dull_skin"], [], 5)
    assert len(rows) == 5 and rows[0]["reason"]["predicted"] is False
    for row in rows:
        reason = row["reason"]
        assert (reason["scenario_en"], reason["problem_zh"], reason["problem_en"]) == (
            "staying up late",
            "皮肤暗沉",
            "dull skin",
        )
        assert reason["poi_en"] in {"fair skin", "radiant glow", "even skin tone", "antioxidant"} or reason["predicted"]
        assert row["needs_met"] >= 1
    first = rows[0]
    values = [p["value"] for p in store.item_card(first["item"]).properties]
    assert first["reason"]["value"] in values
    curated_top = {row["item"] for row in curated.recommendations(["stay_up_late"], ["dull_skin"], [], 10_000)}
    assert first["item"] in curated_top  # a curated path outranks predicted ones
    by_scenario = store.recommendations(["stay_up_late"], [], [], 5)
    assert by_scenario and all(row["reason"]["scenario_zh"] == "熬夜" for row in by_scenario)
    by_poi = store.recommendations([], [], ["vitamin_c"], 50)
    assert "s11" in {row["item"] for row in by_poi}
    assert all(row["reason"]["scenario_zh"] is None and row["reason"]["poi_en"] for row in by_poi)
    assert store.recommendations([], [], [], 5) == []


def test_item_story_prefers_the_conversations_needs(store: GraphStore) -> None:
    story = store.item_story("b07", problems=["dull_skin"], scenarios=["stay_up_late"])
    assert story is not None and story["title"] == "瑞典有机l#a bruket 168棉花籽修护眼霜15ml抗氧化保湿去暗沉"
    assert story["scenario"] == {"id": "stay_up_late", "name_zh": "熬夜", "name_en": "staying up late"}
    assert story["problem"] == {"id": "dull_skin", "name_zh": "皮肤暗沉", "name_en": "dull skin"}
    assert story["poi"]["name_en"] and story["value"]["value"]
    tropicana = store.item_story("s11")
    assert tropicana is not None and tropicana["title"].startswith("Tropicana Apple Juice")
    assert TROPICANA_IMAGE in {image["path"] for image in tropicana["images"]}
    assert store.item_story("no-such-item") is None


def test_faqs(store: GraphStore, curated: InMemoryGraphStore) -> None:
    faqs = store.faqs()
    ids = [faq["id"] for faq in faqs]
    assert ids == sorted(ids) and {faq["lang"] for faq in faqs} <= {"zh", "en"}
    by_id = {faq["id"]: faq for faq in faqs}
    for faq in curated.faqs():
        assert by_id[faq["id"]] == faq
    assert by_id["faq_courier_zh"]["question"] == "发什么快递？" and "快递" in by_id["faq_courier_zh"]["answer"]


def test_images_are_ranked_by_a_query_vector(store: GraphStore, exact: bool) -> None:
    """The item's own images or any embedded image, best first, by cosine on [0, 1]. The catalog has no image
    embeddings (the linker makes them): the in-memory half is given random ones, as a build would write them."""
    if exact:
        assert store.image_model() is None
        rng = np.random.default_rng(3)
        ids = ("img_tropicana_apple", "img_arla_yoghurt", "img_bravo_orange")
        store = InMemoryGraphStore.from_catalog(image_vectors={i: rng.normal(size=32).tolist() for i in ids})
    model = store.image_model()
    assert model is not None and model.name and model.dimensions > 0
    query = np.random.default_rng(5).normal(size=model.dimensions)
    query = (query / np.linalg.norm(query)).tolist()
    whole = store.images_by_vector(query, limit=3)
    own = store.images_by_vector(query, "s11", limit=10)
    assert len(whole) == 3 and TROPICANA_IMAGE in {image.path for image in own}  # curated, embedded and linked
    for found in (whole, own):
        assert [image.score for image in found] == sorted((image.score for image in found), reverse=True)
        assert all(0.0 <= image.score <= 1.0 and image.id and image.path for image in found)
    assert store.images_by_vector(query, "no-such-item") == []


@pytest.mark.integration
def test_the_item_vector_index_of_the_graph_finds_items_by_meaning() -> None:
    """The build's item vectors (kg_builder.textual.item_embeddings) under Neo4j's vector index."""
    from kg_builder.textmodels.encoder import text_encoder

    graph, query = shared_store(), text_encoder().query("补水的面膜")
    nearest = graph.items_by_vector(query, 5)
    assert {summary.category for summary in graph.summaries(list(nearest))} == {"facial_mask"}
    similarities = graph.vector_similarities(query, ["b01", "c01"])
    assert similarities["b01"] > similarities["c01"]
