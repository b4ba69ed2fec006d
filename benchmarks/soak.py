"""Soak test of the running, locked-down, persistent set-up: many conversations of 10 turns through the REST channel,
both languages, and the resident memory of every process the project started, before and after.

    make web && python benchmarks/soak.py [--conversations 1000 --concurrency 20]

A turn fails when the HTTP call fails, gets no reply, or gets an apology for a broken part (as in
benchmarks/assistant_latency.py). Writes benchmarks/results/soak.json.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
import uuid
from pathlib import Path

import requests

from benchmarks.assistant_latency import (
    SCRIPTS,
    Script,
    answered,
    load_arguments,
    rasa_answers,
    rasa_processes,
    run_conversations,
    server_processes,
    summary,
)
from kg_builder.config import PATHS

# Ten turns: the latency benchmark's seven, then a price question, another pick and thanks.
SOAK_SCRIPTS = {
    "zh": [*SCRIPTS["zh"], ("property", "它多少钱"), ("choose", "第一个"), ("thank", "谢谢")],
    "en": [*SCRIPTS["en"], ("property", "what is its price?"), ("choose", "the second one"), ("thank", "thanks")],
}


def conversation(url: str, script: Script) -> list[tuple[str, float, bool, str]]:
    """One scripted conversation; (kind of turn, seconds, answered, first reply line) per turn."""
    sender, turns = f"soak-{uuid.uuid4().hex[:10]}", []
    with requests.Session() as session:
        for kind, text in script:
            started = time.perf_counter()
            try:
                response = session.post(url, json={"sender": sender, "message": text}, timeout=120)
                ok = answered(response)
                first = (
                    ((response.json() or [{}])[0].get("text") or "")[:80] if response.ok else str(response.status_code)
                )
            except (requests.RequestException, ValueError) as error:
                ok, first = False, f"{type(error).__name__}: {error}"[:80]
            turns.append((kind, time.perf_counter() - started, ok, first))
    return turns


def resident_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def memory() -> dict[str, float]:
    """Resident memory (MB) of each process the project started (pid files in .run/), with its children."""
    found = {}
    for name, pids in server_processes().items():
        try:
            found[name] = round(sum(resident_mb(p) for p in pids if Path(f"/proc/{p}").exists()), 1)
        except (OSError, ValueError, IndexError):
            continue
    return found


def main() -> int:
    args = load_arguments(__doc__ or "", conversations=1000, concurrency=20)
    if not rasa_answers(args.url):
        return 2
    before = memory()
    results, wall = run_conversations(
        conversation, args.url, args.conversations, args.concurrency, [SOAK_SCRIPTS["zh"], SOAK_SCRIPTS["en"]], "soak"
    )
    after = memory()
    failures = [(kind, first) for kind, _, ok, first in results if not ok]
    report = {
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "conversations": args.conversations,
        "turns_per_conversation": len(SOAK_SCRIPTS["zh"]),
        "concurrency": args.concurrency,
        "rasa_processes": rasa_processes(),
        "wall_seconds": round(wall, 1),
        "turns": len(results),
        "turns_per_second": round(len(results) / wall, 2),
        "failed_turns": len(failures),
        "failed_examples": failures[:10],
        "latency": summary([seconds for _, seconds, _, _ in results]),
        "resident_mb_before": before,
        "resident_mb_after": after,
    }
    PATHS.benchmark_results.mkdir(parents=True, exist_ok=True)
    (PATHS.benchmark_results / "soak.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(
        f"soak: {len(results)} turns in {wall:.0f} s ({report['turns_per_second']} turns/s), {len(failures)} failed; "
        f"resident MB before {before} after {after}"
    )
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
