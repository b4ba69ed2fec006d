"""The hand-labelled value -SATISFY-> POI set (data/knowledge/satisfy_labels.tsv) and the draw behind it."""

from __future__ import annotations

import re

from kg_builder.catalog.loader import load_catalog
from kg_builder.config import REPO_ROOT
from kg_builder.textmodels.metrics import read_label_file
from kg_builder.textual.corpus import Sentence
from kg_builder.textual.relation_extraction import (
    PoiMention,
    ValueMention,
    cooccurrence,
    find_candidates,
    is_close,
    is_enriched,
    read_heldout,
    satisfy_label_sample,
)

LABELS = REPO_ROOT / "data" / "knowledge" / "satisfy_labels.tsv"
HELDOUT = REPO_ROOT / "data" / "knowledge" / "satisfy_heldout.tsv"
COLUMNS = ["value_id", "poi_id", "label", "split", "stratum", "what_was_judged"]
_CJK = re.compile(r"[\u3400-\u9fff]")


def _rows() -> list[dict[str, str]]:
    lines = LABELS.read_text(encoding="utf-8").splitlines()
    comments = [line for line in lines if line.startswith("#")]
    assert comments[-1].removeprefix("# ").split("\t") == COLUMNS  # the column names, as a comment line
    assert any("labelled by a project developer (helper session)" in line for line in comments)
    return [dict(zip(COLUMNS, line.split("\t"), strict=True)) for line in lines if line and not line.startswith("#")]


def test_the_file_has_the_promised_size_labels_splits_and_strata() -> None:
    rows = _rows()
    assert len(read_heldout(LABELS)) == len(rows) >= 300  # the SATISFY stage's reader parses it
    assert {r["label"] for r in rows} == {"0", "1"}
    assert {r["split"] for r in rows} == {"dev", "test"}
    assert {r["stratum"] for r in rows} == {"random", "enriched"}
    positives = [r for r in rows if r["label"] == "1"]
    assert len(positives) >= 80
    for split in ("dev", "test"):
        half = [r for r in positives if r["split"] == split]
        assert {r["stratum"] for r in half} == {"random", "enriched"}
        # values named in Chinese and values named only in English are both among the positives of each half
        value_names = [r["what_was_judged"].split(" -> ")[0] for r in half]
        assert any(_CJK.search(n) for n in value_names) and any(not _CJK.search(n) for n in value_names)
    share = sum(r["split"] == "dev" for r in rows) / len(rows)
    assert 0.45 <= share <= 0.55


def test_no_duplicate_pair_and_no_curated_triple() -> None:
    rows = _rows()
    keys = [(r["value_id"], r["poi_id"]) for r in rows]
    assert len(keys) == len(set(keys))
    catalog = load_catalog(REPO_ROOT / "data" / "catalog")
    curated = {(row["value_id"], row["poi"]) for row in catalog.rows["satisfies"]}
    assert not curated & set(keys)
    value_ids = {row["value_id"] for kind in ("item_properties", "satisfies") for row in catalog.rows[kind]}
    poi_ids = {row["id"] for row in catalog.rows["pois"]}
    assert {v for v, _ in keys} <= value_ids and {p for _, p in keys} <= poi_ids


def test_the_earlier_held_out_sample_is_kept_in_the_random_stratum() -> None:
    rows = {(r["value_id"], r["poi_id"]): r for r in _rows()}
    for fields, label in read_label_file(HELDOUT, "value_id<TAB>poi_id"):
        row = rows[(fields[0], fields[1])]
        assert row["stratum"] == "random" and row["label"] == str(label)


def test_the_draw_keeps_curated_and_labelled_pairs_out_and_enriches_by_names_and_co_occurrence() -> None:
    values = [
        ValueMention("feature:quick dry", "feature", ("速干", "quick dry")),
        ValueMention("origin:japan", "origin", ("日本", "Japan")),
        ValueMention("material:cotton", "material", ("纯棉", "cotton")),
    ]
    pois = [PoiMention("quick_dry", ("速干", "quick dry")), PoiMention("breathable", ("透气", "breathable"))]
    sentences = [Sentence("日本纯棉透气T恤", "zh", "a")] * 3 + [Sentence("速干短裤", "zh", "b")]
    candidates = find_candidates(values, pois, sentences)
    counts = cooccurrence(values, pois, sentences)
    assert counts.pairs[("material:cotton", "breathable")] == 3 and counts.sentences == 4
    by_key = {c.key: c for c in candidates}
    assert is_close(by_key[("feature:quick dry", "quick_dry")], counts)  # same name
    assert not is_enriched(by_key[("origin:japan", "breathable")], counts)  # a plain fact
    curated = {("feature:quick dry", "quick_dry")}
    drawn = satisfy_label_sample(candidates, curated, counts, {("origin:japan", "breathable")}, 1, 5, 5, seed=1)
    keys = [c.key for c, _ in drawn]
    assert len(keys) == len(set(keys)) and not set(keys) & (curated | {("origin:japan", "breathable")})
    assert [s for _, s in drawn][0] == "random" and all(s == "enriched" for _, s in drawn[1:])
