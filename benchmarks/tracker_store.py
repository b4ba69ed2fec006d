"""The tracker store's cost per turn: rasa_addons' ExpiringSQLTrackerStore against Rasa's SQLTrackerStore, on the
tracker store that endpoints.yml names (the project's PostgreSQL after `make stores`), in one process, in turns.

    source scripts/env.sh && .venv-rasa/bin/python benchmarks/tracker_store.py [--rounds 300] [--repeats 3]

A round is one turn's work: a conversation of `--turns` search turns and a new message (31 events by default, as
in the fifth turn of the latency benchmark's conversations) is retrieved, 5 events are added (as a search turn adds
them) and saved. For each store: CPU milliseconds of this process per round and the p50 of the retrieval and of the
save, in `--repeats` blocks of `--rounds` rounds, the stores taking turns. The conversations (senders `bench-store-...`)
are deleted at the end. Then the sweep's search for idle conversations (read only, nothing is deleted): its query
through the timestamp index against the earlier full-table GROUP BY, on the table as it is (`stored_events`).
Writes benchmarks/results/tracker_store.json."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.core.utils import read_endpoints_from_path
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

REPO = Path(__file__).resolve().parent.parent
RESULT = REPO / "benchmarks" / "results" / "tracker_store.json"
PREFIX = "bench-store-"


def turn_events() -> list[Any]:
    """What a search turn adds to a conversation."""
    return [
        ActionExecuted("action_search_items"),
        BotUttered("为您找到5件商品：1. …"),
        SlotSet("language", "zh"),
        SlotSet("listed_items", ["s1", "s2", "s3", "s4", "s5"]),
        ActionExecuted("action_listen"),
    ]


async def conversation(store: SQLTrackerStore, turns: int) -> str:
    """A stored conversation of `turns` search turns and a new user message (6 events a turn); its sender id."""
    sender = f"{PREFIX}{uuid.uuid4().hex[:12]}"
    tracker = DialogueStateTracker(sender, [])
    for _ in range(turns):
        for event in [UserUttered("我想看看口红"), *turn_events()]:
            tracker.update(event)
    tracker.update(UserUttered("第二个"))
    await store.save(tracker)
    return sender


async def rounds(store: SQLTrackerStore, count: int, turns: int) -> dict[str, float]:
    """`count` rounds of retrieve, update, save; CPU ms per round and the p50 of each step."""
    senders = [await conversation(store, turns) for _ in range(count)]
    retrieve, save, cpu = [], [], 0.0
    for sender in senders:
        started_cpu, started = time.process_time(), time.perf_counter()
        tracker = await store.retrieve(sender)
        retrieved = time.perf_counter()
        for event in turn_events():
            tracker.update(event)
        await store.save(tracker)
        save.append(time.perf_counter() - retrieved)
        retrieve.append(retrieved - started)
        cpu += time.process_time() - started_cpu
    return {
        "cpu_ms_per_round": round(cpu / count * 1000, 3),
        "retrieve_p50_ms": round(statistics.median(retrieve) * 1000, 3),
        "save_p50_ms": round(statistics.median(save) * 1000, 3),
    }


def forget(store: SQLTrackerStore) -> None:
    """Delete the benchmark's conversations."""
    events = store.SQLEvent.__table__
    with store.engine.begin() as connection:
        connection.execute(sa.delete(events).where(events.c.sender_id.like(f"{PREFIX}%")))


def sweep_queries(store: TrackerStore, repeats: int = 5) -> dict[str, Any]:
    """The p50 milliseconds of finding the conversations idle for longer than the store's limit: the store's query
    (through the timestamp index) and the full-table GROUP BY it replaced; both must find the same senders."""
    events = store.SQLEvent
    cutoff = time.time() - store.expire_after_seconds
    full_scan = sa.select(events.sender_id).group_by(events.sender_id).having(sa.func.max(events.timestamp) < cutoff)
    queries = {"index": store._idle_query(cutoff), "full_scan": full_scan}
    timings: dict[str, list[float]] = {name: [] for name in queries}
    found: dict[str, set[str]] = {}
    with store.session_scope() as session:
        stored = session.execute(sa.select(sa.func.count()).select_from(events)).scalar_one()
        older = session.execute(sa.select(sa.func.count()).where(events.timestamp < cutoff)).scalar_one()
        for _ in range(repeats):
            for name, query in queries.items():
                started = time.perf_counter()
                found[name] = set(session.execute(query).scalars())
                timings[name].append(time.perf_counter() - started)
    if found["index"] != found["full_scan"]:
        raise AssertionError(f"the sweep's queries disagree: {len(found['index'])} against {len(found['full_scan'])}")
    return {
        "stored_events": stored,
        "events_older_than_the_limit": older,  # what the index query reads (0: the best case)
        "idle_conversations": len(found["index"]),
        **{f"{name}_query_p50_ms": round(statistics.median(times) * 1000, 2) for name, times in timings.items()},
    }


async def measure(rounds_per_block: int, repeats: int, turns: int) -> dict[str, Any]:
    endpoint = read_endpoints_from_path(str(REPO / "endpoints.yml")).tracker_store
    ours = TrackerStore.create(endpoint, Domain.empty())
    settings = {key: value for key, value in endpoint.kwargs.items() if key not in ("expire_after_hours",)}
    rasa = SQLTrackerStore(domain=Domain.empty(), host=endpoint.url, **settings)
    stores = {"ours": ours, "rasa": rasa}
    blocks: dict[str, list[dict[str, float]]] = {name: [] for name in stores}
    try:
        await rounds(ours, 20, turns)  # warm both pools and SQLAlchemy's caches
        await rounds(rasa, 20, turns)
        for _ in range(repeats):
            for name, store in stores.items():
                blocks[name].append(await rounds(store, rounds_per_block, turns))
    finally:
        forget(ours)
    sweep = sweep_queries(ours)
    return {
        name: {key: statistics.median(block[key] for block in runs) for key in runs[0]} | {"blocks": runs}
        for name, runs in blocks.items()
    } | {"store_types": {name: type(store).__name__ for name, store in stores.items()}, "sweep": sweep}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--turns", type=int, default=5, help="turns already in each conversation")
    args = parser.parse_args()
    os.chdir(REPO)
    result = asyncio.run(measure(args.rounds, args.repeats, args.turns))
    result |= {
        "events_retrieved": 6 * args.turns + 1,
        "command": "python benchmarks/tracker_store.py "
        f"--rounds {args.rounds} --repeats {args.repeats} --turns {args.turns}",
        "measured": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}",
    }
    RESULT.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    for name in ("ours", "rasa"):
        print(f"{result['store_types'][name]:24s}", {k: v for k, v in result[name].items() if k != "blocks"})
    print("sweep:", result["sweep"])
    print(f"tracker store: {args.repeats} x {args.rounds} rounds each -> {RESULT}")


if __name__ == "__main__":
    main()
