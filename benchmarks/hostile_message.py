"""A hostile message while another conversation chats: how long the 1 MB (and 40,000-digit) messages take to be
answered through the REST channel, and whether a concurrent conversation's turns are delayed by them.

    make web && python benchmarks/hostile_message.py

A bystander conversation sends ordinary turns one after another; meanwhile the hostile messages are sent, each
several times. The bystander's turn times with and without the hostile traffic are compared. Writes
benchmarks/results/hostile_message.json.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import threading
import time
import uuid

import requests

from benchmarks.assistant_latency import REST_URL, rasa_answers, summary
from kg_builder.config import PATHS

URL = REST_URL
HOSTILE = {
    "1 MB mixed": ("口红 lipstick 💄 " * 70_000)[:1_000_000],
    "40,000 digits": "1" * 40_000,
    "40,000 spaces": "第" + " " * 40_000 + "个",
}
BYSTANDER = ["我想看看口红", "第二个", "它多少钱", "Can I see the T-shirts?", "the first one", "what is its price?"]


def send(session: requests.Session, sender: str, text: str) -> tuple[float, str]:
    started = time.perf_counter()
    response = session.post(URL, json={"sender": sender, "message": text}, timeout=120)
    reply = "\n".join(message.get("text") or "" for message in response.json()) if response.ok else response.text
    return time.perf_counter() - started, reply


def bystander(turns: int) -> list[float]:
    """Seconds per turn of an ordinary conversation."""
    sender, seconds = f"bench-{uuid.uuid4().hex[:8]}", []
    with requests.Session() as session:
        for n in range(turns):
            seconds.append(send(session, sender, BYSTANDER[n % len(BYSTANDER)])[0])
    return seconds


def main() -> int:
    if not rasa_answers(URL):
        return 2
    quiet = bystander(36)
    hostile: dict[str, list[float]] = {name: [] for name in HOSTILE}
    replies: dict[str, str] = {}
    done = threading.Event()

    def attack() -> None:
        with requests.Session() as session:
            while not done.is_set():
                for name, text in HOSTILE.items():
                    seconds, reply = send(session, f"bench-{uuid.uuid4().hex[:8]}", text)
                    hostile[name].append(seconds)
                    replies[name] = reply[:120]

    attacker = threading.Thread(target=attack)
    attacker.start()
    try:
        busy = bystander(36)
    finally:
        done.set()
        attacker.join()
    report = {
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "hostile": {name: summary(seconds) | {"reply": replies.get(name, "")} for name, seconds in hostile.items()},
        "bystander_alone": summary(quiet),
        "bystander_during_hostile_traffic": summary(busy),
    }
    PATHS.benchmark_results.mkdir(parents=True, exist_ok=True)
    out = PATHS.benchmark_results / "hostile_message.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    for name, figures in report["hostile"].items():
        print(f"{name}: {figures['turns']} sent, p50 {figures['p50_ms']:.0f} ms, p99 {figures['p99_ms']:.0f} ms")
    alone, during = report["bystander_alone"], report["bystander_during_hostile_traffic"]
    print(
        f"bystander p50 / p95: alone {alone['p50_ms']:.0f} / {alone['p95_ms']:.0f} ms, "
        f"during {during['p50_ms']:.0f} / {during['p95_ms']:.0f} ms -> {out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
