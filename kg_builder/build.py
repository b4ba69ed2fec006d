"""The build pipeline: schema, catalog import with progress bars, inference, and a summary."""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from neo4j import Driver
from tqdm import tqdm

from kg_builder.catalog.loader import Catalog, load_catalog
from kg_builder.catalog.records import KINDS, RecordError
from kg_builder.graph.ontology import ensure_schema
from kg_builder.graph.writer import write_kind
from kg_builder.textual.completion import complete_preferences
from kg_builder.textual.inference import infer_item_pois
from kg_builder.textual.stages import ExtractionReport, ExtractionSettings, run_extraction
from kg_builder.timing import StageClock

log = logging.getLogger(__name__)


@dataclass
class BuildReport:
    """What a build did: rows written per kind, rows rejected, links inferred, seconds taken."""

    written: dict[str, int] = field(default_factory=dict)
    errors: list[RecordError] = field(default_factory=list)
    inferred_has_poi: int = 0
    removed_has_poi: int = 0
    prefers: int = 0
    extraction: ExtractionReport | None = None
    stage_seconds: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> str:
        """One line of counts and time."""
        learned = f"{self.extraction.summary()}; " if self.extraction else "learned stages skipped; "
        return (
            f"build: {sum(self.written.values())} rows written, {len(self.errors)} rejected; {learned}"
            f"{self.inferred_has_poi} HAS_POI inferred ({self.removed_has_poi} stale removed), "
            f"{self.prefers} PREFERS predicted; in {self.seconds:.1f}s"
        )


def load_reported(source: Path, report: BuildReport, clock: StageClock, err: TextIO) -> Catalog:
    """Read and validate the catalog; report each rejected row on `err` (`skipped FILE:LINE: reason`)."""
    catalog = load_catalog(source)
    clock.lap("load")
    report.errors = catalog.errors
    log.info("load: %d rows read in %.1fs", catalog.row_count, report.stage_seconds["load"])
    for error in catalog.errors:
        print(f"skipped {error}", file=err)
    if catalog.errors:
        log.warning("load: %d rows rejected and skipped", len(catalog.errors))
    return catalog


def build_graph(
    driver: Driver,
    source: Path,
    database: str = "neo4j",
    progress: bool = True,
    err: TextIO = sys.stderr,
    extraction: ExtractionSettings | None = None,
) -> BuildReport:
    """Load the catalog under `source`, run the learned stages (when `extraction` is given), infer, complete.

    Bad rows are reported on `err` and skipped."""
    started = time.perf_counter()
    report = BuildReport()
    clock = StageClock(report.stage_seconds)
    log.info("build: catalog %s into database %s", source, database)
    ensure_schema(driver, database)
    catalog = load_reported(source, report, clock, err)
    with tqdm(total=catalog.row_count, desc="import", unit="row", disable=not progress, file=err) as bar:
        for kind in KINDS:
            rows = catalog.rows.get(kind.name, [])
            bar.set_postfix_str(kind.name)
            report.written[kind.name] = write_kind(driver, kind.name, rows, database, on_batch=bar.update)
    clock.lap("import")
    log.info("import: %d rows written in %.1fs", sum(report.written.values()), report.stage_seconds["import"])
    complete_graph(driver, catalog, report, clock, database, extraction)
    report.seconds = time.perf_counter() - started
    log.info("build: done in %.1fs", report.seconds)
    return report


def complete_graph(
    driver: Driver,
    catalog: Catalog,
    report: BuildReport,
    clock: StageClock,
    database: str = "neo4j",
    extraction: ExtractionSettings | None = None,
    infer: bool = True,
) -> None:
    """The stages after the import, of both paths: the learned stages (when `extraction` is given), the HAS_POI
    inference (unless `infer` is False: the bulk path imported its links) and the PREFERS completion."""
    if extraction is not None:
        report.extraction = run_extraction(driver, catalog, extraction, database)
        report.stage_seconds.update(report.extraction.seconds)
        clock.lap(None)
    else:
        log.warning("learned stages skipped (no datasets): no mined POIs, predicted SATISFY links or NER profiles")
    if infer:
        report.inferred_has_poi, report.removed_has_poi = infer_item_pois(driver, database)
        clock.lap("infer HAS_POI")
        log.info(
            "inference: %d HAS_POI inferred, %d stale removed in %.1fs",
            report.inferred_has_poi,
            report.removed_has_poi,
            report.stage_seconds["infer HAS_POI"],
        )
    report.prefers, removed_prefers = complete_preferences(driver, database)
    clock.lap("complete PREFERS")
    log.info(
        "completion: %d PREFERS predicted, %d stale removed in %.1fs",
        report.prefers,
        removed_prefers,
        report.stage_seconds["complete PREFERS"],
    )
