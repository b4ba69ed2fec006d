"""Median time of Rasa's NLU pipeline per message, for benchmarks/turn_profile.py (runs in .venv-rasa).

    .venv-rasa/bin/python benchmarks/rasa_nlu_timer.py [--repeats 20] TEXT...

Loads models/current.tar.gz as the Rasa server does and prints, as the last line, a JSON object: text -> median ms
of `Agent.parse_message` (after one warm-up call per text)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # rasa_addons: the model's custom components


async def timings(texts: list[str], repeats: int) -> dict[str, float]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(ROOT / "models" / "current.tar.gz"))
    result = {}
    for text in texts:
        await agent.parse_message(text)
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            await agent.parse_message(text)
            times.append((time.perf_counter() - started) * 1000)
        result[text] = statistics.median(times)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("texts", nargs="+")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    print(json.dumps(asyncio.run(timings(args.texts, args.repeats)), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
