"""Character-tagged product titles (Taobao NER, BIO or BIOES tags), one character per line."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Span:
    """An entity: character offsets [start, end) and its label."""

    start: int
    end: int
    label: str


@dataclass(frozen=True)
class TaggedTitle:
    """One title with its entity spans and where it came from (first line of the title)."""

    text: str
    spans: tuple[Span, ...]
    path: Path
    line: int

    def texts(self, *labels: str) -> list[str]:
        """The entity texts with one of these labels, in title order."""
        return [self.text[s.start : s.end] for s in self.spans if s.label in labels]


def read_tagged_titles(path: Path) -> Iterator[TaggedTitle]:
    """Yield the titles of a `char TAG` file; titles are separated by blank lines."""
    chars: list[str] = []
    tags: list[str] = []
    first = 0
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, raw in enumerate(handle, start=1):
            parts = raw.split()
            if not parts:
                if chars:
                    yield TaggedTitle("".join(chars), tuple(spans_from_tags(tags)), path, first)
                chars, tags = [], []
                continue
            if not chars:
                first = number
            char, tag = _char_and_tag(raw, parts)
            chars.append(char)
            tags.append(tag)
    if chars:
        yield TaggedTitle("".join(chars), tuple(spans_from_tags(tags)), path, first)


def _char_and_tag(raw: str, parts: list[str]) -> tuple[str, str]:
    if len(parts) > 1:
        return parts[0], parts[-1]
    return (" ", parts[0]) if raw[0] in " \t" else (parts[0], "O")


def spans_from_tags(tags: list[str]) -> Iterator[Span]:
    """Decode BIO or BIOES tags (B-, I-, M-, E-, S-, O) into spans; a stray I- starts a new span."""
    start, label = -1, ""
    for index, tag in enumerate([*tags, "O"]):
        prefix, _, name = tag.partition("-")
        continues = prefix in ("I", "M", "E") and name == label and start >= 0
        if not continues and start >= 0:
            yield Span(start, index, label)
            start, label = -1, ""
        if prefix in ("B", "S") or (prefix in ("I", "M", "E") and not continues):
            start, label = index, name
        if prefix in ("S", "E") and start >= 0:
            yield Span(start, index + 1, label)
            start, label = -1, ""
