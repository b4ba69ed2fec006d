"""English product titles with attribute-value pairs (OA-Mine Amazon, AE-110K AliExpress JSONL)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

MISSING_VALUES = {"", "n/a", "none", "null", "-"}


@dataclass(frozen=True)
class AttributeTitle:
    """A title, the source's own category name, and its (attribute, value) pairs."""

    title: str
    category: str
    attributes: tuple[tuple[str, str], ...]
    path: Path
    line: int


def read_attribute_titles(path: Path, on_error: Callable[[int, str], None] | None = None) -> Iterator[AttributeTitle]:
    """Yield each row of an `{"input", "category", "target_scores"}` file; a malformed line is reported to
    `on_error(line, reason)` and skipped."""
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                row = json.loads(line)
                pairs = tuple(
                    (name.strip(), value.strip())
                    for name, values in row["target_scores"].items()
                    for value, score in values.items()
                    if score and value.strip().casefold() not in MISSING_VALUES
                )
                yield AttributeTitle(row["input"].strip(), row["category"].strip(), pairs, path, number)
            except (json.JSONDecodeError, KeyError, AttributeError, TypeError) as error:
                if on_error:
                    on_error(number, f"{type(error).__name__}: {error}"[:200])
