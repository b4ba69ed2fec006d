"""Where one turn's time goes: NLU, the policies, the action call, each graph query, the reply.

    make web && python benchmarks/turn_profile.py [--repeats 20]

For each kind of turn, one message (with the slots the conversation would have) is timed in four ways, each the
median over `--repeats` runs after a warm-up:

- `rest_ms`: the whole turn through the running Rasa server's REST channel (NLU, policies, the action call, reply);
- `nlu_ms`: Rasa's NLU pipeline alone, in a child process of .venv-rasa that loads the same model
  (benchmarks/rasa_nlu_timer.py);
- `action_http_ms`: the action server's webhook for the turn's action, called directly with the tracker Rasa
  would send (rasa-sdk, the action, its queries, the JSON reply; the message's e5 vector in the parse data, as the
  Rasa server hands it on: actions/query_vector.py);
- `service_ms` and `queries`: the action's plain-Python service (ShoppingAssistant) in this process over the same
  Neo4j, each store call timed (`queries`: name -> calls and total ms per turn), with the message's vector given
  to the encoder for the turn, as the action server does with the one Rasa sends.

What is left of `rest_ms` after NLU and the action call is the policies, the tracker store and lock store, and
Rasa's own handling (`rasa_rest_ms`). Writes benchmarks/results/turn_profile.json and prints a table.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import requests
from tqdm import tqdm

from actions.actions import encode_query
from actions.assistant import Reply, ShoppingAssistant
from actions.graph_store import shared_store
from actions.query_vector import PARSE_KEY, model_tag, pack
from kg_builder.config import PATHS
from kg_builder.textmodels.encoder import text_encoder
from rasa_sdk_plugins.action_token import caller_headers

RESULTS = PATHS.benchmark_results
ROOT = Path(__file__).resolve().parents[1]
REST = f"http://127.0.0.1:{os.environ.get('RASA_PORT', '5005')}/webhooks/rest/webhook"
ACTIONS = f"http://127.0.0.1:{os.environ.get('ACTIONS_PORT', '5055')}/webhook"
LIPSTICKS_TEXT = "我想看看口红"


@dataclass(frozen=True)
class TurnKind:
    """One kind of turn: the message, the intent NLU gives it, the action, the slots it needs, the service call."""

    name: str
    text: str
    intent: str
    action: str
    call: Callable[[ShoppingAssistant, dict[str, Any]], Reply]
    setup: tuple[str, ...] = ()  # messages sent first in the same REST conversation
    slots: dict[str, Any] = field(default_factory=dict)


def _turns(listed: list[str], state: dict[str, Any]) -> list[TurnKind]:
    """The profiled turns; `listed` / `state`: what "我想看看口红" lists, for the turns that follow a list."""
    after_list = {"listed_items": listed, "search_state": state}
    focus = {"listed_items": listed, "item_in_focus": listed[1]}
    return [
        TurnKind("search", LIPSTICKS_TEXT, "search_items", "action_search_items",
                 lambda s, _: s.search(LIPSTICKS_TEXT)),
        TurnKind("choose", "第二个", "choose_item", "action_choose_item",
                 lambda s, slots: s.choose("第二个", slots["listed_items"]), (LIPSTICKS_TEXT,), after_list),
        TurnKind("property", "它的价格是多少", "ask_property", "action_answer_property",
                 lambda s, slots: s.ask_property("它的价格是多少", slots["item_in_focus"], slots["listed_items"]),
                 (LIPSTICKS_TEXT, "第二个"), focus),
        TurnKind("refine", "不要美宝莲的", "refine_list", "action_refine_items",
                 lambda s, slots: s.refine("不要美宝莲的", slots["listed_items"], None, slots["search_state"]),
                 (LIPSTICKS_TEXT,), after_list),
        TurnKind("compare", "哪个最便宜", "compare_items", "action_compare_items",
                 lambda s, slots: s.compare("哪个最便宜", slots["listed_items"]), (LIPSTICKS_TEXT,), after_list),
        TurnKind("recommend", "熬夜皮肤暗沉怎么办", "ask_recommendation", "action_recommend",
                 lambda s, _: s.recommend("熬夜皮肤暗沉怎么办")),
        TurnKind("faq", "包邮吗", "ask_faq", "action_answer_faq", lambda s, _: s.faq("包邮吗")),
        TurnKind("search_en", "show me some yoghurt", "search_items", "action_search_items",
                 lambda s, _: s.search("show me some yoghurt")),
    ]  # fmt: skip


class TimedStore:
    """A GraphStore proxy that times every call by method name."""

    def __init__(self, store: Any) -> None:
        self._store = store
        self.calls: dict[str, list[float]] = {}

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._store, name)
        if not callable(method):
            return method

        @functools.wraps(method)
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                self.calls.setdefault(name, []).append((time.perf_counter() - started) * 1000)

        return timed


def median_ms(run: Callable[[], Any], repeats: int) -> float:
    """The median wall time of `run` in milliseconds, after one warm-up run."""
    run()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def rest_turn(turn: TurnKind, repeats: int) -> float:
    """The whole turn through Rasa's REST channel, each repeat a new conversation set up by the turn's setup."""
    times = []
    for index in range(repeats + 1):
        sender = f"profile-{turn.name}-{uuid.uuid4().hex[:8]}"
        for text in turn.setup:
            requests.post(REST, json={"sender": sender, "message": text}, timeout=60).raise_for_status()
        started = time.perf_counter()
        requests.post(REST, json={"sender": sender, "message": turn.text}, timeout=60).raise_for_status()
        if index:  # the first one warms up
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def message_vector(text: str) -> np.ndarray:
    """The e5 query vector the Rasa server's intent classifier makes for `text` (the same model, embedded anew)."""
    return text_encoder().encoder.embed([text], "query")[0]


def webhook_body(text: str, intent: str, action: str, slots: dict[str, Any]) -> dict[str, Any]:
    """The action server request Rasa sends for `action` after a user message (tracker with slots, one event)."""
    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": []}
    latest[PARSE_KEY] = pack(message_vector(text), model_tag())
    return {
        "next_action": action,
        "sender_id": "profile",
        "tracker": {
            "sender_id": "profile",
            "slots": slots,
            "latest_message": latest,
            "events": [{"event": "user", "text": text, "parse_data": latest, "input_channel": "rest"}],
            "active_loop": {},
        },
        "domain": {},
    }


def action_call(turn: TurnKind) -> Callable[[], Any]:
    """One webhook call of the turn's action with the tracker Rasa would send."""
    body = webhook_body(turn.text, turn.intent, turn.action, turn.slots)
    return lambda: requests.post(ACTIONS, json=body, headers=caller_headers(), timeout=60).raise_for_status()


def nlu_times(texts: list[str], repeats: int) -> dict[str, float]:
    """Median NLU time per text, from a .venv-rasa child that loads the model (benchmarks/rasa_nlu_timer.py)."""
    rasa_python = ROOT / ".venv-rasa" / "bin" / "python"
    command = [str(rasa_python), str(ROOT / "benchmarks" / "rasa_nlu_timer.py"), "--repeats", str(repeats), *texts]
    result = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(result.stdout.strip().splitlines()[-1])


def service_profile(assistant: ShoppingAssistant, store: TimedStore, turn: TurnKind, repeats: int) -> dict[str, Any]:
    """Median service time, and the store calls of one turn (calls and median ms per call name)."""
    service = median_ms(lambda: turn.call(assistant, turn.slots), repeats)
    store.calls.clear()
    turn.call(assistant, turn.slots)
    queries = {name: {"calls": len(times), "ms": round(sum(times), 2)} for name, times in store.calls.items()}
    return {"service_ms": round(service, 2), "queries": queries}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--out", type=Path, default=RESULTS / "turn_profile.json")
    args = parser.parse_args()

    store = TimedStore(shared_store())
    assistant = ShoppingAssistant(store, encode=encode_query)  # type: ignore[arg-type]
    first = assistant.search(LIPSTICKS_TEXT)
    turns = _turns(first.listed_items or [], first.search_state or {})
    nlu = nlu_times([turn.text for turn in turns], args.repeats)
    rows = []
    for turn in tqdm(turns, desc="turn kinds", unit="kind"):
        row: dict[str, Any] = {"kind": turn.name, "text": turn.text, "action": turn.action}
        row["rest_ms"] = round(rest_turn(turn, args.repeats), 2)
        row["nlu_ms"] = round(nlu[turn.text], 2)
        row["action_http_ms"] = round(median_ms(action_call(turn), args.repeats), 2)
        with text_encoder().given_query(turn.text, message_vector(turn.text)):  # as the action server does
            row |= service_profile(assistant, store, turn, args.repeats)
        row["rasa_rest_ms"] = round(row["rest_ms"] - row["nlu_ms"] - row["action_http_ms"], 2)
        rows.append(row)
    result = {
        "command": f"python benchmarks/turn_profile.py --repeats {args.repeats}",
        "machine": f"{platform.node()}: {os.cpu_count()} CPUs, {platform.platform()}",
        "measured": time.strftime("%Y-%m-%d %H:%M:%S"),
        "turns": rows,
    }
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    print(f"{'turn':10} {'REST':>7} {'NLU':>7} {'action':>7} {'service':>8} {'rest of Rasa':>12}  queries (calls, ms)")
    for row in rows:
        queries = ", ".join(f"{name} {q['calls']}x {q['ms']:.1f}" for name, q in row["queries"].items())
        print(
            f"{row['kind']:10} {row['rest_ms']:7.1f} {row['nlu_ms']:7.1f} {row['action_http_ms']:7.1f} "
            f"{row['service_ms']:8.1f} {row['rasa_rest_ms']:12.1f}  {queries}"
        )
    print(f"profiled {len(rows)} turn kinds, {args.repeats} repeats each -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
