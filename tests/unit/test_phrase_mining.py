"""Phrase mining: frequent, cohesive, boundary-free phrases come out; fragments do not."""

from __future__ import annotations

from kg_builder.textual.corpus import Sentence
from kg_builder.textual.phrase_mining import MiningSettings, mine_phrases

LEFT = "春夏秋冬男女老少红黄蓝绿"
RIGHT = "面霜乳液精华面膜爽肤水眼霜"


def _zh_corpus() -> list[Sentence]:
    return [Sentence(f"{LEFT[i % 12]}补水保湿{RIGHT[(i * 5) % 13]}", "zh", f"t#{i}") for i in range(40)]


def test_a_phrase_in_varied_contexts_is_mined_with_its_statistics() -> None:
    candidates = {c.phrase: c for c in mine_phrases(_zh_corpus(), "zh", MiningSettings(min_count=5))}
    assert "补水保湿" in candidates
    mined = candidates["补水保湿"]
    assert mined.count == 40 and mined.entropy > 2.0 and mined.pmi > 0
    assert mined.contexts and "补水保湿" in mined.contexts[0].text


def test_fragments_inside_a_longer_phrase_have_no_free_boundary() -> None:
    candidates = {c.phrase for c in mine_phrases(_zh_corpus(), "zh", MiningSettings(min_count=5))}
    assert "水保" not in candidates  # always followed by 湿 and preceded by 补: right/left entropy 0


def test_english_phrases_need_varied_neighbours_on_both_sides() -> None:
    who = ["men", "women", "kids", "boys", "girls"] * 4
    where = ["gym", "running", "yoga", "beach", "hiking"] * 4
    pairs = enumerate(zip(who, where, strict=True))
    sentences = [Sentence(f"{w} quick dry shorts {x}", "en", str(i)) for i, (w, x) in pairs]
    phrases = {c.phrase for c in mine_phrases(sentences, "en", MiningSettings(min_count=4, min_pmi=0.0))}
    assert "quick dry shorts" in phrases
    assert "men quick" not in phrases  # its left boundary is always the start of the title
