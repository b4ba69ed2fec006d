"""Cost curves: an item card, a search, a recommendation and a full action turn at 1k, 10k, 100k and 300k items.

    python benchmarks/cost_curves.py [--sizes 1000 10000 100000 300000] [--samples 60] [--label current]
    python benchmarks/cost_curves.py --plot-only      # re-draw the PNG from the committed JSON

Each size is a generated catalog (benchmarks/kg_import.py's generator) with the paper's proportions: POIs and SATISFY
links at 5/3 of the items (500k for 300k items), two values per item, a brand per 300 items, and a problem per 100
items (each needing 3 POIs; a scenario causes 3 problems). It is built with `build --bulk` into a scratch Neo4j
of its own (NEO4J_INSTANCE=bulk, home .neo4j-curves, Bolt port 7692, removed and made again for each size; the
assistant's graph is not touched), then timed in this process over that graph, each figure over `--samples` random
requests after 5 warm-ups:

- `item_card`: the card query of a random item (GraphStore.item_card);
- `search_linked`: "show me category 7 from Brand 12" (a linked category and brand filter the items);
- `search_words`: "anything in style42?" (a title word that one item in 997 has: the full-text index);
- `recommend`: "I'm in scenario 5, what helps?" (scenario → problems → POIs → values → items);
- `full_turn`: rasa-sdk's executor running action_search_items for "anything in style42?" with the tracker
  Rasa sends: the tracker read, the action, its service and queries, the events written.

Generated items have no text vectors, so semantic search is off (the service has no query encoder); Rasa's own share
of a turn (NLU, policies, tracker store: 30-50 ms, benchmarks/turn_profile.py) does not grow with the catalog and is
not included. `startup` is the time and memory to build the service over the graph (names loaded for linking).

Writes benchmarks/results/cost_curves.json (runs kept by `--label`) and cost_curves.png beside the README.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.kg_import import PREFIX, bulk_neo4j, ms_summary, write_paper_catalog
from benchmarks.turn_profile import webhook_body
from kg_builder.bulk_build import bulk_build
from kg_builder.config import PATHS, connect
from kg_builder.graph.bulk import Instance, instance_settings
from kg_builder.graph.stats import graph_stats

RESULTS = PATHS.benchmark_results
OUT = RESULTS / "cost_curves.json"
PLOT = PATHS.repo / "cost_curves.png"
HOME = PATHS.repo / ".neo4j-curves"
KINDS = ("item_card", "search_linked", "search_words", "recommend", "full_turn")
WARM_UPS = 5
PORTS = {"NEO4J_BULK_BOLT_PORT": "7692", "NEO4J_BULK_HTTP_PORT": "7479"}  # beside a bulk instance of the user's


def catalog_counts(items: int) -> dict[str, int]:
    """The generated catalog's sizes for `items` items (the paper's proportions)."""
    return {
        "items": items,
        "pois": items * 5 // 3,
        "satisfy": items * 5 // 3,
        "problems": max(3, items // 100),
        "brands": max(10, items // 300),
    }


def _neo4j(command: str) -> None:
    bulk_neo4j(command, HOME, **PORTS)


def fresh_instance() -> Instance:
    """Stop and remove the scratch instance at HOME, write its conf again: an empty, stopped database."""
    _neo4j("stop")
    shutil.rmtree(HOME, ignore_errors=True)
    _neo4j("conf")
    return Instance(HOME, PATHS.repo / "neo4j-server" / "lib")


def rss_mib() -> float:
    """This process's resident memory in MiB."""
    with open("/proc/self/statm", encoding="ascii") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def timed(run: Callable[[int], Any], samples: int) -> dict[str, float]:
    """p50/p95/mean ms of run(k) over random k, after WARM_UPS runs; `answered`: the share of runs with a result."""
    rng = random.Random(3)
    answered = 0
    times = []
    for index in range(WARM_UPS + samples):
        k = rng.randrange(10**9)
        started = time.perf_counter()
        result = run(k)
        elapsed = (time.perf_counter() - started) * 1000
        if index >= WARM_UPS:
            times.append(elapsed)
            answered += bool(result)
    return {**ms_summary(times), "answered": round(answered / samples, 3)}


def measure(instance: Instance, counts: dict[str, int], samples: int) -> dict[str, Any]:
    """Time each kind of request over the instance's graph."""
    from rasa_sdk.executor import ActionExecutor

    import actions.actions as rasa_actions
    from actions.assistant import ShoppingAssistant
    from actions.graph_store import Neo4jGraphStore

    items, scenarios = counts["items"], max(1, counts["problems"] // 3)
    with connect(instance_settings(instance)) as driver:
        store = Neo4jGraphStore(driver)
        memory, started = rss_mib(), time.perf_counter()
        assistant = ShoppingAssistant(store)
        startup = {"seconds": round(time.perf_counter() - started, 2), "rss_mib": round(rss_mib() - memory, 1)}
        rasa_actions._assistant = assistant  # the actions' service, over this graph
        executor = ActionExecutor()
        executor.register_package("actions")
        loop = asyncio.new_event_loop()

        def full_turn(k: int) -> bool:
            body = webhook_body(f"anything in style{k % 997}?", "search_items", "action_search_items", {})
            result = loop.run_until_complete(executor.run(body))
            events = result.events if result is not None else []
            return any(event.get("name") == "listed_items" and event.get("value") for event in events)

        runs: dict[str, Callable[[int], Any]] = {
            "item_card": lambda k: store.item_card(f"{PREFIX}i{k % items}"),
            "search_linked": lambda k: (
                assistant.search(f"show me category {k % 30} from Brand {k % counts['brands']}").listed_items
            ),
            "search_words": lambda k: assistant.search(f"anything in style{k % 997}?").listed_items,
            "recommend": lambda k: assistant.recommend(f"I'm in scenario {k % scenarios}, what helps?").listed_items,
            "full_turn": full_turn,
        }
        result = {kind: timed(runs[kind], samples) for kind in KINDS}
        loop.close()
        stats = graph_stats(driver)
    result["startup"] = startup
    result["graph"] = {"nodes": sum(stats.nodes.values()), "relationships": sum(stats.relationships.values())}
    return result


def run_size(items: int, samples: int) -> dict[str, Any]:
    """Generate, bulk-build and time one size; the scratch instance is stopped afterwards."""
    counts = catalog_counts(items)
    folder = RESULTS / "curve_catalog"
    shutil.rmtree(folder, ignore_errors=True)
    write_paper_catalog(
        folder, items, counts["pois"], counts["satisfy"], problems=counts["problems"], brands=counts["brands"]
    )
    instance = fresh_instance()
    started = time.perf_counter()
    report = bulk_build(folder, instance, lambda: _neo4j("start"), progress=True)
    print(report.summary())
    try:
        result = measure(instance, counts, samples)
    finally:
        _neo4j("stop")
    result["build_seconds"] = round(time.perf_counter() - started, 1)
    result["catalog"] = counts
    return result


def plot(runs: dict[str, Any], path: Path = PLOT) -> None:
    """Median ms per kind against items on log-log axes, one panel per run label (the current code last)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = sorted(runs, key=lambda label: (label == "current", label))
    figure, panels = plt.subplots(1, len(labels), figsize=(5.2 * len(labels), 4.6), dpi=110, sharey=True, squeeze=False)
    for axes, label in zip(panels[0], labels, strict=True):
        sizes = sorted(runs[label]["sizes"], key=int)
        for kind in KINDS:
            axes.plot(
                [int(size) for size in sizes],
                [runs[label]["sizes"][size][kind]["p50_ms"] for size in sizes],
                marker="o",
                label=kind,
            )
        axes.set_xscale("log")
        axes.set_yscale("log")
        axes.set_xlabel("items in the graph")
        axes.set_title(f"{label} ({runs[label].get('note', '')})" if runs[label].get("note") else label, fontsize=9)
        axes.grid(True, which="both", alpha=0.3)
    panels[0][0].set_ylabel("median ms (benchmarks/cost_curves.py)")
    panels[0][-1].legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path)
    print(f"wrote {path}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000, 300_000])
    parser.add_argument("--samples", type=int, default=60)
    parser.add_argument("--label", default="current", help="the run's name in the JSON (others are kept)")
    parser.add_argument("--note", default="", help="what the run measured, shown in the plot's title")
    parser.add_argument("--plot-only", action="store_true")
    args = parser.parse_args(argv)
    result = json.loads(OUT.read_text(encoding="utf-8")) if OUT.is_file() else {"runs": {}}
    if not args.plot_only:
        run: dict[str, Any] = {
            "machine": f"{platform.node()} {platform.machine()}, {os.cpu_count()} cores (shared), python "
            f"{platform.python_version()}",
            "samples": args.samples,
            "note": args.note,
            "commit": _commit(),
            "sizes": {},
        }
        result["runs"][args.label] = run
        for items in args.sizes:
            run["sizes"][str(items)] = run_size(items, args.samples)
            print(json.dumps({items: run["sizes"][str(items)]}, indent=1))
            OUT.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {OUT}")
    plot(result["runs"])
    summary = result["runs"].get(args.label, {}).get("sizes", {})
    for items, figures in summary.items():
        print(f"{items:>7} items: " + ", ".join(f"{kind} {figures[kind]['p50_ms']} ms" for kind in KINDS))
    return 0


def _commit() -> str:
    """The checked-out commit, with "+changes" when the tree differs from it."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=PATHS.repo)
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True, cwd=PATHS.repo
    )
    return head.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")


if __name__ == "__main__":
    sys.exit(main())
