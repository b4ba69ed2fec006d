"""Draw the hand-labelled value -SATISFY-> POI set and (re)write data/knowledge/satisfy_labels.tsv.

    PYTHONPATH=. python scripts/draw_satisfy_labels.py --random 60 --enriched 400 --close 300 --seed 12

The rows are the 120 pairs of data/knowledge/satisfy_heldout.tsv (a random sample, stratum `random`) and
pairs drawn by kg_builder.textual.relation_extraction.satisfy_label_sample from the candidates that the
SATISFY stage builds (catalog mentions x corpus): `--random` more uniform candidates, `--enriched` candidates
that is_enriched calls likelier positives and up to `--close` more that is_close calls likelier still (there
are fewer than 300: all of them are drawn). Curated SATISFY triples of the catalog are never drawn.

Labels are never made here: a row keeps the label it has in satisfy_labels.tsv (where a person wrote it),
else the one of satisfy_heldout.tsv, else `?` (to be labelled by hand, then run this again). The split is
assigned once every row of a (stratum, label) group is known: the group is ordered by a hash of
(value_id, poi_id) and alternates dev, test, so both halves get positives of both strata.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

from kg_builder.catalog.loader import load_catalog
from kg_builder.config import PATHS
from kg_builder.textual.corpus import read_corpus
from kg_builder.textual.relation_extraction import (
    PairCandidate,
    PoiMention,
    ValueMention,
    catalog_mentions,
    cooccurrence,
    find_candidates,
    satisfy_label_sample,
)

HELDOUT = PATHS.knowledge / "satisfy_heldout.tsv"
OUTPUT = PATHS.knowledge / "satisfy_labels.tsv"
COLUMNS = ("value_id", "poi_id", "label", "split", "stratum", "what_was_judged")

HEADER = """\
# Hand-labelled set for value -SATISFY-> POI extraction: labelled by a project developer (helper session),
# 2026-11-26, reading each row against the criterion below (value and POI names; a corpus sentence where unsure).
# Drawn by `PYTHONPATH=. python scripts/draw_satisfy_labels.py --random {random} --enriched {enriched} --close {close}
# --seed {seed}` (kg_builder.textual.relation_extraction.satisfy_label_sample over the SATISFY stage's candidates:
# find_candidates(catalog_mentions(load_catalog(PATHS.catalog)), read_corpus(PATHS.shared_data))). Curated SATISFY
# triples of data/catalog (satisfies*) are never in it: they are training data.
# stratum random: the 120 pairs of satisfy_heldout.tsv (heldout_sample, seed 5; their labels kept) and {random} more
# uniform candidates (seed {seed}). Precision on this stratum alone is what a random candidate meets.
# stratum enriched: pairs likelier to be positive, drawn in the same seeded order: {enriched} that is_enriched accepts
# (value not a plain fact; names share a word/bigram with the POI's, or >= 3 co-occurring sentences at >= 20x chance),
# then the {n_close} left that is_close accepts, all of them (a value name contained in a POI name or the reverse,
# or >= 3 sentences at >= 100x chance). Positives are rare among candidates (1 in 18 at random), hence this stratum.
# split: within each (stratum, label) group, ordered by sha1(value_id TAB poi_id), alternately dev / test
# (dev chooses the threshold, test reports). The last comment line names the columns (read_heldout reads it).
# Criterion (as satisfy_heldout.tsv): label 1 = in general, an item with this value satisfies the POI (quick dry ->
# moisture wicking, silk -> comfortable, collagen peptide -> collagen boost); 0 = the two merely appear together.
"""


def judged(value: ValueMention, poi: PoiMention) -> str:
    """What the labeller read: the value's names -> the POI's Chinese and English names."""
    return f"{value.label} -> {' / '.join(poi.names[:2])}"


def read_rows(path: Path) -> dict[tuple[str, str], list[str]]:
    """The rows of a label file by (value_id, poi_id); `#` lines (comments and the column names) are skipped."""
    rows: dict[tuple[str, str], list[str]] = {}
    if not path.is_file():
        return rows
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        rows[(fields[0], fields[1])] = fields
    return rows


def split_of(rows: list[dict[str, str]]) -> None:
    """Set `split` of every row: alternate dev / test within each (stratum, label) group in hash order."""
    groups: dict[tuple[str, str], list[dict[str, str]]] = {}
    for row in rows:
        groups.setdefault((row["stratum"], row["label"]), []).append(row)
    for (_, label), group in groups.items():
        group.sort(key=lambda r: hashlib.sha1(f"{r['value_id']}\t{r['poi_id']}".encode()).hexdigest())
        for number, row in enumerate(group):
            row["split"] = "?" if label == "?" else ("dev", "test")[number % 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--random", type=int, default=60, help="uniform candidates beyond satisfy_heldout.tsv")
    parser.add_argument("--enriched", type=int, default=400, help="candidates of the enriched stratum")
    parser.add_argument("--close", type=int, default=300, help="more enriched candidates, drawn by is_close")
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()

    catalog = load_catalog(PATHS.catalog)
    values, pois = catalog_mentions(catalog)
    corpus = read_corpus(PATHS.shared_data)
    candidates = find_candidates(values, pois, corpus)
    counts = cooccurrence(values, pois, corpus)
    curated = {(row["value_id"], row["poi"]) for row in catalog.rows["satisfies"]}
    value_by_id, poi_by_id = {v.value_id: v for v in values}, {p.poi_id: p for p in pois}

    heldout = read_rows(HELDOUT)
    labelled = read_rows(OUTPUT)
    drawn: list[tuple[PairCandidate, str]] = [
        (PairCandidate(value_by_id[v], poi_by_id[p]), "random")
        for v, p in heldout
        if (v, p) not in curated and v in value_by_id and p in poi_by_id
    ]
    drawn += satisfy_label_sample(
        candidates, curated, counts, set(heldout), args.random, args.enriched, args.close, args.seed
    )
    rows = []
    for candidate, stratum in drawn:
        key = candidate.key
        label = labelled[key][2] if key in labelled else heldout[key][2] if key in heldout else "?"
        rows.append(
            {
                "value_id": key[0],
                "poi_id": key[1],
                "label": label,
                "split": "?",
                "stratum": stratum,
                "what_was_judged": judged(candidate.value, candidate.poi),
            }
        )
    split_of(rows)
    n_close = len(drawn) - len(heldout) - args.random - args.enriched
    header = HEADER.format(
        random=args.random, enriched=args.enriched, close=args.close, n_close=n_close, seed=args.seed
    )
    lines = [header.rstrip("\n"), "# " + "\t".join(COLUMNS), *("\t".join(row[c] for c in COLUMNS) for row in rows)]
    OUTPUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    todo = sum(row["label"] == "?" for row in rows)
    positives = sum(row["label"] == "1" for row in rows)
    print(f"{OUTPUT}: {len(rows)} rows, {positives} positives, {todo} still to label")


if __name__ == "__main__":
    main()
