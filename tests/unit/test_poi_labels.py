"""The hand-labelled POI set (data/knowledge/poi_labels.tsv): size, both languages and splits, no duplicates."""

from __future__ import annotations

from collections import Counter

from kg_builder.config import PATHS
from kg_builder.textual.phrase_mining import Candidate
from kg_builder.textual.poi_mining import (
    DISTANT_STRATUM,
    RANDOM_STRATUM,
    assign_splits,
    labelling_sample,
    read_heldout,
)

LABELS = PATHS.knowledge / "poi_labels.tsv"
COLUMNS = "phrase<TAB>lang<TAB>label<TAB>split<TAB>stratum"


def _rows() -> list[list[str]]:
    lines = LABELS.read_text(encoding="utf-8").splitlines()
    assert f"# {COLUMNS}" in lines
    return [line.split("\t") for line in lines if line.strip() and not line.startswith("#")]


def test_poi_labels_are_large_enough_in_both_languages_and_splits() -> None:
    rows = _rows()
    assert all(len(row) == 5 for row in rows)
    assert {row[2] for row in rows} <= {"0", "1"}
    assert {row[3] for row in rows} == {"dev", "test"}
    assert {row[4] for row in rows} == {RANDOM_STRATUM, DISTANT_STRATUM}
    assert len(rows) >= 400
    assert sum(row[2] == "1" for row in rows) >= 100
    positives = Counter((row[1], row[3]) for row in rows if row[2] == "1")
    for lang in ("zh", "en"):
        for split in ("dev", "test"):
            assert positives[(lang, split)] >= 5, (lang, split)
        assert sum(row[1] == lang for row in rows) >= 150
    random_positives = Counter(row[3] for row in rows if row[2] == "1" and row[4] == RANDOM_STRATUM)
    assert random_positives["dev"] > 0 and random_positives["test"] > 0


def test_poi_labels_have_no_duplicate_phrases() -> None:
    keys = Counter((row[0].casefold(), row[1]) for row in _rows())
    assert [key for key, n in keys.items() if n > 1] == []


def test_poi_labels_hold_the_earlier_heldout_set() -> None:
    keys = {(row[0], row[1]) for row in _rows()}
    assert {(p.phrase, p.lang) for p in read_heldout(PATHS.knowledge / "poi_heldout.tsv")} <= keys


def _candidate(phrase: str, count: int) -> Candidate:
    return Candidate(phrase, "zh", count, 2.0, 1.5, 1.5)


def test_labelling_sample_leaves_out_taken_phrases_and_draws_both_strata() -> None:
    good = [f"好{chr(0x4E00 + i)}" for i in range(10)]  # no digits: a phrase with a digit is a distant negative
    candidates = [_candidate(f"词{i}", 100 - i) for i in range(60)] + [_candidate(p, 5) for p in good]
    labels = dict.fromkeys(good, 1)
    drawn = labelling_sample(candidates, labels, "zh", exclude=["词0", "词1"], random_count=20, distant_count=4)
    phrases = [c.phrase for c, _ in drawn]
    assert len(phrases) == len(set(phrases)) == 24
    assert "词0" not in phrases and "词1" not in phrases
    assert [c.phrase[0] for c, stratum in drawn if stratum == DISTANT_STRATUM] == ["好"] * 4
    assert drawn == labelling_sample(candidates, labels, "zh", ["词0", "词1"], 20, 4)


def test_splits_alternate_within_each_group() -> None:
    rows = [(f"词{i}", "zh", i % 2, RANDOM_STRATUM) for i in range(20)]
    splits = assign_splits(rows)
    for label in (0, 1):
        halves = Counter(s for r, s in zip(rows, splits, strict=True) if r[2] == label)
        assert halves["dev"] == halves["test"] == 5
    assert splits == assign_splits(rows)
