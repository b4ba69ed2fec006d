"""What a turn costs as its conversation grows: one long conversation against the running assistant.

    make web && python benchmarks/conversation_length.py [--turns 300] [--bucket 50] [--label NAME]

One shopper sends `--turns` messages in one conversation, cycling through the built-in Chinese and English scripts
of benchmarks/assistant_latency.py (search, pick, property question, recommendation, store question, video), with no
pause: Rasa keeps the whole session (every event since the conversation started or was last idle for an hour) and
reads it back at each turn. For each `--bucket` consecutive turns: the p50 and p95 latency and the CPU milliseconds
per turn of each server (pid files in .run/, as in assistant_latency.py). `--warmup` turns (20 by default) run
first in a conversation of their own and are not counted. Writes benchmarks/results/conversation_length.json
(`runs`, keyed by `--label`, "default" without one; `no_session_limit` was run against `SESSION_MAX_TURNS=0 make
web`, see rasa_addons/session_length.py)."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import uuid

import requests
from tqdm import tqdm

from benchmarks.assistant_latency import (
    REST_URL,
    RESULTS,
    SCRIPTS,
    answered,
    conversation,
    cpu_seconds,
    percentile,
    rasa_answers,
)

OUT = RESULTS / "conversation_length.json"


def messages(turns: int) -> list[tuple[str, str]]:
    """`turns` (kind, text) messages: the built-in scripts, Chinese then English, over and over."""
    cycle = SCRIPTS["zh"] + SCRIPTS["en"]
    return [cycle[n % len(cycle)] for n in range(turns)]


def bucket_report(seconds: list[float], cpu_before: dict[str, float], cpu_after: dict[str, float]) -> dict:
    """p50/p95 of a bucket's turns and the CPU milliseconds per turn of each server."""
    used = {name: cpu_after[name] - cpu_before.get(name, 0.0) for name in cpu_after}
    return {
        "p50_ms": round(1000 * percentile(seconds, 0.50), 1),
        "p95_ms": round(1000 * percentile(seconds, 0.95), 1),
        "cpu_ms_per_turn": {name: round(1000 * value / len(seconds), 1) for name, value in used.items()},
    }


def run(url: str, turns: int, bucket: int) -> tuple[list[dict], int]:
    """The conversation, bucket by bucket; the reports and the number of turns that got no proper reply."""
    sender, reports, failed = f"bench-long-{uuid.uuid4().hex[:10]}", [], 0
    seconds: list[float] = []
    cpu_before = cpu_seconds()
    with requests.Session() as session:
        for n, (_, text) in enumerate(tqdm(messages(turns), desc="turns", unit="turn", file=sys.stderr), start=1):
            started = time.perf_counter()
            response = session.post(url, json={"sender": sender, "message": text}, timeout=120)
            seconds.append(time.perf_counter() - started)
            failed += not answered(response)
            if n % bucket == 0 or n == turns:
                cpu_after = cpu_seconds()
                reports.append(
                    {"turns": f"{n - len(seconds) + 1}-{n}", **bucket_report(seconds, cpu_before, cpu_after)}
                )
                seconds, cpu_before = [], cpu_after
    return reports, failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=REST_URL)
    parser.add_argument("--turns", type=int, default=300)
    parser.add_argument("--bucket", type=int, default=50, help="turns per reported row")
    parser.add_argument("--label", default="default", help="kept under this key of `runs`")
    parser.add_argument("--warmup", type=int, default=20, help="turns of a conversation run first, not counted")
    args = parser.parse_args()
    if args.turns < 1 or args.bucket < 1 or args.warmup < 0:
        parser.error("--turns and --bucket must be at least 1, --warmup at least 0")
    if not rasa_answers(args.url):
        return 2
    conversation(args.url, messages(args.warmup))  # not counted: servers just started are slower for a while
    reports, failed = run(args.url, args.turns, args.bucket)
    written = json.loads(OUT.read_text()) if OUT.is_file() else {"runs": {}}
    written["machine"] = {"platform": platform.platform(), "cpus": os.cpu_count()}
    written["runs"][args.label] = {
        "turns": args.turns,
        "failed_turns": failed,
        "buckets": reports,
        "warmup_turns": args.warmup,
        "command": f"python benchmarks/conversation_length.py --turns {args.turns} --bucket {args.bucket}"
        + ("" if args.label == "default" else f" --label {args.label}"),
        "measured": time.strftime("%Y-%m-%d %H:%M"),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(written, indent=2) + "\n")
    print("| turns | p50 ms | p95 ms | Rasa CPU ms | actions CPU ms |\n|---|---:|---:|---:|---:|")
    for row in reports:
        cpu = row["cpu_ms_per_turn"]
        print(f"| {row['turns']} | {row['p50_ms']} | {row['p95_ms']} | {cpu.get('rasa')} | {cpu.get('actions')} |")
    first, last = reports[0], reports[-1]
    print(
        f"conversation length: {args.turns} turns, {failed} failed; p50 {first['p50_ms']} ms in turns "
        f"{first['turns']}, {last['p50_ms']} ms in turns {last['turns']} -> {OUT}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
