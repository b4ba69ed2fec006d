"""Draw the phrases of the hand-labelled POI set (data/knowledge/poi_labels.tsv) and write the file.

Two steps, with a person in between:

    PYTHONPATH=. python scripts/draw_poi_labels.py draw SHEET.tsv
        mines the phrase candidates as the build does (read_corpus(PATHS.shared_data) plus the catalog's item
        titles, mine_phrases per language), and writes a sheet to label: the rows of
        data/knowledge/poi_heldout.tsv with their labels, then the draw of
        kg_builder.textual.poi_mining.labelling_sample (seed LABELLING_SEED) with an empty label and a few
        sentences each phrase occurs in. Columns: phrase, lang, stratum, label, count, contexts.
    (a person fills in the label column of every row, reading each phrase against the criterion)
    PYTHONPATH=. python scripts/draw_poi_labels.py write SHEET.tsv
        checks every row has a 0/1 label, assigns the dev/test split (poi_mining.assign_splits) and writes
        data/knowledge/poi_labels.tsv with its header.

The script only draws and writes; it never labels.
"""

from __future__ import annotations

import sys
from pathlib import Path

from kg_builder.catalog.loader import load_catalog
from kg_builder.config import PATHS
from kg_builder.textual.corpus import Sentence, read_corpus
from kg_builder.textual.phrase_mining import mine_phrases
from kg_builder.textual.poi_mining import (
    LABELLING_SEED,
    RANDOM_STRATUM,
    assign_splits,
    labelling_sample,
    read_heldout,
)
from kg_builder.textual.stages import distant_poi_labels

OUTPUT = PATHS.knowledge / "poi_labels.tsv"
EARLIER = PATHS.knowledge / "poi_heldout.tsv"
SHEET_COLUMNS = "phrase\tlang\tstratum\tlabel\tcount\tcontexts"


def draw(sheet: Path) -> None:
    catalog = load_catalog(PATHS.catalog)
    corpus = read_corpus(PATHS.shared_data)
    corpus += [Sentence(item["title"], item["lang"], item["source"]) for item in catalog.rows["items"]]
    candidates = mine_phrases(corpus, "zh") + mine_phrases(corpus, "en")
    labels = distant_poi_labels(catalog, PATHS.knowledge, PATHS.shared_data)
    earlier = read_heldout(EARLIER)
    by_key = {(c.phrase.casefold(), c.lang): c for c in candidates}
    lines = [SHEET_COLUMNS]
    for row in earlier:
        candidate = by_key.get((row.phrase.casefold(), row.lang))
        lines.append(_sheet_line(row.phrase, row.lang, RANDOM_STRATUM, str(row.label), candidate))
    for lang in ("zh", "en"):
        exclude = [row.phrase for row in earlier if row.lang == lang]
        for candidate, stratum in labelling_sample(candidates, labels, lang, exclude, seed=LABELLING_SEED):
            lines.append(_sheet_line(candidate.phrase, lang, stratum, "", candidate))
    sheet.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines) - 1} rows to label written to {sheet}")


def _sheet_line(phrase: str, lang: str, stratum: str, label: str, candidate: object) -> str:
    count = getattr(candidate, "count", 0)
    contexts = " || ".join(s.text[:100].replace("\t", " ") for s in getattr(candidate, "contexts", []))
    return f"{phrase}\t{lang}\t{stratum}\t{label}\t{count}\t{contexts}"


def write(sheet: Path) -> None:
    rows: list[tuple[str, str, int, str]] = []
    for number, line in enumerate(sheet.read_text(encoding="utf-8").splitlines()[1:], start=2):
        phrase, lang, stratum, label = line.split("\t")[:4]
        if label.strip() not in ("0", "1"):
            raise SystemExit(f"{sheet}:{number}: no 0/1 label for {phrase!r}")
        rows.append((phrase, lang, int(label), stratum))
    splits = assign_splits(rows)
    body = [
        f"{phrase}\t{lang}\t{label}\t{split}\t{stratum}"
        for (phrase, lang, label, stratum), split in zip(rows, splits, strict=True)
    ]
    OUTPUT.write_text(HEADER + "\n".join(body) + "\n", encoding="utf-8")
    print(f"{len(rows)} rows written to {OUTPUT}")


HEADER = """\
# Hand-labelled set for POI mining, labelled by a project developer (helper session), 2026-11-26, reading each
# row against the criterion below (and, where unsure, a corpus sentence that contains the phrase).
# Drawn by scripts/draw_poi_labels.py (kg_builder.textual.poi_mining.labelling_sample, seed 12) over the
# candidates mine_phrases finds in read_corpus(PATHS.shared_data) plus the catalog's item titles:
#   stratum random: the 160 phrases of poi_heldout.tsv (80 per language, heldout_sample, seed 7; their labels
#     kept, one corrected: 高腰 1 -> 0, a cut fact like 长款) and 120 more per language drawn at random
#     (seed 12) from the 1,200 most frequent candidates per language, leaving out those 160 (the corpus has
#     grown since seed 7 was drawn: 154 of the 160 are in today's pool);
#   stratum distant-positive: 60 per language drawn at random (seed 12) from the other candidates whose
#     distant label (lexicon_labels with attribute_value_labels) is 1, to have enough POIs. Report precision
#     and recall on the random stratum alone; the distant-positive stratum over-represents likely POIs.
# Split: poi_mining.assign_splits (within each lang, label and stratum, rows ordered by a SHA-1 of the key
# alternate dev/test). dev chooses thresholds, test reports. These phrases must never be trained on.
# Label 1 = the phrase names a benefit, need or selling point a shopper could ask for (an effect,
# a feel, a quality or price claim, an aesthetic style, a dietary property: 加绒, 轻薄, 有机, soft,
# polarized). Label 0 = a product type, brand, model, part, material or cut fact, colour, size,
# place, person group, usage, or a fragment / function word (背心, 深圳, 长款, 木质, 的呢, makes).
# Borderline calls made the same way throughout: a fit or cut is 0 (高腰, 修身, 宽松, high waist) while its
# effect is 1 (显瘦); a flavour is 0 like a colour (香辣, 浓香, sweet) while a dietary property is 1 (无糖,
# unsweetened); a style word is 1 (韩版, 欧美, 商务, 休闲, vintage, simple); a use or occasion is 0 (gift,
# 情人节, sport); a feature shoppers ask for is 1 (removable, foldable, rechargeable, disposable, 无钢圈).
# phrase<TAB>lang<TAB>label<TAB>split<TAB>stratum
"""


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("draw", "write"):
        raise SystemExit("usage: draw_poi_labels.py draw|write SHEET.tsv")
    (draw if sys.argv[1] == "draw" else write)(Path(sys.argv[2]))
