"""The learned stages of a build: POI mining, SATISFY extraction (heads on the pretrained encoder), NER profiles, the
category check of harvested items.

Each stage trains once (models are re-used while their training data and settings are unchanged), writes its
measurements to `results/kg/<stage>.json`, and replaces its previous predictions in the graph. Only predictions
that pass the precision gate (encoder_heads.GatedClassifier; NER: the label's measured precision) become facts a
shopper sees; the rest are written as candidates for `python -m kg_builder review`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from neo4j import Driver

from kg_builder.catalog.category_check import MIN_PRECISION as CATEGORY_MIN_PRECISION
from kg_builder.catalog.category_check import category_checker, is_harvested, read_category_labels
from kg_builder.catalog.harvest import NameIndex, normalize, read_value_lexicon
from kg_builder.catalog.loader import Catalog
from kg_builder.config import PATHS
from kg_builder.graph.ontology import POI, POI_CANDIDATE, SATISFY, SATISFY_CANDIDATE
from kg_builder.graph.predictions import (
    CLEAR_CATEGORY_CHECK,
    MINED_POI_SOURCE,
    NER_SOURCE,
    REMOVE_NER_LINKS,
    REMOVE_OLD_MINED_POIS,
    REMOVE_OLD_SATISFY,
    REVIEW_SOURCE,
    SATISFY_SOURCE,
    WRITE_CATEGORY_CHECK,
    WRITE_ITEM_PROFILES,
    WRITE_MINED_POIS,
    WRITE_NER_CATEGORIES,
    WRITE_SATISFY,
    replace_predictions,
    write_rows,
)
from kg_builder.review import NO_OBJECT, read_decisions
from kg_builder.sources import datasets
from kg_builder.textmodels.encoder import CachedEncoder, text_encoder
from kg_builder.textual.corpus import Sentence, read_corpus
from kg_builder.textual.encoder_heads import (
    MIN_PRECISION,
    GatedClassifier,
    phrase_features,
    poi_classifier,
    read_labelled,
    satisfy_classifier,
)
from kg_builder.textual.item_embeddings import embed_items
from kg_builder.textual.ner import NER_STAMP, recognise, train_or_load_ner
from kg_builder.textual.phrase_mining import mine_phrases
from kg_builder.textual.poi_mining import attribute_value_labels, distant_label, frequent_candidates, lexicon_labels
from kg_builder.textual.relation_extraction import catalog_mentions, find_candidates
from kg_builder.timing import StageClock

log = logging.getLogger(__name__)

MINED_POIS_WRITTEN = 200  # at most this many of the best-scored mined phrases are written
POI_LABELS, SATISFY_LABELS = "poi_labels.tsv", "satisfy_labels.tsv"  # hand-labelled, in the knowledge folder
CATEGORY_LABELS = "category_labels.tsv"  # hand-checked categories of the harvested items
DECISIONS_FILE = "review_decisions.tsv"  # a curator's decisions (kg_builder.review), in the knowledge folder
NER_FILES = (datasets.JIE_NER_TRAIN, datasets.DING_NER_TRAIN)


@dataclass
class ExtractionSettings:
    """Where inputs and outputs live, and how big the models are."""

    data_dir: Path
    model_dir: Path
    results_dir: Path
    knowledge_dir: Path
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
    encoder: CachedEncoder
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
    run = _Run(driver, catalog, corpus, text_encoder(), settings, report, database)
    for stage, name in (
        (_mine_pois, "POI mining"),
        (_extract_satisfy, "SATISFY extraction"),
        (_profile_items, "NER profiles"),
        (_check_categories, "category check"),
        (_embed_items, "item vectors"),
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
    _, catalog, corpus, encoder, settings, report, _ = run
    candidates = mine_phrases(corpus, "zh") + mine_phrases(corpus, "en")
    known = distant_poi_labels(catalog, settings.knowledge_dir, settings.data_dir)
    pool = [c for lang in ("zh", "en") for c in frequent_candidates(candidates, lang)]  # what the labels sample
    unnamed = [c for c in pool if distant_label(c, known) is None]  # not already a POI, category, brand ...
    classifier = poi_classifier(
        encoder, read_labelled(settings.knowledge_dir / POI_LABELS), settings.model_dir / "heads"
    )
    scores = classifier.head.probabilities(phrase_features(encoder, [c.phrase for c in unnamed]))
    decisions = read_decisions(settings.knowledge_dir / DECISIONS_FILE)
    model_rows, reviewed_rows = [], []
    for candidate, score in sorted(zip(unnamed, scores, strict=True), key=lambda pair: (-pair[1], pair[0].phrase)):
        row_id = f"mined:{candidate.lang}:{candidate.phrase.casefold()}"
        decision = decisions.get(("poi", row_id, NO_OBJECT))
        row = {
            "id": row_id,
            "name_zh": candidate.phrase if candidate.lang == "zh" else None,
            "name_en": candidate.phrase if candidate.lang == "en" else None,
            "score": round(float(score), 4),
            "evidence": [s.source for s in candidate.contexts],
        }
        if decision == "accept":
            reviewed_rows.append(row | {"label": POI, "predicted": False})
        elif decision is None and score >= classifier.threshold and len(model_rows) < MINED_POIS_WRITTEN:
            model_rows.append(row | {"label": POI if classifier.shown(score) else POI_CANDIDATE, "predicted": True})
    written, removed = _write_gated(
        run, (WRITE_MINED_POIS, REMOVE_OLD_MINED_POIS, MINED_POI_SOURCE), model_rows, reviewed_rows
    )
    shown = sum(row["label"] == POI for row in model_rows)
    report.metrics["poi_mining"] = _gated_metrics(run, classifier, len(candidates), len(unnamed), written, shown) | {
        "written_cap": MINED_POIS_WRITTEN,
        "accepted_by_review": len(reviewed_rows),
    }
    report.counts["mined POIs shown"] = shown
    report.counts["mined POI candidates"] = written - shown
    log.info(
        "POI mining: %d candidate phrases, %d scored, %d written (%d shown, gate %s at threshold %.3f, test "
        "precision %s on the random stratum), %d accepted by review, %d of an earlier run removed",
        len(candidates),
        len(unnamed),
        written,
        shown,
        "passed" if classifier.passes_gate else "not passed",
        classifier.threshold,
        classifier.gate()["test_precision"],
        len(reviewed_rows),
        removed,
    )


def _write_gated(
    run: _Run, queries: tuple[Any, str, str], model_rows: list[dict], reviewed_rows: list[dict]
) -> tuple[int, int]:
    """This run's predictions (source: the model), then the curator-accepted facts (source: review), each replacing
    its earlier rows; returns (predictions written, earlier predictions removed)."""
    write, remove, source = queries
    written, removed = replace_predictions(run.driver, write, remove, model_rows, source, run.database)
    replace_predictions(run.driver, write, remove, reviewed_rows, REVIEW_SOURCE, run.database)
    return written, removed


def _gated_metrics(
    run: _Run, classifier: GatedClassifier, candidates: int, scored: int, written: int, shown: int
) -> dict[str, Any]:
    return {
        "encoder": run.encoder.info.as_dict(),
        "candidates": candidates,
        "scored": scored,
        "heldout": classifier.report,
        "gate": classifier.gate(),
        "written": written,
        "shown": shown,
    }


def _extract_satisfy(run: _Run) -> None:
    _, catalog, corpus, encoder, settings, report, _ = run
    values, pois = catalog_mentions(catalog)
    candidates = find_candidates(values, pois, corpus)
    curated = {(row["value_id"], row["poi"]) for row in catalog.rows["satisfies"]}
    pairs = [c for c in candidates if c.key not in curated]
    labelled = read_labelled(settings.knowledge_dir / SATISFY_LABELS)
    classifier, features = satisfy_classifier(encoder, catalog, labelled, settings.model_dir / "heads")
    scores = classifier.head.probabilities(features([c.key for c in pairs])) if pairs else []
    decisions = read_decisions(settings.knowledge_dir / DECISIONS_FILE)
    model_rows = []
    for pair, score in zip(pairs, scores, strict=True):
        row = {"value_id": pair.key[0], "poi_id": pair.key[1], "score": round(float(score), 4)}
        if decisions.get(("satisfy", *pair.key)) is None and score >= classifier.threshold:
            shown = classifier.shown(score)
            model_rows.append(row | {"label": SATISFY if shown else SATISFY_CANDIDATE, "predicted": True})
            model_rows[-1]["context"] = pair.context[:300]
    reviewed_rows = [
        {"value_id": key[1], "poi_id": key[2], "score": None, "context": "", "label": SATISFY, "predicted": False}
        for key, decision in sorted(decisions.items())
        if key[0] == "satisfy" and decision == "accept"
    ]
    written, removed = _write_gated(run, (WRITE_SATISFY, REMOVE_OLD_SATISFY, SATISFY_SOURCE), model_rows, reviewed_rows)
    shown = sum(row["label"] == SATISFY for row in model_rows)
    report.metrics["relation_extraction"] = _gated_metrics(run, classifier, len(candidates), len(pairs), written, shown)
    report.metrics["relation_extraction"]["accepted_by_review"] = len(reviewed_rows)
    report.counts["predicted SATISFY shown"] = shown
    report.counts["SATISFY candidates"] = written - shown
    log.info(
        "SATISFY extraction: %d candidate pairs, %d above the threshold %.3f (%d shown: gate %s, test precision %s), "
        "%d accepted by review, %d of an earlier run removed",
        len(candidates),
        written,
        classifier.threshold,
        shown,
        "passed" if classifier.passes_gate else "not passed",
        classifier.gate()["test_precision"],
        len(reviewed_rows),
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
    gates = {
        lang: {label: figures["p"] >= MIN_PRECISION for label, figures in metrics[lang]["per_label"].items()}
        for lang in metrics
    }
    log.info("NER: links written only for labels with measured precision >= %.2f: %s", MIN_PRECISION, gates)
    profiles, category_links = [], []
    for item in catalog.rows["items"]:
        lang = item["lang"]
        shown = {label: gates[lang].get(label, False) for label in ("BRAND", "CATEGORY")}
        entities = recognise(pipelines[lang], item["title"], lang)
        per_label = metrics[lang]["per_label"]
        brand = next((text for text, label in entities if label == "BRAND"), None) if shown["BRAND"] else None
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
            category = categories.get(text) if label == "CATEGORY" and shown["CATEGORY"] else None
            if category:
                category_links.append({"item": item["id"], "category": category, "score": per_label["CATEGORY"]["p"]})
    driver.execute_query(REMOVE_NER_LINKS, source=NER_SOURCE, database_=database)
    write_rows(driver, WRITE_ITEM_PROFILES, profiles, NER_SOURCE, database)
    write_rows(driver, WRITE_NER_CATEGORIES, category_links, NER_SOURCE, database)
    report.metrics["ner"] = metrics | {"gate": {"min_precision": MIN_PRECISION, "shown_labels": gates}}
    report.counts["items profiled"] = len(profiles)
    report.counts["NER category links"] = len(category_links)
    log.info(
        "NER profiles: %d items profiled, %d with a brand, %d category links",
        len(profiles),
        sum(profile["brand"] is not None for profile in profiles),
        len(category_links),
    )


def _check_categories(run: _Run) -> None:
    driver, catalog, _, encoder, settings, report, database = run
    ner_zh, _ = train_or_load_ner("zh", settings.data_dir, settings.model_dir / "ner-zh", progress=settings.progress)

    def product_words(title: str, lang: str) -> list[str]:
        return [text for text, label in recognise(ner_zh, title, lang) if label == "CATEGORY"] if lang == "zh" else []

    items = catalog.rows["items"]
    labels = read_category_labels(settings.knowledge_dir / CATEGORY_LABELS)
    classifier, score = category_checker(
        encoder, items, catalog.rows["categories"], labels, product_words, settings.model_dir / "heads"
    )
    checked = [item for item in items if is_harvested(item)]
    decisions = read_decisions(settings.knowledge_dir / DECISIONS_FILE)
    rows = []
    for item, probability in zip(checked, score(checked), strict=True):
        decision = decisions.get(("category", item["id"], item["category"]))
        doubt = bool(decision == "reject" or (decision is None and probability < classifier.threshold))
        rows.append({"item": item["id"], "score": round(float(probability), 4), "doubt": doubt, "review": decision})
    driver.execute_query(CLEAR_CATEGORY_CHECK, database_=database)
    write_rows(driver, WRITE_CATEGORY_CHECK, rows, "category_check", database)
    doubtful = sum(bool(row["doubt"]) for row in rows)
    report.metrics["category_check"] = {
        "encoder": encoder.info.as_dict(),
        "checked": len(rows),
        "doubtful": doubtful,
        "heldout": classifier.report,
        "min_precision": CATEGORY_MIN_PRECISION,
    }
    report.counts["items with a doubtful category"] = doubtful
    log.info(
        "category check: %d harvested items checked, %d out of search (doubtful and not accepted, or rejected by a "
        "curator), %d decided by review; threshold %.3f, test precision of the kept items %s",
        len(rows),
        doubtful,
        sum(row["review"] is not None for row in rows),
        classifier.threshold,
        classifier.report.get("test_precision"),
    )


def _embed_items(run: _Run) -> None:
    report = run.report
    report.counts["items embedded"] = embed_items(run.driver, run.encoder, run.database, run.settings.progress)


def repository_settings(data_dir: Path, **options: Any) -> ExtractionSettings:
    """Settings that read `data_dir` and keep models, metrics and label files in the repository's folders."""
    return ExtractionSettings(data_dir, PATHS.models / "kg", PATHS.results / "kg", PATHS.knowledge, **options)
