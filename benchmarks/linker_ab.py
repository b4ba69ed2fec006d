"""Before and after of issue 16's first cut: entity linking by a regex per name (before) against plain substring
search (after), the service time of four turns in one process over the same graph.

    make graph && python benchmarks/linker_ab.py [--repeats 20]

With about 800 names, the regex version compiled a pattern per name on every message (re's cache holds 512), which
was most of a search turn. Writes benchmarks/results/linker_ab.json (median ms per turn, each implementation)."""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from actions import entity_linking
from actions.actions import encode_query
from actions.assistant import ShoppingAssistant
from actions.entity_linking import EntityLinker, Mention
from actions.graph_store import shared_store
from benchmarks.turn_profile import median_ms
from kg_builder.config import PATHS


def regex_mentions(self: EntityLinker, text: str) -> list[Mention]:
    """The linker's mentions as they were before the cut: `re.finditer(re.escape(name), ...)` per name."""
    folded = text.casefold()
    taken = [False] * len(folded)
    found = []
    for kind, entity_id, name in self._names:
        for match in re.finditer(re.escape(name), folded):
            start, end = match.span()
            if any(taken[start:end]) or not entity_linking._word_bounded(folded, start, end, name):
                continue
            taken[start:end] = [True] * (end - start)
            found.append(Mention(kind, entity_id, start, end))
    return sorted(found, key=lambda mention: mention.start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--out", type=Path, default=PATHS.benchmark_results / "linker_ab.json")
    args = parser.parse_args()
    shop = ShoppingAssistant(shared_store(), encode=encode_query)
    turns: dict[str, Callable[[], Any]] = {
        "search zh": lambda: shop.search("我想看看口红"),
        "search en": lambda: shop.search("show me some yoghurt"),
        "recommend": lambda: shop.recommend("熬夜皮肤暗沉怎么办"),
        "property": lambda: shop.ask_property("它的价格是多少", "b05", []),
    }
    substring_mentions = EntityLinker.mentions
    result: dict[str, Any] = {"command": f"python benchmarks/linker_ab.py --repeats {args.repeats}"}
    for label, mentions in (("before_regex_per_name_ms", regex_mentions), ("after_substring_ms", substring_mentions)):
        EntityLinker.mentions = mentions  # type: ignore[method-assign]
        result[label] = {name: round(median_ms(turn, args.repeats), 1) for name, turn in turns.items()}
        print(label, result[label])
    EntityLinker.mentions = substring_mentions  # type: ignore[method-assign]
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    print(f"linker before/after over {len(turns)} turns, {args.repeats} repeats -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
