"""The learned stages of a build: MLM pre-training, POI mining, SATISFY extraction, NER item profiles.

Each stage trains once (models are re-used while their training data and settings are unchanged), writes its
measurements to `results/kg/<stage>.json`, and replaces its previous predictions in the graph.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from neo4j import Driver

from kg_builder.catalog.harvest import NameIndex, normalize, read_value_lexicon
from kg_builder.catalog.loader import Catalog
from kg_builder.config import PATHS
from kg_builder.graph.predictions import (
    MINED_POI_SOURCE,
    NER_SOURCE,
    REMOVE_OLD_MINED_POIS,
    REMOVE_OLD_SATISFY,
    SATISFY_SOURCE,
    WRITE_ITEM_PROFILES,
    WRITE_MINED_POIS,
    WRITE_NER_CATEGORIES,
    WRITE_SATISFY,
    replace_predictions,
    write_rows,
)
from kg_builder.sources import datasets
from kg_builder.textmodels.bert import DEFAULT_BASE_MODEL, TEXT_MODELS
from kg_builder.textmodels.pretraining import READY, pretrain_mlm
from kg_builder.textual.corpus import Sentence, read_corpus
from kg_builder.textual.ner import NER_STAMP, recognise, train_or_load_ner
from kg_builder.textual.phrase_mining import mine_phrases
from kg_builder.textual.poi_mining import attribute_value_labels, lexicon_labels, run_poi_mining
from kg_builder.textual.poi_mining import read_heldout as read_poi_heldout
from kg_builder.textual.relation_extraction import catalog_mentions, find_candidates, run_relation_extraction
from kg_builder.textual.relation_extraction import read_heldout as read_satisfy_heldout
from kg_builder.timing import StageClock

log = logging.getLogger(__name__)

MINED_POIS_WRITTEN = 200  # the best-scored mined phrases become candidate POI nodes
NER_FILES = (datasets.JIE_NER_TRAIN, datasets.DING_NER_TRAIN)


@dataclass
class ExtractionSettings:
    """Where inputs and outputs live, and how big the models are."""

    data_dir: Path
    model_dir: Path
    results_dir: Path
    knowledge_dir: Path
    base_model: str = DEFAULT_BASE_MODEL  # a TEXT_MODELS name, or a local checkpoint folder (e.g. bert-base-chinese)
    mlm_epochs: int = 2
    progress: bool = True


@dataclass
class ExtractionReport:
    counts: dict[str, int] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        return "extraction: " + ", ".join(f"{k} {v}" for k, v in self.counts.items())


class _Run(NamedTuple):
    """What every stage of one extraction run works with."""

    driver: Driver
    catalog: Catalog
    corpus: list[Sentence]
    base: str  # the base model: a checkpoint folder (MLM pre-trained here, or the user's)
    settings: ExtractionSettings
    report: ExtractionReport
    database: str


def run_extraction(
    driver: Driver, catalog: Catalog, settings: ExtractionSettings, database: str = "neo4j"
) -> ExtractionReport:
    """Run every learned stage on the catalog and the datasets; write predictions and measurements."""
    report = ExtractionReport()
    clock = StageClock(report.seconds)
    log.info("learned stages: reading the corpus of %s", settings.data_dir)
    corpus = read_corpus(settings.data_dir)
    corpus += [Sentence(item["title"], item["lang"], item["source"]) for item in catalog.rows["items"]]
    log.info("corpus: %d sentences (%d catalog titles)", len(corpus), len(catalog.rows["items"]))
    base = settings.base_model
    if TEXT_MODELS.is_model(base):
        folder = settings.model_dir / f"mlm-{base}"
        before = _written_at(folder / READY)
        base = str(
            pretrain_mlm([s.text for s in corpus], folder, base, settings.mlm_epochs, progress=settings.progress)
        )
        _log_model("MLM pre-training", folder, before is not None and _written_at(folder / READY) == before)
    else:
        log.info("MLM pre-training skipped: base model %s given", base)
    clock.lap("MLM pre-training")
    run = _Run(driver, catalog, corpus, base, settings, report, database)
    for stage, name in (
        (_mine_pois, "POI mining"),
        (_extract_satisfy, "SATISFY extraction"),
        (_profile_items, "NER profiles"),
    ):
        log.info("%s: started", name)
        stage(run)
        clock.lap(name)
        log.info("%s: done in %.1fs", name, report.seconds[name])
    settings.results_dir.mkdir(parents=True, exist_ok=True)
    for stage, metrics in report.metrics.items():
        path = settings.results_dir / f"{stage}.json"
        path.write_text(json.dumps(metrics, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return report


def _written_at(path: Path) -> int | None:
    """When the file was last written (ns), None when it does not exist."""
    return path.stat().st_mtime_ns if path.is_file() else None


def _log_model(stage: str, folder: Path, reused: bool) -> None:
    """Say whether the stage's model was trained now or re-used from an earlier build."""
    if reused:
        log.info("%s: re-using the model in %s (trained before on the same data and settings)", stage, folder)
    else:
        log.info("%s: model trained and saved in %s", stage, folder)


def distant_poi_labels(catalog: Catalog, knowledge_dir: Path, data_dir: Path) -> dict[str, int]:
    """The distant POI labels of phrases: the value lexicon, NER entity words, attribute values of the datasets."""
    return lexicon_labels(
        catalog,
        read_value_lexicon(knowledge_dir / "value_lexicon.tsv"),
        [data_dir / f for f in NER_FILES],
        attribute_value_labels(data_dir),
    )


def _mine_pois(run: _Run) -> None:
    driver, catalog, corpus, base, settings, report, database = run
    candidates = mine_phrases(corpus, "zh") + mine_phrases(corpus, "en")
    labels = distant_poi_labels(catalog, settings.knowledge_dir, settings.data_dir)
    heldout = read_poi_heldout(settings.knowledge_dir / "poi_heldout.tsv")
    result = run_poi_mining(
        candidates, labels, heldout, settings.model_dir / "poi-classifier", base, progress=settings.progress
    )
    rows = [
        {
            "id": f"mined:{m.lang}:{m.phrase.casefold()}",
            "name_zh": m.phrase if m.lang == "zh" else None,
            "name_en": m.phrase if m.lang == "en" else None,
            "score": m.score,
            "evidence": list(m.sources),
        }
        for m in result.mined[:MINED_POIS_WRITTEN]
    ]
    written, removed = replace_predictions(
        driver, WRITE_MINED_POIS, REMOVE_OLD_MINED_POIS, rows, MINED_POI_SOURCE, database
    )
    report.metrics["poi_mining"] = result.metrics | {"written": written, "written_cap": MINED_POIS_WRITTEN}
    report.counts["mined POIs"] = written
    _log_model("POI mining", settings.model_dir / "poi-classifier", not result.metrics["trained_now"])
    log.info(
        "POI mining: %d candidate phrases, %d mined, best %d written (%d of an earlier run removed)",
        len(candidates),
        len(result.mined),
        written,
        removed,
    )


def _extract_satisfy(run: _Run) -> None:
    driver, catalog, corpus, base, settings, report, database = run
    values, pois = catalog_mentions(catalog)
    candidates = find_candidates(values, pois, corpus)
    curated = {(row["value_id"], row["poi"]) for row in catalog.rows["satisfies"]}
    heldout = read_satisfy_heldout(settings.knowledge_dir / "satisfy_heldout.tsv")
    result = run_relation_extraction(
        candidates,
        values,
        pois,
        curated,
        heldout,
        settings.model_dir / "satisfy-classifier",
        base,
        progress=settings.progress,
    )
    rows = [
        {"value_id": p.value_id, "poi_id": p.poi_id, "score": p.score, "context": p.context[:300]}
        for p in result.predicted
    ]
    written, removed = replace_predictions(driver, WRITE_SATISFY, REMOVE_OLD_SATISFY, rows, SATISFY_SOURCE, database)
    report.metrics["relation_extraction"] = result.metrics
    report.counts["predicted SATISFY"] = written
    _log_model("SATISFY extraction", settings.model_dir / "satisfy-classifier", not result.metrics["trained_now"])
    log.info(
        "SATISFY extraction: %d candidate pairs, %d SATISFY predicted (%d of an earlier run removed)",
        len(candidates),
        written,
        removed,
    )


def _profile_items(run: _Run) -> None:
    driver, catalog, _, _, settings, report, database = run
    categories = NameIndex(catalog.rows["categories"], "name_zh", "name_en", "aliases_zh", "aliases_en")
    pipelines: dict[str, Any] = {}
    metrics: dict[str, Any] = {}
    for lang in ("zh", "en"):
        folder = settings.model_dir / f"ner-{lang}"
        before = _written_at(folder / NER_STAMP)
        pipelines[lang], metrics[lang] = train_or_load_ner(lang, settings.data_dir, folder, progress=settings.progress)
        _log_model(f"NER ({lang})", folder, before is not None and _written_at(folder / NER_STAMP) == before)
    profiles, category_links = [], []
    for item in catalog.rows["items"]:
        lang = item["lang"]
        entities = recognise(pipelines[lang], item["title"], lang)
        per_label = metrics[lang]["per_label"]
        brand = next((text for text, label in entities if label == "BRAND"), None)
        profiles.append(
            {
                "item": item["id"],
                "types": sorted({label for _, label in entities}),
                "entities": [f"{label}:{text}" for text, label in entities],
                "brand": brand,
                "brand_id": "brand:" + normalize(brand) if brand else None,
                "brand_score": per_label.get("BRAND", {}).get("p"),
            }
        )
        for text, label in entities:
            category = categories.get(text) if label == "CATEGORY" else None
            if category:
                category_links.append({"item": item["id"], "category": category, "score": per_label["CATEGORY"]["p"]})
    write_rows(driver, WRITE_ITEM_PROFILES, profiles, NER_SOURCE, database)
    write_rows(driver, WRITE_NER_CATEGORIES, category_links, NER_SOURCE, database)
    report.metrics["ner"] = metrics
    report.counts["items profiled"] = len(profiles)
    report.counts["NER category links"] = len(category_links)
    log.info(
        "NER profiles: %d items profiled, %d with a brand, %d category links",
        len(profiles),
        sum(profile["brand"] is not None for profile in profiles),
        len(category_links),
    )


def repository_settings(data_dir: Path, **options: Any) -> ExtractionSettings:
    """Settings that read `data_dir` and keep models, metrics and label files in the repository's folders."""
    return ExtractionSettings(data_dir, PATHS.models / "kg", PATHS.results / "kg", PATHS.knowledge, **options)
