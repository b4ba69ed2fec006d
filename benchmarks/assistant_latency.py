"""Latency of the running assistant under concurrent conversations over the REST channel.

    make web && python benchmarks/assistant_latency.py [--mode closed_loop] [--conversations 40 --concurrency 20]
    python benchmarks/assistant_latency.py --mode single [--conversations 10]
    python benchmarks/assistant_latency.py --mode open_loop [--rate 20 --conversations 200]
    python benchmarks/assistant_latency.py --script benchmarks/conversations/unseen.json   # someone else's words

Modes (issue 16): `closed_loop` keeps `--concurrency` conversations going with no pause between turns; `single` is
one conversation at a time; `open_loop` sends turns as shoppers type them: turns arrive as a Poisson stream of
`--rate` a second, each the next message of one of `--conversations` shoppers, chosen at random among those not
waiting for a reply, and each is timed from its arrival. (Before 2026-11-27 each shopper paused an exponential
while after its own reply; the stream then thinned out as shoppers finished, and averaged under half the rate.)

Each conversation is a scripted session in one language (search, pick, property question, recommendation, store
question, video), sent turn by turn to the Rasa server, which calls the action server, which queries Neo4j.
`--script FILE` takes the conversations from a JSON file instead (`{"conversations": [{"language": .., "turns":
[{"kind": .., "text": ..}]}]}`, used in turn; the result is kept under `<mode>:<file name>`, e.g.
`closed_loop:unseen`; `--label` adds its own part to the key, e.g. `closed_loop:2_rasa_processes`). `--warmup`
conversations (20 by default, 20 at a time) run first and are not counted: servers just started are slower for a
while (measured with 2 Rasa processes: about 24 turns/s in the first closed-loop run after a restart, 33-38 in
the next ones). Prints
p50/p95/p99 per turn (overall and per kind of turn), turns per second and the CPU milliseconds per turn of each
server (pid files in .run/, with their children) and of the load generator, and writes
benchmarks/results/assistant_latency.json. A turn fails when the HTTP call fails (an error status; a refused
connection or a timeout stops the run), when it gets no reply, or when the reply is one of the assistant's apologies
for something broken (graph, FAQ, video or action server down): those count in `failed_turns`, not as replies.
Files written before issue 13 have `turns_without_reply` instead, which counted only error statuses and empty replies.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import requests
from tqdm import tqdm

from actions.messages import MESSAGES
from kg_builder.config import PATHS

RESULTS = PATHS.benchmark_results
SCRIPTS = {
    "zh": [
        ("greet", "你好"),
        ("search", "我想看看面膜"),
        ("choose", "第二个"),
        ("property", "它的成分是什么"),
        ("recommend", "我经常熬夜，皮肤暗沉，买什么好？"),
        ("faq", "发什么快递呢"),
        ("video", "看短视频"),
    ],
    "en": [
        ("greet", "hello"),
        ("search", "Can I see the lipstick?"),
        ("choose", "the first one"),
        ("property", "What is its color?"),
        ("recommend", "I stay up late and my skin looks dull, what should I buy?"),
        ("faq", "do you offer free shipping?"),
        ("video", "can I watch a video of it?"),
    ],
}


# The starts of the apologies for a broken part (actions/messages.py, and domain.yml's utter_action_failed).
BROKEN = ("graph_unavailable", "faq_unavailable", "video_failed")
APOLOGIES = tuple(MESSAGES[key][lang][:12] for key in BROKEN for lang in ("zh", "en")) + (
    "抱歉，我这边出了点问题",
    "Sorry, something went wrong on my side",
)


def answered(response: requests.Response) -> bool:
    """True for a reply that is not an apology for a broken part."""
    if not response.ok or not response.json():
        return False
    return not any((message.get("text") or "").startswith(APOLOGIES) for message in response.json())


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of the values fall (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


Script = list[tuple[str, str]]  # (kind of turn, message) in order
DEFAULT_SCRIPTS = [SCRIPTS["zh"], SCRIPTS["en"]]


def load_scripts(path: Path) -> list[Script]:
    """The conversations of a --script file, each as (kind, text) turns; a clear error names what is wrong."""
    try:
        conversations = json.loads(path.read_text(encoding="utf-8"))["conversations"]
        scripts = [[(str(turn["kind"]), str(turn["text"])) for turn in c["turns"]] for c in conversations]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise SystemExit(f"error: {path} is not a conversations file ({type(error).__name__}: {error})") from error
    if not scripts or not all(scripts):
        raise SystemExit(f"error: {path} has no conversations, or one without turns")
    return scripts


def conversation(url: str, script: Script) -> list[tuple[str, float, bool]]:
    """Run one scripted conversation; (kind of turn, seconds, answered) per turn."""
    sender, timings = f"bench-{uuid.uuid4().hex[:10]}", []
    with requests.Session() as session:
        for kind, text in script:
            started = time.perf_counter()
            response = session.post(url, json={"sender": sender, "message": text}, timeout=120)
            timings.append((kind, time.perf_counter() - started, answered(response)))
    return timings


def summary(seconds: list[float]) -> dict[str, float]:
    return {
        "turns": len(seconds),
        "p50_ms": 1000 * percentile(seconds, 0.50),
        "p95_ms": 1000 * percentile(seconds, 0.95),
        "p99_ms": 1000 * percentile(seconds, 0.99),
        "mean_ms": 1000 * statistics.mean(seconds),
    }


REST_URL = f"http://127.0.0.1:{os.environ.get('RASA_PORT', '5005')}/webhooks/rest/webhook"


def load_arguments(description: str, conversations: int, concurrency: int) -> argparse.Namespace:
    """--url, --conversations and --concurrency, with these defaults."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=REST_URL)
    parser.add_argument("--conversations", type=int, default=conversations)
    parser.add_argument("--concurrency", type=int, default=concurrency)
    return parser.parse_args()


def rasa_answers(url: str) -> bool:
    """Warm the Rasa server up with one turn; False, with a message, when it does not answer."""
    try:
        requests.post(url, json={"sender": "bench-warmup", "message": "你好"}, timeout=60).raise_for_status()
    except requests.RequestException as error:
        print(f"error: the Rasa server is not answering at {url} ({error}); start it with `make web`", file=sys.stderr)
        return False
    return True


Turn = TypeVar("Turn")


def run_conversations(
    one: Callable[[str, Script], list[Turn]],
    url: str,
    count: int,
    concurrency: int,
    scripts: list[Script],
    label: str = "conversations",
) -> tuple[list[Turn], float]:
    """`count` conversations (the scripts in turn) through `one(url, script)`, `concurrency` at a time, with a
    progress bar; returns every turn and the wall-clock seconds."""
    chosen = [scripts[n % len(scripts)] for n in range(count)]
    results: list[Turn] = []
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        futures = [pool.submit(one, url, script) for script in chosen]
        for future in tqdm(futures, desc=label, unit="conv", file=sys.stderr):
            results += future.result()
    return results, time.perf_counter() - started


class OpenLoop:
    """Shoppers for the open loop: each holds its script's turns left, and is idle while it is not waiting for a
    reply (a shopper never types before the previous reply has come)."""

    def __init__(self, url: str, shoppers: int, scripts: list[Script]) -> None:
        self.url = url
        self.left = {n: list(scripts[n % len(scripts)]) for n in range(shoppers)}
        self.senders = {n: f"bench-{uuid.uuid4().hex[:10]}" for n in range(shoppers)}
        self.sessions = {n: requests.Session() for n in range(shoppers)}  # one connection each, as in a closed loop
        self.idle = set(range(shoppers))
        self.results: list[tuple[str, float, bool]] = []
        self.error: requests.RequestException | None = None  # a refused connection or a timeout stops the run
        self._lock = threading.Lock()

    def next_turn(self, rng: random.Random) -> tuple[int, str, str] | None:
        """An idle shopper with turns left, chosen at random, and its next turn; None when all are busy. Raises the
        error of a turn that could not be sent."""
        with self._lock:
            if self.error is not None:
                raise self.error
            if not self.idle:
                return None
            shopper = rng.choice(sorted(self.idle))
            self.idle.discard(shopper)
            kind, text = self.left[shopper].pop(0)
            return shopper, kind, text

    def send(self, shopper: int, kind: str, text: str, arrived: float) -> None:
        """One turn, timed from its arrival (not from the moment it was sent: nothing waits unmeasured)."""
        try:
            response = self.sessions[shopper].post(
                self.url, json={"sender": self.senders[shopper], "message": text}, timeout=120
            )
        except requests.RequestException as error:
            with self._lock:
                self.error = error
            return
        with self._lock:
            self.results.append((kind, time.perf_counter() - arrived, answered(response)))
            if self.left[shopper]:
                self.idle.add(shopper)


def open_loop(
    url: str, shoppers: int, rate: float, scripts: list[Script], seed: int = 16
) -> tuple[list[tuple[str, float, bool]], float, int]:
    """Turns arriving as a Poisson stream of `rate` a second, each the next turn of an idle shopper chosen at
    random, until every shopper's script is done. Returns the turns, the wall-clock seconds and how many arrivals
    found every shopper busy (they are sent as soon as one is free, timed from their arrival)."""
    loop, rng = OpenLoop(url, shoppers, scripts), random.Random(seed)
    turns, waited = sum(len(left) for left in loop.left.values()), 0
    started = arrival = time.perf_counter()
    with ThreadPoolExecutor(max_workers=shoppers) as pool:
        futures = []
        for _ in tqdm(range(turns), desc="arrivals", unit="turn", file=sys.stderr):
            arrival += rng.expovariate(rate)
            time.sleep(max(0.0, arrival - time.perf_counter()))
            chosen = loop.next_turn(rng)
            waited += chosen is None
            while chosen is None:
                time.sleep(0.002)
                chosen = loop.next_turn(rng)
            futures.append(pool.submit(loop.send, *chosen, arrival))
        for future in futures:
            future.result()
    if loop.error is not None:
        raise loop.error
    return loop.results, time.perf_counter() - started, waited


RUN_DIR = Path(os.environ.get("RUN_DIR", PATHS.repo / ".run"))


def process_tree(pid: int) -> list[int]:
    """The pid and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo += children.get(current, [])
    return tree


def server_processes() -> dict[str, list[int]]:
    """Each server the project started (pid files in .run/) with its process and all its children."""
    found = {}
    for pid_file in sorted(RUN_DIR.glob("*.pid")):
        try:
            found[pid_file.stem] = process_tree(int(pid_file.read_text().split()[0]))
        except (OSError, ValueError, IndexError):
            continue
    return found


def rasa_processes() -> int:
    """The Rasa server's processes (RASA_WORKERS; with more than one, the workers and the parent that watches them),
    from its pid file; 0 when it is not ours."""
    return len(server_processes().get("rasa", []))


def cpu_seconds() -> dict[str, float]:
    """CPU seconds (user + system) used so far by each server the project started (pid files in .run/, each with
    its children) and by this load generator."""
    tick = os.sysconf("SC_CLK_TCK")
    used = {}
    for name, pids in server_processes().items():
        try:
            fields = [Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split() for pid in pids]
            used[name] = sum(int(t) for own in fields for t in own[11:15]) / tick  # its own and its ended children's
        except (OSError, ValueError, IndexError):
            continue
    own = os.times()
    used["load generator"] = own.user + own.system
    return used


def mode_report(results: list[tuple[str, float, bool]], wall: float, **setting: float) -> dict:
    """One mode's figures: its setting, turns/s, failed turns, p50/p95/p99 overall and per kind of turn."""
    kinds = sorted({kind for kind, _, _ in results})
    return {
        **setting,
        "wall_seconds": wall,
        "turns_per_second": len(results) / wall,
        "failed_turns": sum(not replied for _, _, replied in results),
        "overall": summary([seconds for _, seconds, _ in results]),
        "per_kind": {kind: summary([s for k, s, _ in results if k == kind]) for kind in kinds},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=REST_URL)
    parser.add_argument("--mode", choices=("closed_loop", "single", "open_loop"), default="closed_loop")
    parser.add_argument("--conversations", type=int, help="default: 40 closed loop, 10 single, 200 open loop")
    parser.add_argument("--concurrency", type=int, default=20, help="closed loop")
    parser.add_argument("--rate", type=float, default=20.0, help="open loop: turns a second in all")
    parser.add_argument("--script", type=Path, help="conversations from this JSON file instead of the built-in two")
    parser.add_argument("--label", help="kept under `<mode>:<label>` (e.g. a setting of the servers being compared)")
    parser.add_argument(
        "--warmup", type=int, default=20, help="conversations run first, 20 at a time, and not counted (default 20)"
    )
    args = parser.parse_args()
    scripts = load_scripts(args.script) if args.script else DEFAULT_SCRIPTS
    if not rasa_answers(args.url):
        return 2
    if args.warmup > 0:  # servers just started are slower for a while (lazy loading, Neo4j's JIT, caches)
        run_conversations(conversation, args.url, args.warmup, min(20, args.warmup), scripts, "warm-up")
    cpu_before = cpu_seconds()
    if args.mode == "open_loop":
        shoppers = args.conversations or 200
        results, wall, waited = open_loop(args.url, shoppers, args.rate, scripts)
        report = mode_report(results, wall, arrival_rate=args.rate, conversations=shoppers)
        report["arrivals_that_found_every_shopper_busy"] = waited
    else:
        concurrency = 1 if args.mode == "single" else args.concurrency
        count = args.conversations or (10 if args.mode == "single" else 40)
        results, wall = run_conversations(conversation, args.url, count, concurrency, scripts)
        report = mode_report(results, wall, concurrency=concurrency, conversations=count)
    cpu_used = {name: seconds - cpu_before.get(name, 0.0) for name, seconds in cpu_seconds().items()}
    report["cpu_ms_per_turn"] = {name: round(1000 * seconds / len(results), 1) for name, seconds in cpu_used.items()}
    report["warmup_conversations"] = max(0, args.warmup)
    if args.script:
        report["script"] = str(args.script)
    report["rasa_processes"] = rasa_processes()
    key = ":".join([args.mode, *([args.script.stem] if args.script else []), *([args.label] if args.label else [])])
    out = RESULTS / "assistant_latency.json"
    written = json.loads(out.read_text()) if out.is_file() else {}
    if "modes" not in written:  # a file from before issue 16: one closed-loop run, kept as it was
        written = {"before_issue_16": written, "modes": {}}
    written["machine"] = {"platform": platform.platform(), "cpus": os.cpu_count()}
    written["modes"][key] = {**report, "measured": time.strftime("%Y-%m-%d %H:%M")}
    RESULTS.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(written, indent=2) + "\n")
    print(f"{key}: {len(results)} turns in {wall:.1f} s: {report['turns_per_second']:.2f} turns/s, "
          f"{report['failed_turns']} failed -> {out}")  # fmt: skip
    print("CPU ms per turn: " + ", ".join(f"{name} {ms}" for name, ms in report["cpu_ms_per_turn"].items()))
    print("| turn | turns | p50 ms | p95 ms | p99 ms |\n|---|---|---|---|---|")
    for kind, figures in [("all", report["overall"]), *report["per_kind"].items()]:
        print(
            f"| {kind} | {figures['turns']} | {figures['p50_ms']:.0f} | {figures['p95_ms']:.0f} "
            f"| {figures['p99_ms']:.0f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
