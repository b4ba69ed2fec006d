"""Item retrieval quality: the enhanced similarity (words + semantic types) against full-text ranking alone.

    python benchmarks/retrieval.py

Queries are made from the graph: for each category and property value that some but not all of the category's
items have, "<value><category>" in Chinese and "<value> <category>" in English (e.g. "红色T恤", "red T-shirt").
An item is relevant when it is in that category and has that value. Both rankers see the same candidates (the
category's items, found by the linker); only the order differs. Prints P@1, MRR and R@5 and writes
benchmarks/results/retrieval.json.
"""

from __future__ import annotations

import json
import platform
import time
from dataclasses import dataclass
from typing import Any

from neo4j import Driver
from tqdm import tqdm

from actions.entity_linking import EntityLinker
from actions.graph_store import GraphStore, Neo4jGraphStore
from actions.retrieval import ItemRetriever
from kg_builder.config import PATHS, Neo4jSettings, connect
from kg_builder.graph.ontology import CATEGORY, HAS_PROPERTY, IN_CATEGORY, ITEM, PROPERTY_VALUE

RESULTS = PATHS.benchmark_results
CUTOFF = 5

VALUE_QUERIES = f"""
MATCH (c:{CATEGORY})<-[:{IN_CATEGORY}]-(i:{ITEM})-[:{HAS_PROPERTY}]->(v:{PROPERTY_VALUE})
WITH c, v, collect(DISTINCT i.id) AS relevant
MATCH (c)<-[:{IN_CATEGORY}]-(all:{ITEM})
WITH c, v, relevant, count(DISTINCT all) AS in_category
WHERE size(relevant) < in_category
RETURN c.id AS category, c.name_zh AS category_zh, c.name_en AS category_en,
       v.name_zh AS value_zh, v.name_en AS value_en, relevant
ORDER BY c.id, v.id"""


@dataclass(frozen=True)
class Query:
    text: str
    language: str
    category: str
    relevant: frozenset[str]


def make_queries(driver: Driver, database: str) -> list[Query]:
    """One query per language with names for both the value and the category (see the module docstring)."""
    queries = []
    for row in driver.execute_query(VALUE_QUERIES, database_=database).records:
        relevant = frozenset(row["relevant"])
        if row["value_zh"] and row["category_zh"]:
            queries.append(Query(f"{row['value_zh']}{row['category_zh']}", "zh", row["category"], relevant))
        if row["value_en"] and row["category_en"]:
            queries.append(Query(f"{row['value_en']} {row['category_en']}", "en", row["category"], relevant))
    return queries


def _scores(ranked: list[str], relevant: frozenset[str]) -> tuple[float, float, float]:
    """P@1, reciprocal rank and recall at CUTOFF of one ranking."""
    rank = next((n for n, item_id in enumerate(ranked, 1) if item_id in relevant), None)
    p_at_1 = 1.0 if rank == 1 else 0.0
    recall = len(relevant.intersection(ranked[:CUTOFF])) / min(len(relevant), CUTOFF)
    return p_at_1, (1.0 / rank if rank else 0.0), recall


def evaluate(store: GraphStore, queries: list[Query]) -> dict[str, Any]:
    """Mean P@1, MRR, R@5 per ranker and language."""
    linker = EntityLinker.from_store(store)
    rankers = {"full-text": ItemRetriever(store, linker, enhanced=False), "enhanced": ItemRetriever(store, linker)}
    sums: dict[tuple[str, str], list[float]] = {}
    linked = 0
    for query in tqdm(queries, desc="retrieval queries", unit="query"):
        for name, ranker in rankers.items():
            understood = ranker.understand(query.text)
            if name == "enhanced":
                linked += understood.category == query.category
            ranked = [item.id for item in ranker.search(understood, limit=50)]
            for language in (query.language, "all"):
                total = sums.setdefault((name, language), [0.0, 0.0, 0.0, 0.0])
                for index, value in enumerate(_scores(ranked, query.relevant)):
                    total[index] += value
                total[3] += 1
    results: dict[str, Any] = {"queries": len(queries), "category_linked": linked}
    for (name, language), (p1, mrr, recall, count) in sorted(sums.items()):
        results.setdefault(name, {})[language] = {
            "P@1": round(p1 / count, 3),
            "MRR": round(mrr / count, 3),
            f"R@{CUTOFF}": round(recall / count, 3),
            "queries": int(count),
        }
    return results


def main() -> None:
    settings = Neo4jSettings.from_env()
    started = time.perf_counter()
    with connect(settings) as driver:
        queries = make_queries(driver, settings.database)
        results = evaluate(Neo4jGraphStore(driver, settings.database), queries)
    results["seconds"] = round(time.perf_counter() - started, 1)
    results["machine"] = f"{platform.processor() or platform.machine()}, {platform.python_version()}"
    print(
        f"{results['queries']} queries ({results['category_linked']} with the category linked), {results['seconds']} s"
    )
    for name in ("full-text", "enhanced"):
        for language, figures in results[name].items():
            print(f"{name:10s} {language:4s} " + "  ".join(f"{k} {v}" for k, v in figures.items()))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "retrieval.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
