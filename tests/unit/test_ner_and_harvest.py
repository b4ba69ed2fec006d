"""spaCy NER training data and a tiny training run; harvesting catalog records from source files."""

from __future__ import annotations

import json
from pathlib import Path

from kg_builder.catalog.harvest import Harvester, HarvestSources, write_harvest
from kg_builder.catalog.loader import load_catalog
from kg_builder.sources import datasets
from kg_builder.textual.ner import AnnotatedTitle, NerSettings, en_titles, recognise, train_ner
from tests.conftest import TEST_PREFIX, mini_catalog, write_jsonl


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


def test_a_tiny_ner_learns_brands_and_reports_dev_scores() -> None:
    brands = ["肌美精", "欧莱雅", "自然堂", "百雀羚", "韩束", "珀莱雅"]
    train = [
        AnnotatedTitle(f"{b}面膜{n}片装", ((0, len(b), "BRAND"), (len(b), len(b) + 2, "CATEGORY")))
        for b in brands
        for n in "二三四五"
    ]
    dev = train[:6]
    nlp, metrics = train_ner("zh", train, dev, NerSettings(epochs=15, max_train=100, batch_size=4), progress=False)
    assert metrics["entity_f1"] > 0.8 and set(metrics["per_label"]) == {"BRAND", "CATEGORY"}
    assert ("面膜", "CATEGORY") in recognise(nlp, "欧莱雅面膜三片装", "zh")


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
