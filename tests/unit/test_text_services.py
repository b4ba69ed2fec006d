"""Ordinals, Lucene query building, entity linking, reply sentences and generated lookups: no graph needed."""

from __future__ import annotations

import re
import string

import pytest
import yaml

from actions.entity_linking import EntityLinker
from actions.graph_store import PropertyValue
from actions.kbqa import missing_value, price_answer, property_answer
from actions.language import detect_language, has_cjk
from actions.messages import MESSAGES, say
from actions.ordinals import ordinal_index
from actions.retrieval import lucene_query
from kg_builder.catalog.lookups import latin_pattern, lookups_yaml
from kg_builder.config import PATHS
from tests.conftest import DEMO_CATALOG


@pytest.mark.parametrize(
    ("text", "count", "index"),
    [
        ("the second one", 4, 1), ("第二个", 4, 1), ("第3个", 4, 2), ("the last one", 4, 3), ("最后一个", 2, 1),
        ("number 2", 3, 1), ("2号", 3, 1), ("the 1st", 3, 0), ("the fifth", 3, None), ("第十个", 4, None),
        ("hello", 3, None), ("the second one", 0, None), ("number two", 3, 1), ("the red one", 3, None),
        ("the vanilla one", 5, None),
    ],
)  # fmt: skip
def test_ordinals(text: str, count: int, index: int | None) -> None:
    assert ordinal_index(text, count) == index


@pytest.mark.parametrize(
    "hostile", ["' OR 1=1 //", "}) DETACH DELETE n //", 'a" OR title:*', "\\\\ ^~ *?:/ (x) [y] {z}", "🎉" * 500]
)
def test_lucene_query_has_no_syntax_from_user_text(hostile: str) -> None:
    query = lucene_query(hostile)
    terms = query.split(" OR ") if query else []
    assert all(re.fullmatch(r'"[^"+\-&|!(){}\[\]^~*?:\\/]+"', term) for term in terms), query
    assert len(terms) <= 24


def test_lucene_query_keeps_content_words() -> None:
    assert lucene_query("Can I see the lipstick?") == '"lipstick"'
    assert '"口红"' in lucene_query("我想看看口红")


LINKER = EntityLinker(
    [("category", "baseball_cap", "cap"), ("category", "baseball_cap", "hat"), ("category", "t_shirt", "T-shirt"),
     ("category", "t_shirt", "T恤"), ("property", "size", "size"), ("property", "size", "尺码"),
     ("category", "coffee", "咖啡")]
)  # fmt: skip


def test_linker_respects_latin_word_boundaries() -> None:
    assert [m.id for m in LINKER.mentions("What is the size of the T-shirt?")] == ["size", "t_shirt"]
    assert [m.id for m in LINKER.mentions("我想看看capsule咖啡")] == ["coffee"]
    assert LINKER.first("T恤有什么尺码", "property") == "size"


def test_linker_canonical_ids() -> None:
    assert LINKER.canonical("category", "T-SHIRT") == "t_shirt"
    assert LINKER.canonical("category", "t_shirt") == "t_shirt"
    assert LINKER.canonical("category", "' OR 1=1 //") is None


def test_language_detection() -> None:
    assert detect_language("我想看看 lipstick") == "zh"
    assert detect_language("Can I see the lipstick? 🎉") == "en"
    assert detect_language(None) == "en"


@pytest.mark.parametrize(
    ("text", "cjk"),
    [("口红", True), ("T恤 size M", True), ("㐀", True), ("鿿", True), ("豈", True), ("lipstick", False),
     ("ｌｉｐ", False), ("こんにちは", False), ("", False), ("🎉 123", False)],
)  # fmt: skip
def test_cjk_detection(text: str, cjk: bool) -> None:
    """Extension A, the unified block and the compatibility ideographs count; kana, full-width Latin do not."""
    assert has_cjk(text) is cjk


def test_every_message_is_written_in_both_languages_with_the_same_fields() -> None:
    def fields(template: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name}

    for key, texts in MESSAGES.items():
        assert set(texts) == {"zh", "en"}, key
        if key != "pick_message":  # "第2个" / "the second one"
            assert fields(texts["zh"]) == fields(texts["en"]), key
    assert say("pick_message", "zh", number=2, ordinal="second") == "第2个"
    assert say("pick_message", "en", number=2, ordinal="second") == "the second one"
    assert say("greet", "fr") == MESSAGES["greet"]["en"]


def test_property_answers_are_sentences_in_both_languages() -> None:
    values = [PropertyValue("size:s", "S", None, "S"), PropertyValue("size:m", "M", None, "M")]
    zh = property_answer("这款T恤", "尺码", "size", values, "zh")
    en = property_answer("Yoga T-shirt", "尺码", "size", values, "en")
    assert zh == "「这款T恤」的尺码有S、M，共2种。"
    assert en == '"Yoga T-shirt" has 2 values for size: S and M.'
    assert price_answer("口红", 340, "zh") == "「口红」的价格是¥340。"
    assert price_answer("Lipstick", 12.5, "en") == '"Lipstick" costs ¥12.5.'  # no currency: the catalog's CNY
    assert price_answer("Lipstick", 12.5, "zh", "USD") == "「Lipstick」的价格是$12.5。"
    assert "转给主播" in price_answer("口红", None, "zh")


def test_a_missing_value_is_said_before_any_faq() -> None:
    assert (
        missing_value("面膜", "成分", "ingredient", "zh", None)
        == "抱歉，图谱里还没有「面膜」的成分信息，我可以帮您转给主播。"
    )
    with_faq = missing_value("T-shirt", "尺码", "size", "en", ("does it run small?", "It runs small."))
    assert with_faq == 'Sorry, the graph has no size for "T-shirt" yet. A similar question from the FAQ, ' + (
        '"does it run small?":\nIt runs small.'
    )


def test_generated_lookups_cover_the_catalog() -> None:
    text = lookups_yaml(DEMO_CATALOG)
    assert "- synonym: t_shirt" in text and "    - T恤" in text
    for table in ("lookup: category", "regex: category", "lookup: property", "lookup: brand"):
        assert f"- {table}\n" in text
    for entity in ("scenario", "problem", "need"):  # no entities: tables no component of the pipeline reads
        assert f": {entity}\n" not in text
    entities = yaml.safe_load((PATHS.repo / "domain.yml").read_text(encoding="utf-8"))["entities"]
    tables = {block["lookup"] for block in yaml.safe_load(text)["nlu"] if "lookup" in block}
    assert tables <= set(entities), tables - set(entities)


def test_a_synonym_never_maps_one_name_to_two_ids() -> None:
    """'裙子' names both a dress and a skirt: it stays in the lookup table but gets no synonym."""
    meanings: dict[str, set[str]] = {}
    for block in lookups_yaml(DEMO_CATALOG).split("\n- ")[1:]:
        head, _, body = block.partition("\n")
        if head.startswith("synonym: "):
            for line in body.splitlines()[1:]:
                meanings.setdefault(line.strip()[2:].casefold(), set()).add(head.removeprefix("synonym: "))
    assert meanings and all(len(ids) == 1 for ids in meanings.values())
    pattern = re.compile(latin_pattern(["cap", "T-shirt"]), re.IGNORECASE)
    assert pattern.search("a t-shirt") and not pattern.search("capsule")
