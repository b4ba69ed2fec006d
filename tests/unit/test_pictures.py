"""Text-to-image search (actions/pictures.py) on the in-memory store of the demo catalog, and its numpy text tower
(kg_builder/crossmodal/text_query.py). The e5 encoder is beside the point here and is replaced by a small
bag-of-concepts encoder; the projection, the stores' ranking and the turn logic are the real ones."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import actions
from actions.assistant import MAX_MESSAGE_CHARS, ShoppingAssistant
from actions.memory_store import InMemoryGraphStore
from actions.pictures import MAX_PICTURES, about_focus, subject_text
from kg_builder.crossmodal.text_query import (
    FINETUNING_FILE,
    TEXT_PROJECTION_FILE,
    E5Factory,
    QueryTowers,
    TextQueryTower,
    TextVector,
    e5_query,
)

E5_WIDTH, DIM = 384, 16
MODEL = "test-towers"
# The fake e5: one dimension per concept, named in either language; the last one for a text with none of them.
CONCEPTS = [
    ("yoghurt", "yogurt", "酸奶"),
    ("arla",),
    ("juice", "汁"),
    ("orange", "橙"),
    ("apple", "苹果"),
    ("tropicana", "纯果乐"),
    ("bravo",),
    ("natural", "原味"),
    ("strawberr", "草莓"),
]
UNKNOWN = E5_WIDTH - 1
ARLA, BRAVO, TROPICANA = "img_arla_yoghurt", "img_bravo_orange", "img_tropicana_apple"
S11_TITLE = "Tropicana Apple Juice, not from concentrate, 1 l"
S12_TITLE = "Arla Natural Yoghurt (Yoghurt Naturell), 1 l"
B02_TITLE = "肌美精,立体浸透保湿面膜（弹力）,4片/盒"
CAPTIONS = {ARLA: "Arla Natural Yoghurt", BRAVO: "Bravo Orange Juice", TROPICANA: "Tropicana Apple Juice"}


def fake_e5(text: str) -> np.ndarray:
    """A unit vector of the concepts the text names."""
    vector = np.zeros(E5_WIDTH, dtype=np.float32)
    folded = text.casefold()
    for dimension, names in enumerate(CONCEPTS):
        vector[dimension] = float(any(name in folded for name in names))
    if not vector.any():
        vector[UNKNOWN] = 1.0
    return vector / np.linalg.norm(vector)


def fake_e5_factory(names: list[str] | None = None) -> E5Factory:
    """The fake e5 for any encoder name (recorded in `names`)."""

    def factory(name: str) -> TextVector:
        if names is not None:
            names.append(name)
        return fake_e5

    return factory


def save_tower(folder: Path, weight: np.ndarray, bias: np.ndarray, threshold: float | None = None) -> Path:
    """A model folder as kg_builder/crossmodal/towers.py saves it (the text head only)."""
    folder.mkdir(parents=True, exist_ok=True)
    np.savez(folder / TEXT_PROJECTION_FILE, weight=weight, bias=bias, encoder=np.array("fake-e5"))
    if threshold is not None:
        (folder / FINETUNING_FILE).write_text(json.dumps({"threshold": {"threshold": threshold, "f1": 0.9}}))
    return folder


def concept_projection(dim: int = DIM) -> tuple[np.ndarray, np.ndarray]:
    """A projection that keeps the concept dimensions (and the unknown one in the last row)."""
    weight = np.zeros((dim, E5_WIDTH), dtype=np.float32)
    for row in range(len(CONCEPTS)):
        weight[row, row] = 1.0
    weight[dim - 1, UNKNOWN] = 1.0
    return weight, np.zeros(dim, dtype=np.float32)


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("crossmodal")
    save_tower(root / MODEL, *concept_projection())
    return root


@pytest.fixture(scope="module")
def tower(models: Path) -> TextQueryTower:
    return TextQueryTower.load(models / MODEL, fake_e5_factory())


@pytest.fixture(scope="module")
def store(tower: TextQueryTower) -> InMemoryGraphStore:
    """The demo catalog with its three curated images embedded by the model (as the linker embeds them)."""
    vectors = {image_id: tower.vector(caption) for image_id, caption in CAPTIONS.items()}
    return InMemoryGraphStore.from_catalog(image_vectors=vectors, image_model=MODEL)


@pytest.fixture(scope="module")
def assistant(store: InMemoryGraphStore, models: Path) -> ShoppingAssistant:
    return ShoppingAssistant(store, towers=QueryTowers(models, fake_e5_factory()))


def shown(reply: object) -> list[str]:
    """The ids of the images a pictures reply shows."""
    payload = getattr(reply, "payload", None) or {}
    return [image["id"] for image in payload.get("images", [])]


# --- the numpy text tower ---


def test_the_tower_projects_the_e5_vector_and_normalises_it(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    weight, bias = rng.normal(size=(4, E5_WIDTH)).astype(np.float32), rng.normal(size=4).astype(np.float32)
    asked: list[str] = []
    tower = TextQueryTower.load(save_tower(tmp_path / "m", weight, bias), fake_e5_factory(asked))
    assert asked == ["fake-e5"] and tower.encoder == "fake-e5" and tower.dimensions == 4 and tower.threshold is None
    vector = np.array(tower.vector("Arla yoghurt"))
    expected = weight @ fake_e5("Arla yoghurt") + bias
    assert np.allclose(vector, expected / np.linalg.norm(expected), atol=1e-6)
    assert abs(np.linalg.norm(vector) - 1.0) < 1e-6
    assert not np.allclose(vector, tower.vector("orange juice"))


def test_a_malformed_or_missing_projection_is_refused_with_its_reason(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=TEXT_PROJECTION_FILE):
        TextQueryTower.load(tmp_path / "none")
    save_tower(tmp_path / "bias", np.ones((4, E5_WIDTH)), np.ones(3))
    with pytest.raises(ValueError, match="do not fit"):
        TextQueryTower.load(tmp_path / "bias")
    (tmp_path / "keys").mkdir()
    np.savez(tmp_path / "keys" / TEXT_PROJECTION_FILE, weight=np.ones((4, E5_WIDTH)))
    with pytest.raises(ValueError, match="no bias, encoder"):
        TextQueryTower.load(tmp_path / "keys")
    narrow = TextQueryTower.load(save_tower(tmp_path / "narrow", np.ones((4, 8)), np.zeros(4)), fake_e5_factory())
    with pytest.raises(ValueError, match="projection takes 8"):
        narrow.vector("x")


def test_the_calibrated_threshold_is_read_when_there_is_one(tmp_path: Path) -> None:
    tower = TextQueryTower.load(save_tower(tmp_path / "m", *concept_projection(), threshold=0.31), fake_e5_factory())
    assert tower.threshold == pytest.approx(0.31)
    (tmp_path / "m" / FINETUNING_FILE).write_text("{not json")
    assert TextQueryTower.load(tmp_path / "m", fake_e5_factory()).threshold is None


def test_towers_are_found_by_model_name_and_loaded_once(tmp_path: Path) -> None:
    towers = QueryTowers(tmp_path, fake_e5_factory())
    assert towers.get("later") is None
    for name in ("", ".", "..", "../later", "a/b"):
        assert towers.get(name) is None
    save_tower(tmp_path / "later", *concept_projection())
    first = towers.get("later")  # trained meanwhile: found now
    assert first is not None and towers.get("later") is first


def test_the_default_query_function_uses_e5_without_its_disk_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, str, bool]] = []

    class Encoder:
        def __init__(self, name: str) -> None:
            self.name = name

        def query(self, text: str, cache: bool = True) -> Sequence[float]:
            calls.append((self.name, text, cache))
            return [1.0]

    monkeypatch.setattr("kg_builder.textmodels.encoder.text_encoder", Encoder)
    assert list(e5_query("multilingual-e5-small")("草莓酸奶")) == [1.0]
    assert calls == [("multilingual-e5-small", "草莓酸奶", False)]


# --- the in-memory store's image ranking ---


def test_the_memory_store_ranks_images_by_cosine_on_neo4js_scale(
    store: InMemoryGraphStore, tower: TextQueryTower
) -> None:
    model = store.image_model()
    assert model is not None and (model.name, model.dimensions) == (MODEL, DIM)
    own = np.array(tower.vector(CAPTIONS[ARLA]))  # the image's own embedding
    arla = store.images_by_vector(own.tolist(), limit=3)
    assert arla[0].id == ARLA and arla[0].score == pytest.approx(1.0)
    assert (arla[0].path, arla[0].caption) == ("images/Arla-Natural-Yoghurt_Iconic.jpg", "Arla Natural Yoghurt")
    assert [image.score for image in arla] == sorted((image.score for image in arla), reverse=True)
    opposite = store.images_by_vector((-own).tolist(), "s12")
    assert [(image.id, round(image.score, 6)) for image in opposite] == [(ARLA, 0.0)]
    assert store.images_by_vector([1.0] * DIM, "b02") == [] and store.images_by_vector([1.0] * DIM, "nope") == []
    assert len(store.images_by_vector([1.0] * DIM, limit=2)) == 2
    assert InMemoryGraphStore.from_catalog().image_model() is None


def test_image_vectors_of_unknown_images_or_of_another_width_are_refused() -> None:
    with pytest.raises(ValueError, match="'img_nope': no such image"):
        InMemoryGraphStore.from_catalog(image_vectors={"img_nope": [1.0, 0.0]})
    with pytest.raises(ValueError, match=f"'{BRAVO}': shape"):
        InMemoryGraphStore.from_catalog(image_vectors={ARLA: [1.0, 0.0], BRAVO: [1.0, 0.0, 0.0]})


# --- the turn ---


@pytest.mark.parametrize(
    ("text", "subject"),
    [
        ("show me a picture of the yoghurt with strawberries", "yoghurt with strawberries"),
        ("有没有草莓酸奶的图片", "草莓酸奶"),
        ("picture of Arla yoghurt", "Arla yoghurt"),
        ("草莓酸奶的照片", "草莓酸奶"),
        ("what does it look like?", ""),
        ("它长什么样", ""),
        ("给我看看它的图片", ""),
    ],
)
def test_the_picture_words_are_taken_out_of_the_query(text: str, subject: str) -> None:
    assert subject_text(text) == subject


def test_what_points_at_the_item_in_focus() -> None:
    assert all(
        about_focus(t) for t in ("show me a photo of it", "what does this look like", "它长什么样", "这款的图片")
    )
    assert not any(about_focus(t) for t in ("a picture of Arla yoghurt", "草莓酸奶的照片", "photos that show juice"))


def test_a_named_product_is_found_in_the_whole_image_index_in_both_languages(assistant: ShoppingAssistant) -> None:
    english = assistant.pictures("show me a picture of Arla yoghurt")
    assert shown(english) == [ARLA] and english.item_in_focus is None
    assert english.text == "Here are the pictures that match best:\n1. Arla Natural Yoghurt"
    assert english.images == [english.payload["images"][0]["url"]]  # type: ignore[index]
    assert english.images[0].endswith("/data/catalog/images/Arla-Natural-Yoghurt_Iconic.jpg")
    chinese = assistant.pictures("有没有橙汁的图片")
    assert shown(chinese) == [BRAVO, TROPICANA]  # orange juice first, then the other juice
    assert chinese.text.split("\n") == ["为您找到这些匹配的图片：", "1. Bravo Orange Juice", "2. Tropicana Apple Juice"]
    assert len(chinese.images) == 2 and chinese.payload["type"] == "pictures"  # type: ignore[index]


def test_a_message_about_the_item_in_focus_ranks_its_own_images(assistant: ShoppingAssistant) -> None:
    english = assistant.pictures("show me a photo of it", focus="s12")
    assert shown(english) == [ARLA] and english.item_in_focus == "s12"
    assert english.text == f'Pictures of "{S12_TITLE}":\n1. Arla Natural Yoghurt'
    chinese = assistant.pictures("给我看看它的图片", focus="s11", listed=["s11", "s12"])
    assert shown(chinese) == [TROPICANA] and chinese.text.startswith(f"「{S11_TITLE}」的图片：")
    assert shown(assistant.pictures("它长什么样", focus="s11")) == [TROPICANA]
    by_ordinal = assistant.pictures("第二个的图片", focus="s11", listed=["s11", "s13"])
    assert shown(by_ordinal) == [BRAVO] and by_ordinal.item_in_focus == "s13"
    named = assistant.pictures("any photos of orange juice?", focus="s12")  # names another product: any image
    assert shown(named)[0] == BRAVO and named.item_in_focus is None


def test_nothing_above_the_minimum_similarity_gets_an_honest_answer(assistant: ShoppingAssistant) -> None:
    english = assistant.pictures("show me a picture of a rocket engine")
    assert english.images == [] and english.text.startswith("Sorry, I have no picture that matches.")
    chinese = assistant.pictures("有没有火箭的图片")
    assert chinese.images == [] and chinese.text.startswith("抱歉，没有找到匹配的图片。")
    no_images = assistant.pictures("它长什么样", focus="b02")  # an item without embedded images
    assert no_images.images == [] and no_images.text == f"抱歉，没有找到「{B02_TITLE}」的匹配图片。"
    assert no_images.item_in_focus == "b02"


def test_the_models_calibrated_threshold_is_the_minimum(store: InMemoryGraphStore, tmp_path: Path) -> None:
    save_tower(tmp_path / MODEL, *concept_projection(), threshold=0.9)  # cosine of 橙汁 and Bravo: 0.82
    strict = ShoppingAssistant(store, towers=QueryTowers(tmp_path, fake_e5_factory()))
    assert strict.pictures("有没有橙汁的图片").images == []
    assert shown(strict.pictures("show me pictures of Arla natural yoghurt")) == [ARLA]  # cosine 1


def test_without_a_model_or_image_embeddings_the_answer_is_honest(
    store: InMemoryGraphStore, models: Path, tmp_path: Path
) -> None:
    no_folder = ShoppingAssistant(store, towers=QueryTowers(tmp_path, fake_e5_factory()))
    english = no_folder.pictures("show me a picture of Arla yoghurt")
    assert english.images == [] and english.text.endswith("so I have no picture that matches.")
    assert no_folder.pictures("有没有草莓酸奶的图片").text == "抱歉，图片搜索暂时不可用，没有找到匹配的图片。"
    no_embeddings = ShoppingAssistant(InMemoryGraphStore.from_catalog(), towers=QueryTowers(models, fake_e5_factory()))
    assert no_embeddings.pictures("给我看看它的图片", focus="s12").text.startswith("抱歉，图片搜索暂时不可用")
    save_tower(tmp_path / MODEL, *concept_projection(dim=12))  # a tower of another width than the embeddings
    assert no_folder.pictures("picture of Arla yoghurt").text.startswith("Sorry, picture search is not available")
    broken = tmp_path / "broken"
    save_tower(broken / MODEL, np.ones((DIM, 8)), np.zeros(DIM))  # the embeddings' width, not its encoder's
    unfit = ShoppingAssistant(store, towers=QueryTowers(broken, fake_e5_factory()))
    assert unfit.pictures("picture of Arla yoghurt").text.startswith("Sorry, picture search is not available")


def test_a_request_about_it_without_an_item_in_focus_asks_which_item(assistant: ShoppingAssistant) -> None:
    assert assistant.pictures("show me a photo of it").text.startswith("Which item do you mean?")
    assert assistant.pictures("有图片吗").text.startswith("您想问的是哪件商品？")
    assert assistant.pictures("它长什么样", focus="no-such-item").item_in_focus is None


@pytest.mark.parametrize(
    "text",
    ["", "🍓🍓🍓", "🍪🧴💄" * 600, "') DETACH DELETE n // 的图片", "\x00\x1b[31m", "图片 " * 700, "1" * 40_000],
    ids=lambda text: repr(text[:12]),
)
def test_any_text_gets_an_answer(assistant: ShoppingAssistant, text: str) -> None:
    for focus, listed in ((None, None), ("s12", [text, "s11"]), (text, [text])):
        reply = assistant.pictures(text, focus=focus, listed=listed)
        assert reply.text and len(reply.images) <= MAX_PICTURES
    assert "too long" in assistant.pictures("x" * (MAX_MESSAGE_CHARS + 1)).text


def test_the_action_sends_the_captions_then_each_image(
    assistant: ShoppingAssistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(actions, "_assistant", assistant)
    latest = {"text": "有没有橙汁的图片", "intent": {"name": "ask_picture", "confidence": 1.0}, "entities": []}
    events = [{"event": "user", "text": "…", "input_channel": "socketio"}]
    tracker = Tracker.from_dict({"sender_id": "t", "slots": {}, "latest_message": latest, "events": events})
    dispatcher = CollectingDispatcher()
    slot_events = actions.ActionShowPictures().run(dispatcher, tracker, {})
    texts = [message.get("text") for message in dispatcher.messages]
    images = [message.get("image") for message in dispatcher.messages if message.get("image")]
    assert texts[0] and texts[0].startswith("为您找到") and len(images) == 2
    assert images[0].endswith("Bravo-Orange-Juice_Iconic.jpg")
    assert {"event": "slot", "name": "language", "value": "zh", "timestamp": None} in slot_events
