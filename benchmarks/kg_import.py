"""Import throughput and stage times of kg_builder, on the demo catalog and on a generated graph at the paper's scale.

    python benchmarks/kg_import.py                   # demo catalog (with the learned stages when ../shared/data exists)
    python benchmarks/kg_import.py --paper           # + 300k items, 500k POIs, 500k SATISFY (AliMe MKG section 2.4)
    python benchmarks/kg_import.py --paper --items 30000 --pois 50000 --satisfy 50000   # a smaller run
    NEO4J_INSTANCE=bulk NEO4J_BULK_HOME=/tmp/neo4j-bulk python benchmarks/kg_import.py --paper --bulk
        # the same generated graph through `build --bulk` into a fresh scratch instance (scripts/neo4j.sh conf first;
        # it is left running: stop it with the same variables and scripts/neo4j.sh stop)

Prints the figures and writes them to benchmarks/results/kg_import.json (--bulk: its `paper_scale_bulk` key only).
The generated graph's nodes all have ids starting with `bench-` and are deleted at the end (unless --keep), so the
demo graph is left as it was (not with --bulk: that instance holds the generated graph alone).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from neo4j import Driver
from tqdm import tqdm

from actions.graph_store import Neo4jGraphStore
from kg_builder.build import BuildReport, build_graph
from kg_builder.bulk_build import bulk_build
from kg_builder.catalog.loader import load_catalog
from kg_builder.config import PATHS, Neo4jSettings, connect
from kg_builder.graph.bulk import Instance, instance_settings
from kg_builder.graph.ontology import BRAND, CATEGORY, ITEM, POI, PROPERTY, PROPERTY_VALUE
from kg_builder.graph.stats import graph_stats
from kg_builder.textual.stages import repository_settings

RESULTS = PATHS.benchmark_results
PREFIX = "bench-"
BENCH_LABELS = (ITEM, PROPERTY_VALUE, POI, BRAND, CATEGORY, PROPERTY)
# Label by label through the id index, 5,000 nodes a transaction: bounded memory on a 1 GB heap.
DELETE_BENCH_BATCH = {
    label: f"MATCH (n:{label}) WHERE n.id STARTS WITH $prefix WITH n LIMIT 5000 DETACH DELETE n RETURN count(*) AS n"
    for label in BENCH_LABELS
}
LINK_FIELDS = {  # relationships one row of a kind writes (besides MERGEing its node)
    "items": lambda row: 1 + bool(row.get("brand")),
    "item_properties": lambda row: 2,
    "satisfies": lambda row: 2,
    "causes": lambda row: 1,
    "needs": lambda row: 1,
    "user_problems": lambda row: 1,
    "images": lambda row: 1,
    "faqs": lambda row: bool(row.get("item")),
}


def relationship_rows(source: Path) -> int:
    """How many relationships the rows of a catalog folder MERGE."""
    catalog = load_catalog(source)
    return sum(LINK_FIELDS[kind](row) for kind, rows in catalog.rows.items() if kind in LINK_FIELDS for row in rows)


def throughput(report: BuildReport, links: int) -> dict[str, Any]:
    rows = sum(report.written.values())
    seconds = report.stage_seconds.get("import", 0.0) or 1e-9
    return {
        "rows": rows,
        "relationship_writes": links,
        "import_seconds": round(seconds, 2),
        "rows_per_second": round(rows / seconds),
        "relationships_per_second": round(links / seconds),
        "stage_seconds": report.stage_seconds,
        "total_seconds": round(report.seconds, 2),
        "summary": report.summary(),
    }


def card_latency(driver: Driver, item_ids: list[str], samples: int, seed: int = 1) -> dict[str, float]:
    """p50/p95/mean milliseconds of the assistant's item-card query over random items (after 10 warm-up calls)."""
    store = Neo4jGraphStore(driver)
    rng = random.Random(seed)
    for item_id in item_ids[:10]:
        store.item_card(item_id)
    times = []
    for item_id in (rng.choice(item_ids) for _ in range(samples)):
        started = time.perf_counter()
        card = store.item_card(item_id)
        times.append((time.perf_counter() - started) * 1000)
        assert card is not None, item_id
    return {"samples": samples, **ms_summary(times)}


def ms_summary(times: list[float]) -> dict[str, float]:
    """p50, p95 and mean of timings in milliseconds."""
    ordered = sorted(times)
    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 2),
        "mean_ms": round(statistics.fmean(ordered), 2),
    }


def bulk_neo4j(command: str, home: Path, **settings: str) -> None:
    """scripts/neo4j.sh `command` for the scratch bulk instance at `home` (`settings`: more variables, e.g. ports)."""
    environment = {**os.environ, "NEO4J_INSTANCE": "bulk", "NEO4J_BULK_HOME": str(home), **settings}
    subprocess.run([str(PATHS.repo / "scripts" / "neo4j.sh"), command], env=environment, check=True)


def write_paper_catalog(
    folder: Path, items: int, pois: int, satisfy: int, seed: int = 7, problems: int = 0, brands: int = 1000
) -> None:
    """A synthetic catalog in the project format: `items` items (2 values each, a title word shared by one item in
    997), `pois` POIs, `satisfy` links; with `problems`, as many problems (each needing 3 POIs) and a third as many
    scenarios (each causing 3 problems), so that recommendations have paths."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    src = "generated by benchmarks/kg_import.py"
    domains = ["Beauty", "Clothing", "Snacks"]
    values = max(1, satisfy // 2)  # each value satisfies two POIs

    def dump(kind: str, rows: Any) -> None:
        with (folder / f"{kind}.jsonl").open("w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")

    dump(
        "categories",
        (
            {
                "id": f"{PREFIX}c{n}",
                "name_zh": f"类目{n}",
                "name_en": f"category {n}",
                "domain": domains[n % 3],
                "source": src,
            }
            for n in range(30)
        ),
    )
    dump("properties", _named("p", "属性", "property", 20, src))
    dump("brands", ({"id": f"{PREFIX}b{n}", "name": f"Brand {n}", "source": src} for n in range(brands)))
    dump("pois", _named("poi", "卖点", "selling point", pois, src))
    dump(
        "items",
        (
            {
                "id": f"{PREFIX}i{n}",
                "title": f"Generated item {n} 测试商品 style{n % 997}",
                "lang": "en",
                "category": f"{PREFIX}c{n % 30}",
                "brand": f"{PREFIX}b{n % brands}",
                "source": src,
            }
            for n in range(items)
        ),
    )
    dump(
        "item_properties",
        (
            {"item": f"{PREFIX}i{n}", "property": f"{PREFIX}p{v % 20}", "value": f"v{v}", "source": src}
            for n in range(items)
            for v in {rng.randrange(values), rng.randrange(values)}
        ),
    )
    dump(
        "satisfies",
        (
            {
                "property": f"{PREFIX}p{v % 20}",
                "value": f"v{v}",
                "poi": f"{PREFIX}poi{(v * 2 + k) % pois}",
                "score": 1.0,
                "source": src,
            }
            for v in range(values)
            for k in range(2)
        ),
    )
    if problems:
        _write_needs(dump, problems, pois, src)


def _named(prefix: str, zh: str, en: str, count: int, src: str) -> Iterator[dict[str, str]]:
    """`count` generated nodes with names in both languages ("卖点7", "selling point 7")."""
    return (
        {"id": f"{PREFIX}{prefix}{n}", "name_zh": f"{zh}{n}", "name_en": f"{en} {n}", "source": src}
        for n in range(count)
    )


def _write_needs(dump: Callable[[str, Any], None], problems: int, pois: int, src: str) -> None:
    """Scenarios, problems and their CAUSE and NEED links for a generated catalog."""
    scenarios = max(1, problems // 3)
    dump("scenarios", _named("s", "场景", "scenario", scenarios, src))
    dump("problems", _named("pr", "困扰", "trouble", problems, src))
    dump(
        "causes",
        (
            {"scenario": f"{PREFIX}s{n % scenarios}", "problem": f"{PREFIX}pr{n}", "source": src}
            for n in range(problems)
        ),
    )
    dump(
        "needs",
        (
            {"problem": f"{PREFIX}pr{n}", "poi": f"{PREFIX}poi{(n * 3 + k) % pois}", "source": src}
            for n in range(problems)
            for k in range(3)
        ),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--paper", action="store_true", help="also import a generated graph at the paper's scale")
    parser.add_argument("--items", type=int, default=300_000)
    parser.add_argument("--pois", type=int, default=500_000)
    parser.add_argument("--satisfy", type=int, default=500_000)
    parser.add_argument("--cards", type=int, default=300, help="item-card queries to time")
    parser.add_argument("--keep", action="store_true", help="keep the generated nodes")
    parser.add_argument("--cleanup", action="store_true", help="only delete generated nodes left by a --keep run")
    parser.add_argument("--out", type=Path, default=RESULTS / "kg_import.json")
    parser.add_argument("--bulk", action="store_true", help="with --paper: the bulk path into a fresh instance")
    parser.add_argument("--home", type=Path, default=os.environ.get("NEO4J_BULK_HOME", PATHS.repo / ".neo4j-bulk"))
    args = parser.parse_args(argv)
    if args.bulk:
        return _bulk(args)
    settings = Neo4jSettings.from_env()
    result: dict[str, Any] = json.loads(args.out.read_text(encoding="utf-8")) if args.out.is_file() else {}
    result["machine"] = f"{platform.node()} {platform.machine()}, python {platform.python_version()}"  # other keys kept
    data_dir = PATHS.shared_data
    with connect(settings) as driver:
        if args.cleanup:
            print(f"deleted {delete_generated(driver, settings.database)} generated nodes")
            return 0
        demo = PATHS.catalog
        extraction = repository_settings(data_dir, progress=False) if data_dir.is_dir() else None
        report = build_graph(driver, demo, settings.database, progress=False, extraction=extraction)
        result["demo"] = throughput(report, relationship_rows(demo))
        demo_items = [row["id"] for row in load_catalog(demo).rows["items"]]
        result["demo"]["item_card"] = card_latency(driver, demo_items, args.cards)
        result["demo"]["graph"] = _counts(driver)
        print(json.dumps(result["demo"], indent=2, ensure_ascii=False))
        if args.paper:

            def keep(paper: dict[str, Any]) -> None:
                result["paper_scale"] = paper
                _save(result, args.out)

            keep(_paper(driver, args, settings.database, keep))
    _save(result, args.out)
    print(f"wrote {args.out}")
    return 0


def _save(result: dict[str, Any], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _paper(
    driver: Driver, args: argparse.Namespace, database: str, save: Callable[[dict[str, Any]], None]
) -> dict[str, Any]:
    folder = RESULTS / "paper_catalog"
    started = time.perf_counter()
    write_paper_catalog(folder, args.items, args.pois, args.satisfy)
    generated = time.perf_counter() - started
    before = graph_stats(driver, database)
    report = build_graph(driver, folder, database, progress=True)
    after = graph_stats(driver, database)
    paper = throughput(report, relationship_rows(folder))
    paper["generate_seconds"] = round(generated, 2)
    paper["requested"] = {"items": args.items, "pois": args.pois, "satisfy": args.satisfy}
    paper["created"] = {
        "nodes": {
            k: after.nodes[k] - before.nodes.get(k, 0) for k in after.nodes if after.nodes[k] != before.nodes.get(k, 0)
        },
        "relationships": {
            k: after.relationships[k] - before.relationships.get(k, 0)
            for k in after.relationships
            if after.relationships[k] != before.relationships.get(k, 0)
        },
    }
    paper["item_card"] = card_latency(driver, [f"{PREFIX}i{n}" for n in range(args.items)], args.cards)
    print(json.dumps(paper, indent=2, ensure_ascii=False))
    save(paper)  # the figures are kept even if the clean-up fails
    if not args.keep:
        started = time.perf_counter()
        delete_generated(driver, database)
        paper["cleanup_seconds"] = round(time.perf_counter() - started, 2)
    return paper


def _bulk(args: argparse.Namespace) -> int:
    """The paper-scale catalog through the bulk path into the fresh instance at --home; adds `paper_scale_bulk`."""
    folder = RESULTS / "paper_catalog"
    started = time.perf_counter()
    write_paper_catalog(folder, args.items, args.pois, args.satisfy)
    generated = time.perf_counter() - started
    instance = Instance(args.home.resolve(), PATHS.repo / "neo4j-server" / "lib")
    report = bulk_build(folder, instance, lambda: bulk_neo4j("start", instance.home), progress=True)
    print(report.summary())
    import_seconds = report.stage_seconds["neo4j-admin import"]
    offline = report.stage_seconds["graph and HAS_POI"] + report.stage_seconds["write CSV"] + import_seconds
    links = relationship_rows(folder)
    with connect(instance_settings(instance)) as driver:
        stats = graph_stats(driver)
        cards = card_latency(driver, [f"{PREFIX}i{n}" for n in range(args.items)], args.cards)
    paper = {
        "rows": sum(report.written.values()),
        "rejected": len(report.errors),
        "relationship_writes": links,
        "nodes_imported": report.nodes,
        "relationships_imported": report.relationships,
        "neo4j_admin_seconds": round(import_seconds, 2),
        "relationships_per_second": round(report.relationships / import_seconds),
        "rows_per_second": round(sum(report.written.values()) / import_seconds),
        "csv_and_import_seconds": round(offline, 2),
        "relationships_per_second_csv_and_import": round(report.relationships / offline),
        "stage_seconds": report.stage_seconds,
        "total_seconds": round(report.seconds, 2),
        "generate_seconds": round(generated, 2),
        "requested": {"items": args.items, "pois": args.pois, "satisfy": args.satisfy},
        "graph": {"nodes": stats.nodes, "relationships": stats.relationships},
        "item_card": cards,
        "summary": report.summary(),
        "machine": f"{platform.node()} {platform.machine()}, {os.cpu_count()} cores (shared), python "
        f"{platform.python_version()}",
    }
    print(json.dumps(paper, indent=2, ensure_ascii=False))
    result = json.loads(args.out.read_text(encoding="utf-8")) if args.out.is_file() else {}
    result["paper_scale_bulk"] = paper
    _save(result, args.out)
    print(f"wrote {args.out}")
    return 0


def delete_generated(driver: Driver, database: str = "neo4j") -> int:
    """Delete every generated node (ids starting with `bench-`); returns how many."""
    deleted = 0
    with tqdm(desc="delete generated nodes", unit="node", file=sys.stderr) as bar:
        for query in DELETE_BENCH_BATCH.values():
            while n := driver.execute_query(query, prefix=PREFIX, database_=database).records[0]["n"]:
                deleted += n
                bar.update(n)
    return deleted


def _counts(driver: Driver) -> dict[str, Any]:
    stats = graph_stats(driver)
    return {"nodes": stats.nodes, "relationships": stats.relationships}


if __name__ == "__main__":
    sys.exit(main())
