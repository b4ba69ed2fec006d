"""Distant labels, held-out handling and candidate generation of POI mining and SATISFY extraction."""

from __future__ import annotations

from pathlib import Path

from kg_builder.catalog.loader import load_catalog
from kg_builder.textual.corpus import Sentence
from kg_builder.textual.phrase_mining import Candidate
from kg_builder.textual.poi_mining import distant_label, lexicon_labels
from kg_builder.textual.relation_extraction import PoiMention, ValueMention, find_candidates
from tests.conftest import mini_catalog


def _candidate(phrase: str, lang: str = "zh") -> Candidate:
    return Candidate(phrase, lang, 10, 2.0, 1.5, 1.5, [Sentence(f"含{phrase}的标题", lang, "t")])


def test_curated_poi_names_win_over_negative_lexicons(tmp_path: Path) -> None:
    catalog = load_catalog(mini_catalog(tmp_path / "cat"))
    lexicon = [("efficacy", "补水", "moisturizing"), ("origin", "新疆", "Xinjiang")]
    labels = lexicon_labels(catalog, lexicon, [], [("测试美白", 0), ("non-gmo", 1)])
    assert distant_label(_candidate("测试美白"), labels) == 1  # a POI name, although an attribute value says 0
    assert distant_label(_candidate("补水"), labels) == 1
    assert distant_label(_candidate("新疆"), labels) == 0
    assert distant_label(_candidate("测试面膜"), labels) == 0  # a category name
    assert distant_label(_candidate("500ml"), labels) == 0  # numbers and units
    assert distant_label(_candidate("Non-GMO", "en"), labels) == 1
    assert distant_label(_candidate("没见过"), labels) is None


def _mentions() -> tuple[list[ValueMention], list[PoiMention]]:
    values = [
        ValueMention("efficacy:moisturizing", "efficacy", ("补水", "moisturizing")),
        ValueMention("origin:japan", "origin", ("日本", "Japan")),
        ValueMention("material:cotton", "material", ("纯棉", "cotton")),
    ]
    pois = [PoiMention("moisturizing", ("补水保湿", "moisturizing")), PoiMention("breathable", ("透气", "breathable"))]
    return values, pois


def test_candidates_come_from_co_occurrence_and_shared_words() -> None:
    values, pois = _mentions()
    sentences = [Sentence("日本进口纯棉透气T恤", "zh", "a"), Sentence("纯棉透气", "zh", "b")]
    candidates = {c.key: c for c in find_candidates(values, pois, sentences)}
    assert candidates[("material:cotton", "breathable")].context == "纯棉透气"  # the shortest sentence
    assert ("origin:japan", "breathable") in candidates
    assert candidates[("efficacy:moisturizing", "moisturizing")].context == ""  # shares 补水 / moisturizing
    assert ("efficacy:moisturizing", "breathable") not in candidates
