"""spaCy NER training data and a tiny training run; harvesting catalog records from source files."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from kg_builder.catalog.harvest import Harvester, HarvestSources, write_harvest
from kg_builder.catalog.loader import load_catalog
from kg_builder.sources import datasets
from kg_builder.textual.char_tagger import CharTagger
from kg_builder.textual.ner import (
    ZH_LABELS,
    AnnotatedTitle,
    NerSettings,
    en_titles,
    normalised_title,
    recognise,
    train_ner,
    train_or_load_ner,
    without_dev_titles,
    zh_titles,
)
from tests.conftest import SHARED_DATA, TEST_PREFIX, mini_catalog, write_jsonl


def test_english_spans_are_where_brand_and_model_values_occur(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "t.jsonl",
        [
            {
                "input": "Sun Bum Original SPF 30",
                "category": "Sunscreen",
                "target_scores": {"Brand": {"Sun Bum": 1}, "Model name": {"Original": 1}, "Color": {"Red": 1}},
            }
        ],
    )
    (title,) = en_titles(path)
    assert [(title.text[s:e], label) for s, e, label in title.spans] == [("Sun Bum", "BRAND"), ("Original", "MODEL")]


BRANDS = ["肌美精", "欧莱雅", "自然堂", "百雀羚", "韩束", "珀莱雅"]
TINY = [
    AnnotatedTitle(f"{b}面膜{n}片装", ((0, len(b), "BRAND"), (len(b), len(b) + 2, "CATEGORY")))
    for b in BRANDS
    for n in "二三四五"
]
TINY_SETTINGS = NerSettings(epochs=15, max_train=100, batch_size=4)


@pytest.mark.parametrize("model", ["bilstm_crf", "spacy"])
def test_a_tiny_ner_learns_brands_and_reports_dev_scores(model: str) -> None:
    settings = replace(TINY_SETTINGS, zh_model=model)
    nlp, metrics = train_ner("zh", TINY, TINY[:6], settings, progress=False)
    assert metrics["entity_f1"] > 0.8 and set(metrics["per_label"]) == {"BRAND", "CATEGORY"}
    assert ("面膜", "CATEGORY") in recognise(nlp, "欧莱雅面膜三片装", "zh")


def test_the_chinese_tagger_is_saved_and_loaded_with_its_pipeline(tmp_path: Path) -> None:
    dev_only = [
        AnnotatedTitle(f"{b}面膜六片装", ((0, len(b), "BRAND"), (len(b), len(b) + 2, "CATEGORY"))) for b in BRANDS
    ]
    for name, titles in ((datasets.JIE_NER_TRAIN, TINY + dev_only), (datasets.JIE_NER_DEV, dev_only)):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        lines = ["".join(f"{c} {tag_of(title, i)}\n" for i, c in enumerate(title.text)) for title in titles]
        (tmp_path / name).write_text("\n".join(lines), encoding="utf-8")
    dics = tmp_path / datasets.DING_GAZETTEERS
    dics.mkdir(parents=True)
    (dics / "brand1.dic").write_text("\n".join(BRANDS[:3]) + "\n", encoding="utf-8")
    (dics / "product1.dic").write_text("面膜\n", encoding="utf-8")
    trained, metrics = train_or_load_ner("zh", tmp_path, tmp_path / "ner-zh", TINY_SETTINGS, progress=False)
    loaded, again = train_or_load_ner("zh", tmp_path, tmp_path / "ner-zh", TINY_SETTINGS, progress=False)
    assert loaded is not trained and again == metrics
    assert metrics["train_titles"] == len(TINY) and metrics["train_titles_dropped_as_dev"] == len(BRANDS)
    assert trained.get_pipe("char_bilstm_crf").gazetteers == {"BRAND": sorted(BRANDS[:3]), "CATEGORY": ["面膜"]}
    assert loaded.get_pipe("char_bilstm_crf").gazetteers == trained.get_pipe("char_bilstm_crf").gazetteers
    expected = [("韩束", "BRAND"), ("面膜", "CATEGORY")]
    assert recognise(loaded, "韩束面膜三片装", "zh") == recognise(trained, "韩束面膜三片装", "zh") == expected


def test_gazetteer_features_mark_where_a_word_begins_continues_and_ends() -> None:
    tagger = CharTagger()
    tagger.set_gazetteers({"BRAND": ["欧莱雅"], "CATEGORY": ["面膜", "膜"]})  # one-character words are not matched
    rows = tagger.encode("欧莱雅面膜")
    assert [row[2:] for row in rows] == [
        [1, 0, 0, 0, 0, 0],
        [0, 1, 0, 0, 0, 0],
        [0, 0, 1, 0, 0, 0],
        [0, 0, 0, 1, 0, 0],
        [0, 0, 0, 0, 0, 1],
    ]


def test_no_dev_title_is_a_training_title(tmp_path: Path) -> None:
    """Titles shared by the Taobao train and dev files are dropped from training, whitespace and case aside."""
    train = [*TINY, AnnotatedTitle(" 韩束面膜 二片装", ()), AnnotatedTitle("NEW 新品", ())]
    dev = [TINY[0], AnnotatedTitle("韩束面膜二片装", ()), AnnotatedTitle("new新品", ())]
    kept = without_dev_titles(train, dev)
    assert {normalised_title(t.text) for t in kept}.isdisjoint({normalised_title(t.text) for t in dev})
    assert len(kept) == len(TINY) - 2


def test_the_shipped_chinese_ner_split_has_no_overlap_once_deduplicated() -> None:
    """The real Taobao files (if present): after deduplication no dev title is trained on."""
    data = SHARED_DATA
    if not (data / datasets.JIE_NER_TRAIN).is_file():
        pytest.skip("the Taobao NER data is not here")
    train, dev = list(zh_titles(data / datasets.JIE_NER_TRAIN)), list(zh_titles(data / datasets.JIE_NER_DEV))
    kept = without_dev_titles(train, dev)
    assert len(kept) < len(train)  # the files do share titles, so the deduplication matters
    assert not {normalised_title(t.text) for t in kept} & {normalised_title(t.text) for t in dev}


def tag_of(title: AnnotatedTitle, index: int) -> str:
    """The BIO tag of a character, with the Taobao label names."""
    names = {label: name for name, label in ZH_LABELS.items()}
    for start, end, label in title.spans:
        if start <= index < end:
            return ("B-" if index == start else "I-") + names[label]
    return "O"


TAGS_BRAND = ["B-HPPX", "I-HPPX"]


def test_harvest_maps_source_names_to_the_catalog_and_is_repeatable(tmp_path: Path) -> None:
    catalog_dir = mini_catalog(tmp_path / "catalog")
    data = tmp_path / "data"
    (data / datasets.JIE_NER_TRAIN).parent.mkdir(parents=True)
    (data / datasets.JIE_NER_TRAIN).write_text(
        "".join(
            f"{c} {t}\n"
            for c, t in zip(
                "好牌测试面膜补水", [*TAGS_BRAND, "B-HCCX", "I-HCCX", "I-HCCX", "I-HCCX", "O", "O"], strict=True
            )
        )
        + "\n"
        + "".join(f"{c} {t}\n" for c, t in zip("杂牌手机", ["B-HPPX", "I-HPPX", "B-HCCX", "I-HCCX"], strict=False)),
        encoding="utf-8",
    )
    lexicon = [(f"{TEST_PREFIX}ingredient", "补水", "moisturizing")]
    sources = HarvestSources(
        tagged=((datasets.JIE_NER_TRAIN, "jie", ("HCCX",), ("HPPX",), ()),),
        attributes=(("oamine/train.jsonl", "oamine"),),
        grocery=None,
        dialogues=None,
        product_qa=None,
    )
    result = Harvester(load_catalog(catalog_dir), data, lexicon, sources).run()
    assert result.skipped["missing source oamine/train.jsonl"] == 1
    assert [(i["id"], i["category"], i["brand"]) for i in result.items] == [
        ("jie-1", f"{TEST_PREFIX}mask", "brand:好牌")
    ]
    assert result.skipped["without a catalog category"] == 1
    assert [(r["property"], r["value_en"]) for r in result.item_properties] == [
        (f"{TEST_PREFIX}ingredient", "moisturizing")
    ]
    write_harvest(result, catalog_dir)
    reloaded = load_catalog(catalog_dir)
    assert reloaded.errors == [] and len(reloaded.rows["items"]) == 3
    assert json.loads((catalog_dir / "items" / "harvested.jsonl").read_text().splitlines()[0])["source"].endswith("#L1")
