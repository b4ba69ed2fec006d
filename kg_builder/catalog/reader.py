"""Reading raw rows from JSONL and CSV catalog files, keeping the line number of each."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SUFFIXES = (".jsonl", ".csv")
MAX_LINE = 1_000_000  # characters; a longer line is rejected, not parsed


class RowParseError(ValueError):
    """A line that is not a well-formed row."""


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | RowParseError]]:
    """Yield (line number, row or parse error) for each non-blank row of a .jsonl or .csv file."""
    if path.suffix == ".jsonl":
        yield from _read_jsonl(path)
    elif path.suffix == ".csv":
        yield from _read_csv(path)
    else:
        raise ValueError(f"{path}: unsupported file type (use {' or '.join(SUFFIXES)})")


def _read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any] | RowParseError]]:
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            if len(line) > MAX_LINE:
                yield number, RowParseError(f"line too long ({len(line)} characters)")
                continue
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as error:
                yield number, RowParseError(f"invalid JSON: {error.msg} at column {error.colno}")


def _read_csv(path: Path) -> Iterator[tuple[int, dict[str, Any] | RowParseError]]:
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            number = reader.line_num
            if None in row:
                yield number, RowParseError(f"more values than the {len(reader.fieldnames or [])} columns")
                continue
            if any(value is None for value in row.values()):
                yield number, RowParseError("fewer values than columns")
                continue
            if any(value.strip() for value in row.values()):
                yield number, row
