"""The dev/test split of the hand-checked item categories (data/knowledge/category_labels.tsv).

    python scripts/draw_category_split.py            # print the split counts of the file and check its split column
    python scripts/draw_category_split.py --write    # (re)write the split column by the rule below

Rule: an item is dev when int(sha1(item_id as UTF-8).hexdigest()[:8], 16) % 100 < 40, else test
(about 40% dev / 60% test, fixed by the item id alone). The script never labels: the labels are hand-made.
"""

from __future__ import annotations

import argparse
import hashlib
from collections import Counter
from pathlib import Path

LABELS = Path(__file__).resolve().parents[1] / "data" / "knowledge" / "category_labels.tsv"
DEV_PERCENT = 40
SPLIT_COLUMN = 3  # item_id, assigned_category, correct, split, true_category, note


def split_of(item_id: str) -> str:
    return "dev" if int(hashlib.sha1(item_id.encode("utf-8")).hexdigest()[:8], 16) % 100 < DEV_PERCENT else "test"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help="rewrite the split column of the label file")
    args = parser.parse_args()
    lines = LABELS.read_text(encoding="utf-8").splitlines()
    out, counts, mismatched = [], Counter(), 0
    for line in lines:
        if not line or line.startswith("#"):
            out.append(line)
            continue
        fields = line.split("\t")
        split = split_of(fields[0])
        mismatched += fields[SPLIT_COLUMN] != split
        fields[SPLIT_COLUMN] = split
        counts[split] += 1
        out.append("\t".join(fields))
    print(dict(counts), f"{mismatched} rows differ from the rule")
    if args.write:
        LABELS.write_text("\n".join(out) + "\n", encoding="utf-8")
    elif mismatched:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
