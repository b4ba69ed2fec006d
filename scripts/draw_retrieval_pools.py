"""Draw the candidate pools behind the hand-judged item-search set data/knowledge/retrieval_judgements.tsv.

    python scripts/draw_retrieval_pools.py --sheet /tmp/pools.txt   # the pools, to read and grade
    python scripts/draw_retrieval_pools.py --check                  # judgements vs pools and splits

data/knowledge/retrieval_queries.tsv lists the queries (query_id, lang, query, pool categories, pool words), written by
hand. A query's pool is every catalog item (data/catalog/items*.jsonl) that
  - is in one of the query's pool categories (a domain name, Beauty / Clothing / Snacks, stands for all its categories),
  - or has a query word or a pool word in its title, brand or property values: a Latin word matches at the start of a
    word, ignoring case and a plural -s; Chinese is matched as the whole run and as every two-character piece of it.
The pool words add synonyms and translations (an English query draws Chinese titles and the other way round), so the
pool is generous. Grades are never made here: a person (or helper) reads each pool and writes grade>0 rows into the
judgements file; an item outside its query's pool counts as grade 0, and --check fails on a judged item that is not in
its pool. The split is split_of(query_id): a hash of the id, ~40% dev / ~60% test.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CATALOG = ROOT / "data" / "catalog"
QUERIES = ROOT / "data" / "knowledge" / "retrieval_queries.tsv"
JUDGEMENTS = ROOT / "data" / "knowledge" / "retrieval_judgements.tsv"
DOMAINS = {"Beauty", "Clothing", "Snacks"}
_CJK = re.compile(r"[\u3400-\u9fff]+")
_LATIN = re.compile(r"[a-z0-9][a-z0-9'.+-]*")
_STOP = {"a", "an", "and", "for", "of", "the", "to", "with", "something", "products", "what", "s"}


def split_of(query_id: str) -> str:
    """dev for ~40% of the query ids, test for the rest (first 8 hex digits of sha256, mod 10 < 4)."""
    return "dev" if int(hashlib.sha256(query_id.encode()).hexdigest()[:8], 16) % 10 < 4 else "test"


def _records(kind: str) -> list[dict]:
    files = [CATALOG / f"{kind}.jsonl", *sorted((CATALOG / kind).glob("*.jsonl"))]
    return [
        json.loads(line) for f in files if f.exists() for line in f.read_text(encoding="utf-8").splitlines() if line
    ]


def _words(text: str) -> set[str]:
    text = text.lower()
    words = {w.removesuffix("'s") for w in _LATIN.findall(text) if w not in _STOP and len(w) > 1}
    words = {w[:-1] if w.endswith("s") and len(w) > 3 else w for w in words}
    for run in _CJK.findall(text):
        words |= {run} | {run[i : i + 2] for i in range(len(run) - 1)}
    return words


def _matches(word: str, text: str) -> bool:
    if _CJK.search(word):
        return word in text
    return re.search(r"(?<![a-z0-9])" + re.escape(word), text) is not None


def draw_pools() -> tuple[dict[str, dict[str, str]], dict[str, list[str]], dict[str, dict]]:
    """(queries by id, pool item ids by query id, items by id)."""
    items = {it["id"]: it for it in _records("items")}
    domain = {c["id"]: c["domain"] for c in _records("categories")}
    values: dict[str, list[str]] = {}
    for p in _records("item_properties"):
        values.setdefault(p["item"], []).extend(str(p.get(k) or "") for k in ("value", "value_zh", "value_en"))
    text = {i: " ".join([it["title"], it.get("brand") or "", *values.get(i, [])]).lower() for i, it in items.items()}
    queries, pools = {}, {}
    for line in QUERIES.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        qid, lang, query, cats, extra = (line.split("\t") + [""] * 5)[:5]
        queries[qid] = {"lang": lang, "query": query}
        cats = set(cats.split())
        cats |= {c for c, d in domain.items() if d in cats & DOMAINS}
        words = _words(query) | {w.lower() for w in extra.split()}
        pools[qid] = [
            i for i, it in items.items() if it["category"] in cats or any(_matches(w, text[i]) for w in words)
        ]
    return queries, pools, items


def check(queries: dict, pools: dict, items: dict) -> list[str]:
    problems, seen = [], set()
    for n, line in enumerate(JUDGEMENTS.read_text(encoding="utf-8").splitlines(), 1):
        if not line or line.startswith("#"):
            continue
        qid, lang, split, query, item, grade = line.split("\t")
        seen.add(qid)
        q = queries.get(qid)
        if q is None or (q["lang"], q["query"]) != (lang, query):
            problems.append(f"line {n}: {qid} does not match retrieval_queries.tsv")
        if split != split_of(qid):
            problems.append(f"line {n}: {qid} split {split}, the rule says {split_of(qid)}")
        if item != "-" and item not in pools.get(qid, []):
            problems.append(f"line {n}: {qid} {item} is not in the query's pool")
    problems += [f"{qid} has no row" for qid in queries if qid not in seen]
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheet", type=Path, help="write the pools here, one block per query, to grade by hand")
    parser.add_argument("--check", action="store_true", help="check the judgements file against pools and splits")
    args = parser.parse_args()
    queries, pools, items = draw_pools()
    if args.sheet:
        with args.sheet.open("w", encoding="utf-8") as out:
            for qid, q in queries.items():
                out.write(f"## {qid}\t{q['lang']}\t{q['query']}\t({len(pools[qid])} in pool)\n")
                for i in sorted(pools[qid], key=lambda i: (items[i]["category"], i)):
                    out.write(f"{i}\t{items[i]['category']}\t{items[i]['title']}\n")
    if args.check:
        problems = check(queries, pools, items)
        print("\n".join(problems) or f"ok: {len(queries)} queries")
        sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
