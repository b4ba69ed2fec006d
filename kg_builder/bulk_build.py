"""The bulk build of a first load: validate, write neo4j-admin CSVs (with the inferred HAS_POI links unless the
learned stages run), import offline, start, add schema and the other stages.

The online build (kg_builder.build) stays the path of incremental updates; both validate the same way and end with
the same stages (kg_builder.build.complete_graph)."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from neo4j import Driver
from neo4j.exceptions import DatabaseUnavailable, ServiceUnavailable
from tqdm import tqdm

from kg_builder.build import BuildReport, complete_graph, load_reported
from kg_builder.config import Neo4jSettings, connect
from kg_builder.graph.bulk import (
    ImportFailed,
    Instance,
    admin_import,
    bulk_graph,
    check_target,
    instance_settings,
    wait_for_bolt,
    write_csvs,
)
from kg_builder.graph.ontology import HAS_POI, ITEM, POI, ensure_schema
from kg_builder.textual.stages import ExtractionSettings
from kg_builder.timing import StageClock

log = logging.getLogger(__name__)

INDEX_SECONDS = 3600  # the full-text indexes of a first load take minutes at millions of nodes


@dataclass
class BulkReport(BuildReport):
    """A build report with the counts neo4j-admin imported."""

    nodes: int = 0
    relationships: int = 0

    def summary(self) -> str:
        rows = sum(self.written.values())
        stages = ", ".join(f"{stage} {seconds:.1f}s" for stage, seconds in self.stage_seconds.items())
        return (
            f"bulk build: {rows} rows ({len(self.errors)} rejected) -> {self.nodes} nodes, "
            f"{self.relationships} relationships; {self.inferred_has_poi} HAS_POI inferred, {self.prefers} PREFERS "
            f"predicted; {stages}; in {self.seconds:.1f}s"
        )


def bulk_build(
    source: Path,
    instance: Instance,
    start: Callable[[], None],
    database: str = "neo4j",
    csv_folder: Path | None = None,
    progress: bool = True,
    err: TextIO = sys.stderr,
    extraction: ExtractionSettings | None = None,
) -> BulkReport:
    """Import the catalog under `source` into the stopped, empty `database` of `instance`, call `start` (which must
    start that instance), then create the schema and run the stages after the import.

    Raises BulkRefused, before reading anything, when the instance runs or the database exists."""
    started = time.perf_counter()
    check_target(instance, database)
    report = BulkReport()
    clock = StageClock(report.stage_seconds)
    log.info("bulk build: catalog %s into database %s of %s", source, database, instance.home)
    catalog = load_reported(source, report, clock, err)
    report.written = {kind: len(rows) for kind, rows in catalog.rows.items()}
    learned = extraction is not None  # the learned stages add predicted SATISFY links: then the query infers HAS_POI
    graph = bulk_graph(catalog, has_poi=not learned)
    report.nodes, report.relationships = graph.node_count, graph.relationship_count
    report.inferred_has_poi = len(graph.relationships[(HAS_POI, ITEM, POI)])
    clock.lap("graph" if learned else "graph and HAS_POI")  # with the learned stages, HAS_POI is inferred after them
    total = report.nodes + report.relationships
    folder = csv_folder or instance.home / "import" / f"bulk-{database}"
    with tqdm(total=total, desc="write CSV", unit="row", disable=not progress, file=err) as bar:
        files = write_csvs(graph, folder, on_rows=bar.update)
    del graph
    clock.lap("write CSV")
    log.info("bulk: %d nodes, %d relationships written to %s", report.nodes, report.relationships, folder)
    admin_import(instance, files, database)
    clock.lap("neo4j-admin import")
    start()
    wait_for_bolt(instance)
    clock.lap("start")
    with _ready(instance_settings(instance, database)) as driver:
        ensure_schema(driver, database, INDEX_SECONDS)
        clock.lap("schema")
        complete_graph(driver, catalog, report, clock, database, extraction, infer=learned)
    report.seconds = time.perf_counter() - started
    log.info("bulk build: done in %.1fs", report.seconds)
    return report


def _ready(settings: Neo4jSettings, seconds: float = 120.0) -> Driver:
    """A driver once the database answers queries (the port opens a little before it does)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            driver = connect(settings)
            driver.execute_query("RETURN 1", database_=settings.database)
            return driver
        except (ServiceUnavailable, DatabaseUnavailable) as error:
            if time.monotonic() > deadline:
                raise ImportFailed(f"{settings.uri} does not answer queries after the import: {error}") from error
            log.info("bulk: waiting for %s (%s)", settings.uri, str(error).splitlines()[0])
            time.sleep(1)
