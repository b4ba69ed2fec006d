"""The bulk path of a first load: a validated catalog as neo4j-admin CSV files, imported into a stopped, empty database.

The CSV files hold the very graph that kg_builder.graph.writer's MERGE queries build (same labels, ids, properties
and relationships) plus, unless the learned stages will add SATISFY links, the HAS_POI links that
kg_builder.graph.rules infers from it; constraints, indexes and the other stages are added once the server runs
(kg_builder.bulk_build).
"""

from __future__ import annotations

import csv
import logging
import os
import re
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from kg_builder.catalog.loader import Catalog
from kg_builder.config import Neo4jSettings, generated_password
from kg_builder.graph.ontology import (
    ABOUT,
    BRAND,
    CATEGORY,
    CAUSE,
    FAQ,
    HAS_IMAGE,
    HAS_POI,
    HAS_PROBLEM,
    HAS_PROPERTY,
    IMAGE,
    IN_CATEGORY,
    ITEM,
    NEED,
    OF_BRAND,
    OF_PROPERTY,
    POI,
    PROBLEM,
    PROPERTY,
    PROPERTY_VALUE,
    SATISFY,
    SCENARIO,
    USER,
)
from kg_builder.graph.rules import has_poi_links
from kg_builder.graph.writer import SUBJECT_LABELS

log = logging.getLogger(__name__)

ARRAY_DELIMITER = "\x1f"  # the unit separator: catalog text never holds it (records.clean_text drops control chars)
ADMIN_TOOL = "org.neo4j.cli.AdminTool"
IMPORT_LOG = "bulk-import.log"

_NAMED = ("name_zh", "name_en", "aliases_zh:string[]", "aliases_en:string[]", "source")
# Node columns per label, in neo4j-admin header syntax (`name` is a string, `name:type` otherwise).
NODE_COLUMNS: dict[str, tuple[str, ...]] = {
    CATEGORY: (*_NAMED, "domain"),
    BRAND: ("name", "name_zh", "aliases:string[]", "source"),
    PROPERTY: _NAMED,
    POI: _NAMED,
    PROBLEM: _NAMED,
    SCENARIO: _NAMED,
    ITEM: ("title", "title_zh", "title_en", "lang", "price:double", "currency", "source", "search_text"),
    PROPERTY_VALUE: ("property", "value", "name_zh", "name_en"),
    USER: (),
    FAQ: ("question", "answer", "lang", "source"),
    IMAGE: ("path", "caption", "source"),
}
# The record kinds whose rows are nodes, and their label.
NODE_KINDS = {
    "categories": CATEGORY,
    "brands": BRAND,
    "properties": PROPERTY,
    "pois": POI,
    "problems": PROBLEM,
    "scenarios": SCENARIO,
    "items": ITEM,
    "faqs": FAQ,
    "images": IMAGE,
}
_SOURCE = ("source",)
# Relationship columns per (type, start label, end label).
RELATIONSHIP_COLUMNS: dict[tuple[str, str, str], tuple[str, ...]] = {
    (IN_CATEGORY, ITEM, CATEGORY): (),
    (OF_BRAND, ITEM, BRAND): (),
    (OF_PROPERTY, PROPERTY_VALUE, PROPERTY): (),
    (HAS_PROPERTY, ITEM, PROPERTY_VALUE): ("name", "value_id", "source", "position:long"),
    (SATISFY, PROPERTY_VALUE, POI): ("score:double", "source"),
    (HAS_POI, ITEM, POI): ("inferred:boolean", "score:double", "source", "predicted:boolean"),
    (CAUSE, SCENARIO, PROBLEM): _SOURCE,
    (NEED, PROBLEM, POI): _SOURCE,
    (HAS_PROBLEM, USER, PROBLEM): _SOURCE,
    (ABOUT, FAQ, ITEM): (),
    **{(HAS_IMAGE, label, IMAGE): ("score:double", "model", "source") for label in SUBJECT_LABELS.values()},
}

RelKey = tuple[str, str, str]


class BulkRefused(RuntimeError):
    """The target of a bulk import is running or holds a database already: nothing was written."""


class ImportFailed(RuntimeError):
    """neo4j-admin ended with an error (its log tail is the message)."""


@dataclass
class BulkGraph:
    """Nodes per label (id -> properties) and relationships per (type, start, end) ((start id, end id) -> properties).

    Dictionaries keyed as the online MERGEs are, so a repeated key keeps the last properties, as SET does. Links may
    share one properties dict (the HAS_POI links do): read them, never change one in place."""

    nodes: dict[str, dict[str, dict[str, Any]]] = field(default_factory=lambda: {label: {} for label in NODE_COLUMNS})
    relationships: dict[RelKey, dict[tuple[str, str], dict[str, Any]]] = field(
        default_factory=lambda: {key: {} for key in RELATIONSHIP_COLUMNS}
    )

    @property
    def node_count(self) -> int:
        return sum(len(rows) for rows in self.nodes.values())

    @property
    def relationship_count(self) -> int:
        return sum(len(rows) for rows in self.relationships.values())

    def link(self, key: RelKey, start: str, end: str, **properties: Any) -> None:
        self.relationships[key][(start, end)] = properties


def _property_name(column: str) -> str:
    return column.split(":", 1)[0]


_NODE_PROPERTY_NAMES = {label: tuple(map(_property_name, columns)) for label, columns in NODE_COLUMNS.items()}


def _node_properties(label: str, row: dict[str, Any]) -> dict[str, Any]:
    return {name: row.get(name) for name in _NODE_PROPERTY_NAMES[label]}


def bulk_graph(catalog: Catalog, has_poi: bool = True) -> BulkGraph:
    """The graph that writer.WRITE_QUERIES and IMAGE_QUERIES build from these rows, in the same kind order, with the
    HAS_POI links that rules.INFER_HAS_POI adds to it (unless not `has_poi`: the query will run after the import)."""
    graph = BulkGraph()
    for kind, label in NODE_KINDS.items():
        for row in catalog.rows.get(kind, []):
            graph.nodes[label][row["id"]] = _node_properties(label, row)
    values = graph.nodes[PROPERTY_VALUE]
    for row in catalog.rows.get("items", []):
        graph.link((IN_CATEGORY, ITEM, CATEGORY), row["id"], row["category"])
        if row["brand"] is not None:
            graph.link((OF_BRAND, ITEM, BRAND), row["id"], row["brand"])
    for row in catalog.rows.get("item_properties", []):  # SET value = coalesce(v.value, ...), names: the last given
        value = values.setdefault(row["value_id"], {"property": row["property"], "value": row["value"]})
        value["property"] = row["property"]
        value["name_zh"] = row["value_name_zh"] or value.get("name_zh")
        value["name_en"] = row["value_name_en"] or value.get("name_en")
        graph.link((OF_PROPERTY, PROPERTY_VALUE, PROPERTY), row["value_id"], row["property"])
        graph.link(
            (HAS_PROPERTY, ITEM, PROPERTY_VALUE),
            row["item"],
            row["value_id"],
            name=row["property"],
            value_id=row["value_id"],
            source=row["source"],
            position=row["position"],
        )
    for row in catalog.rows.get("causes", []):
        graph.link((CAUSE, SCENARIO, PROBLEM), row["scenario"], row["problem"], source=row["source"])
    for row in catalog.rows.get("needs", []):
        graph.link((NEED, PROBLEM, POI), row["problem"], row["poi"], source=row["source"])
    for row in catalog.rows.get("satisfies", []):  # ON CREATE SET: a value an item already has keeps its names
        created = {"property": row["property"], "value": row["value"], "name_en": row["value_en"]}
        values.setdefault(row["value_id"], created)
        graph.link((OF_PROPERTY, PROPERTY_VALUE, PROPERTY), row["value_id"], row["property"])
        score = 1.0 if row["score"] is None else row["score"]
        graph.link((SATISFY, PROPERTY_VALUE, POI), row["value_id"], row["poi"], score=score, source=row["source"])
    for row in catalog.rows.get("user_problems", []):
        graph.nodes[USER][row["user"]] = {}
        graph.link((HAS_PROBLEM, USER, PROBLEM), row["user"], row["problem"], source=row["source"])
    for row in catalog.rows.get("faqs", []):
        if row["item"] is not None:
            graph.link((ABOUT, FAQ, ITEM), row["id"], row["item"])
    for row in catalog.rows.get("images", []):
        key = (HAS_IMAGE, SUBJECT_LABELS[row["subject_kind"]], IMAGE)
        graph.link(key, row["subject"], row["id"], score=1.0, model="curated", source=row["source"])
    if has_poi:
        graph.relationships[(HAS_POI, ITEM, POI)] = has_poi_links(
            graph.relationships[(HAS_PROPERTY, ITEM, PROPERTY_VALUE)],
            graph.relationships[(SATISFY, PROPERTY_VALUE, POI)],
        )
    return graph


@dataclass(frozen=True)
class ImportFiles:
    """The CSV files of one import: `--nodes=Label=file` and `--relationships=TYPE=file` pairs."""

    folder: Path
    nodes: tuple[tuple[str, Path], ...]
    relationships: tuple[tuple[str, Path], ...]

    def arguments(self) -> list[str]:
        return [f"--nodes={label}={path}" for label, path in self.nodes] + [
            f"--relationships={rel}={path}" for rel, path in self.relationships
        ]


def _array_cell(value: list[str] | None) -> str | None:
    """An array field: the items joined by the array delimiter; None and an empty list as an empty field, i.e. no
    property (as the online writer stores an empty list)."""
    return ARRAY_DELIMITER.join(value) if value else None


def _boolean_cell(value: bool | None) -> str | None:
    """A boolean field as neo4j-admin reads one: `true` (it reads Python's `True` as false)."""
    return None if value is None else str(value).lower()


_CELL_BY_TYPE: dict[str, Callable[[Any], Any]] = {"[]": _array_cell, ":boolean": _boolean_cell}


def _write_table(
    path: Path, header: list[str], rows: Iterator[list[Any]], on_rows: Callable[[int], None] | None
) -> None:
    """Write the header and the rows (arrays and booleans formatted) in chunks of 10,000 rows told to `on_rows`."""
    cells = [
        (n, cell) for n, column in enumerate(header) for end, cell in _CELL_BY_TYPE.items() if column.endswith(end)
    ]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        while chunk := list(islice(rows, 10_000)):
            for row in chunk if cells else ():
                for n, cell in cells:
                    row[n] = cell(row[n])
            writer.writerows(chunk)
            if on_rows:
                on_rows(len(chunk))


def write_csvs(graph: BulkGraph, folder: Path, on_rows: Callable[[int], None] | None = None) -> ImportFiles:
    """Write one CSV per label and per relationship (type, start, end) that has rows; `on_rows(n)` reports progress.

    Nodes are numbered per label (`:ID(Label)`, imported with --id-type=integer, faster to map than strings); their
    catalog id is the plain `id` column."""
    folder.mkdir(parents=True, exist_ok=True)
    numbers = {label: {node_id: n for n, node_id in enumerate(rows)} for label, rows in graph.nodes.items()}
    nodes: list[tuple[str, Path]] = []
    for label, rows in graph.nodes.items():
        if not rows:
            continue
        path = folder / f"nodes-{label}.csv"
        names = _NODE_PROPERTY_NAMES[label]
        table = ([n, node_id, *map(props.get, names)] for n, (node_id, props) in enumerate(rows.items()))
        _write_table(path, [f":ID({label})", "id", *NODE_COLUMNS[label]], table, on_rows)
        nodes.append((label, path))
    relationships: list[tuple[str, Path]] = []
    for (rel, start, end), rows in graph.relationships.items():
        if not rows:
            continue
        path = folder / f"rels-{rel}-{start}-{end}.csv"
        columns = RELATIONSHIP_COLUMNS[(rel, start, end)]
        names = tuple(map(_property_name, columns))
        starts, ends = numbers[start], numbers[end]
        table = ([starts[a], ends[b], *map(props.get, names)] for (a, b), props in rows.items())
        _write_table(path, [f":START_ID({start})", f":END_ID({end})", *columns], table, on_rows)
        relationships.append((rel, path))
    return ImportFiles(folder, tuple(nodes), tuple(relationships))


# ---- The target instance -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Instance:
    """A Neo4j home laid out as scripts/neo4j.sh does (conf/, data/, logs/) and the jars that run it."""

    home: Path
    lib: Path

    @property
    def conf(self) -> Path:
        return self.home / "conf" / "neo4j.conf"

    def setting(self, name: str) -> str | None:
        """One setting of conf/neo4j.conf (None when absent)."""
        if not self.conf.is_file():
            return None
        pattern = re.compile(rf"^\s*{re.escape(name)}\s*=\s*(.*?)\s*$")
        for line in self.conf.read_text(encoding="utf-8").splitlines():
            if match := pattern.match(line):
                return match.group(1)
        return None

    def bolt_address(self) -> tuple[str, int]:
        """Where this instance's server listens for Bolt (Neo4j's default 7687 when the conf names none)."""
        address = self.setting("server.bolt.listen_address") or ":7687"
        host, _, port = address.rpartition(":")
        return host or "127.0.0.1", int(port)

    def store(self, database: str) -> Path:
        return self.home / "data" / "databases" / database

    def java(self, *arguments: str) -> list[str]:
        """A java command line of one of the jars' main classes, as scripts/neo4j.sh's java_cmd builds it."""
        options = os.environ.get("NEO4J_JAVA_OPTS", "-Xms512m -Xmx2g").split()
        return ["java", *options, "-cp", str(self.lib / "*"), *arguments]

    def environment(self) -> dict[str, str]:
        return {**os.environ, "NEO4J_HOME": str(self.home), "NEO4J_CONF": str(self.home / "conf")}


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def check_target(instance: Instance, database: str) -> None:
    """Refuse (BulkRefused) unless the instance is stopped and `database` has no store yet."""
    if not instance.conf.is_file():
        raise BulkRefused(f"no {instance.conf}: write it first (scripts/neo4j.sh conf)")
    if not instance.lib.is_dir() or not any(instance.lib.glob("neo4j-*.jar")):
        raise BulkRefused(f"no Neo4j jars in {instance.lib} (fetch them with `scripts/neo4j.sh fetch`)")
    host, port = instance.bolt_address()
    if _listening(host, port):
        raise BulkRefused(
            f"Neo4j of {instance.home} is running ({host}:{port} answers): the bulk import needs it stopped "
            "(scripts/neo4j.sh stop); to add to a running graph use the online `build` without --bulk"
        )
    store = instance.store(database)
    if store.is_dir() and any(path.name != "database_lock" for path in store.iterdir()):
        raise BulkRefused(
            f"database '{database}' already exists in {store}: the bulk import only creates a new database and never "
            "overwrites one; load into it with the online `build` (without --bulk), or use a fresh Neo4j home"
        )


def admin_import(
    instance: Instance, files: ImportFiles, database: str = "neo4j", max_off_heap: str = "2G"
) -> subprocess.CompletedProcess[str]:
    """Run `neo4j-admin database import full` (never over an existing database); raise ImportFailed on an error.

    Its output goes to <home>/logs/bulk-import.log; its report of bad entries to <csv folder>/import.report."""
    command = instance.java(
        ADMIN_TOOL,
        "database",
        "import",
        "full",
        database,  # before the file lists: --nodes and --relationships take every word after them
        "--overwrite-destination=false",
        "--id-type=integer",
        "--array-delimiter=U+001F",
        f"--max-off-heap-memory={max_off_heap}",
        f"--report-file={files.folder / 'import.report'}",
        *files.arguments(),
    )
    log_file = instance.home / "logs" / IMPORT_LOG
    log_file.parent.mkdir(parents=True, exist_ok=True)
    log.info("bulk: neo4j-admin database import full into %s (log: %s)", database, log_file)
    result = subprocess.run(command, env=instance.environment(), capture_output=True, text=True, check=False)
    log_file.write_text(result.stdout + result.stderr, encoding="utf-8")
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
        log.error("bulk: neo4j-admin failed (exit %d); see %s", result.returncode, log_file)
        raise ImportFailed(f"neo4j-admin import failed (exit {result.returncode}; log {log_file}):\n{tail}")
    return result


def instance_settings(instance: Instance, database: str = "neo4j") -> Neo4jSettings:
    """How to reach the instance once it runs: its conf's Bolt address, its generated password (or NEO4J_PASSWORD)."""
    host, port = instance.bolt_address()
    password_file = instance.home / "password"  # this instance's own secret, before a variable meant for another
    password = generated_password(password_file) or os.environ.get("NEO4J_PASSWORD", "")
    if not password:
        raise BulkRefused(f"no password for the Neo4j of {instance.home}: neither {password_file} nor NEO4J_PASSWORD")
    return Neo4jSettings(f"bolt://{host}:{port}", os.environ.get("NEO4J_USER", "neo4j"), password, database)


def wait_for_bolt(instance: Instance, seconds: float = 120.0) -> None:
    """Wait until the instance's Bolt port accepts connections; raise ImportFailed when it does not in time."""
    host, port = instance.bolt_address()
    deadline = time.monotonic() + seconds
    while not _listening(host, port):
        if time.monotonic() > deadline:
            raise ImportFailed(f"the Neo4j of {instance.home} did not open {host}:{port} within {seconds:.0f}s")
        time.sleep(1)
