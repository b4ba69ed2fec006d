"""Item retrieval on hand-judged shopper queries: today's ranking against the one with semantic search fused in.

    python benchmarks/retrieval.py

Queries and grades: data/knowledge/retrieval_judgements.tsv (262 queries in Chinese, English and mixed, written as
shoppers type them, each item graded 2 / 1 / 0 by reading it; see the file's header). Rankers, on the graph that
`make graph` built (read only):
- before: the assistant without a query encoder (linked category/brand or full-text candidates, the enhanced
  similarity, the full-text score);
- after: the same with the e5 vector index fused in (actions.retrieval.Fusion); its settings are chosen by nDCG@5 on
  the dev queries from a small grid (objective: 0.8 x nDCG@5 + 0.2 x the share of the queries for things the catalog
  does not have that are answered with an empty list), and the test queries report.
nDCG@5 uses gains 2^grade - 1 over the ideal order of every judged item; P@1 counts a top item of grade >= 1 (and
`exact_p1` one of grade 2); both average over the queries with a relevant item. Queries for things the catalog does
not have report the share answered with an empty list. Writes benchmarks/results/retrieval.json and the `retrieval`
section of benchmarks/results/quality.json.
"""

from __future__ import annotations

import csv
import itertools
import json
import math
import platform
import time
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Any

from tqdm import tqdm

from actions.entity_linking import EntityLinker
from actions.graph_store import GraphStore, Neo4jGraphStore
from actions.retrieval import DEFAULT_FUSION, Fusion, ItemRetriever
from kg_builder.config import PATHS, Neo4jSettings, connect
from kg_builder.textmodels.encoder import text_encoder

RESULTS = PATHS.benchmark_results
JUDGEMENTS = PATHS.knowledge / "retrieval_judgements.tsv"
CUTOFF = 5
NO_MATCH_WEIGHT = 0.2  # the objective's share for answering "nothing" to what the catalog does not have
GRID = {"vector": (0.5, 1.0, 2.0), "text": (0.0, 0.5), "vector_z": (2.5, 3.0, 3.5, 4.0)}


@dataclass(frozen=True)
class JudgedQuery:
    query_id: str
    lang: str
    split: str
    text: str
    grades: dict[str, int]  # item id -> grade > 0 (empty: the catalog has nothing for it)


def read_judgements() -> list[JudgedQuery]:
    lines = [line for line in JUDGEMENTS.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    grades: dict[tuple[str, str, str, str], dict[str, int]] = defaultdict(dict)
    header = ["query_id", "lang", "split", "query", "item_id", "grade"]
    for row in csv.DictReader(lines, fieldnames=header, delimiter="\t", quoting=csv.QUOTE_NONE):
        key = (row["query_id"], row["lang"], row["split"], row["query"])
        if row["item_id"] != "-" and int(row["grade"]) > 0:
            grades[key][row["item_id"]] = int(row["grade"])
        else:
            grades.setdefault(key, {})
    return [JudgedQuery(*key, found) for key, found in sorted(grades.items())]


def ndcg(ranked: list[str], grades: dict[str, int], cutoff: int = CUTOFF) -> float:
    dcg = sum((2 ** grades.get(item, 0) - 1) / math.log2(rank + 2) for rank, item in enumerate(ranked[:cutoff]))
    ideal = sorted(grades.values(), reverse=True)[:cutoff]
    best = sum((2**grade - 1) / math.log2(rank + 2) for rank, grade in enumerate(ideal))
    return dcg / best if best else 0.0


def measure(retriever: ItemRetriever, queries: list[JudgedQuery]) -> dict[str, Any]:
    """nDCG@5 and P@1 over the queries with relevant items, per language and all; empty answers to the others."""
    per_lang: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
    empty_answers, no_match = 0, 0
    for query in queries:
        ranked = [item.id for item in retriever.search(retriever.understand(query.text), limit=CUTOFF)]
        if not query.grades:
            no_match += 1
            empty_answers += not ranked
            continue
        top = query.grades.get(ranked[0], 0) if ranked else 0
        figures = (ndcg(ranked, query.grades), float(top >= 1), float(top == 2))
        per_lang[query.lang].append(figures)
        per_lang["all"].append(figures)
    report: dict[str, Any] = {
        lang: {
            "ndcg5": round(sum(f[0] for f in rows) / len(rows), 3),
            "p1": round(sum(f[1] for f in rows) / len(rows), 3),
            "exact_p1": round(sum(f[2] for f in rows) / len(rows), 3),
            "queries": len(rows),
        }
        for lang, rows in sorted(per_lang.items())
    }
    report["no_match_queries"] = no_match
    report["no_match_answered_empty"] = empty_answers
    ndcg_mean = sum(f[0] for f in per_lang["all"]) / max(len(per_lang["all"]), 1)
    report["objective"] = round(
        (1 - NO_MATCH_WEIGHT) * ndcg_mean + NO_MATCH_WEIGHT * empty_answers / max(no_match, 1), 4
    )
    return report


def choose_fusion(store: GraphStore, linker: EntityLinker, encode: Any, dev: list[JudgedQuery]) -> Fusion:
    """The grid's settings with the best objective on the dev queries (see the module docstring)."""
    best: tuple[float, Fusion] | None = None
    grid = list(itertools.product(*GRID.values()))
    for values in tqdm(grid, desc="fusion settings (dev)", unit="setting"):
        fusion = replace(DEFAULT_FUSION, **dict(zip(GRID, values, strict=True)))
        score = measure(ItemRetriever(store, linker, encode=encode, fusion=fusion), dev)["objective"]
        if best is None or score > best[0]:
            best = (score, fusion)
    assert best is not None
    return best[1]


def main() -> None:
    settings = Neo4jSettings.from_env()
    started = time.perf_counter()
    queries = read_judgements()
    dev = [q for q in queries if q.split == "dev"]
    test = [q for q in queries if q.split == "test"]
    encoder = text_encoder()
    with connect(settings) as driver:
        store = Neo4jGraphStore(driver, settings.database)
        linker = EntityLinker.from_store(store)
        fusion = choose_fusion(store, linker, encoder.query, dev)
        before = measure(ItemRetriever(store, linker), test)
        after = measure(ItemRetriever(store, linker, encode=encoder.query, fusion=fusion), test)
        dev_figures = {
            "before": measure(ItemRetriever(store, linker), dev)["all"],
            "after": measure(ItemRetriever(store, linker, encode=encoder.query, fusion=fusion), dev)["all"],
        }
    results = {
        "judged_queries": len(queries),
        "test_queries": len(test),
        "dev_queries": len(dev),
        "fusion": fusion.__dict__,
        "encoder": encoder.info.as_dict(),
        "test": {"before": before, "after": after},
        "dev": dev_figures,
        "seconds": round(time.perf_counter() - started, 1),
        "machine": f"{platform.processor() or platform.machine()}, {platform.python_version()}",
    }
    for name, figures in results["test"].items():
        for lang in ("zh", "en", "mixed", "all"):
            if lang in figures:
                print(f"test {name:6s} {lang:5s} " + "  ".join(f"{k} {v}" for k, v in figures[lang].items()))
        print(f"test {name:6s} no-match queries answered with nothing: {figures['no_match_answered_empty']}"
              f"/{figures['no_match_queries']}")  # fmt: skip
    print(f"fusion chosen on dev: {fusion}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "retrieval.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    quality_path = RESULTS / "quality.json"
    quality = json.loads(quality_path.read_text()) if quality_path.is_file() else {}
    quality["retrieval"] = {
        "judged_queries": len(queries),
        "test_queries": before["all"]["queries"],
        "ndcg5_before": before["all"]["ndcg5"],
        "ndcg5_after": after["all"]["ndcg5"],
        "p1_before": before["all"]["p1"],
        "p1_after": after["all"]["p1"],
        "command": "python benchmarks/retrieval.py",
    }
    quality_path.write_text(json.dumps(quality, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
