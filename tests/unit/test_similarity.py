"""The enhanced similarity of retrieval: words plus matching semantic types."""

from __future__ import annotations

from actions.similarity import TypedText, enhanced_similarity


def _item(title_words: list[str], **profile: object) -> TypedText:
    return TypedText.of_item({"title": " ".join(title_words), **profile}, title_words)


QUERY = TypedText(frozenset({"名果记", "面膜"}), {"BRAND": frozenset({"名果记"}), "CATEGORY": frozenset({"面膜"})})


def test_a_brand_and_category_match_outranks_shared_words() -> None:
    typed = _item(["名果记", "面膜贴"], ner_entities=["BRAND:名果记", "CATEGORY:面膜贴"])
    words_only = _item(["名果记", "面膜"])  # both words in the title, but nothing says they are brand/category
    assert enhanced_similarity(QUERY, words_only) == 1.0
    assert enhanced_similarity(QUERY, typed) == 0.5 + 1.0 + 1.0  # one word of two, brand, category (contained)


def test_graph_facts_count_like_ner_mentions() -> None:
    item = _item(["面膜"], categories=[["面膜", "facial mask"]], brands=[["Mingguoji", "名果记", "MGJ"]])
    assert enhanced_similarity(QUERY, item) == 0.5 + 1.0 + 1.0


def test_values_and_model_numbers_are_weighted_by_their_share() -> None:
    query = TypedText(frozenset({"red", "lipstick"}), {"VALUE": frozenset({"red", "matte"})})
    item = _item(["lipstick"], values=[["red", "红色", None]])
    assert enhanced_similarity(query, item) == 0.5 + 0.5 * 1 / 2


def test_nothing_in_common_scores_zero_and_short_mentions_are_ignored() -> None:
    item = _item(["T恤"], ner_entities=["BRAND:a", "CATEGORY:T恤"], values=[["S"]])
    query = TypedText(frozenset({"口红"}), {"BRAND": frozenset({"迪奥"}), "VALUE": frozenset({"s"})})
    assert enhanced_similarity(query, item) == 0.0
    assert enhanced_similarity(TypedText(frozenset()), item) == 0.0
