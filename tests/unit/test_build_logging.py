"""The build logs its stages with counts and times, and warns about what it skips (no Neo4j: a recording driver)."""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Any

import pytest

from kg_builder.build import build_graph
from kg_builder.graph.rules import COMPLETE_PREFERS, INFER_HAS_POI
from tests.conftest import mini_catalog, write_jsonl


class _Result:
    def __init__(self, **values: Any) -> None:
        self.records = [values]

    def single(self, strict: bool = False) -> dict[str, Any]:
        return self.records[0]


class _RecordingDriver:
    """Answers every query with one record of counts; remembers the queries it was sent."""

    def __init__(self) -> None:
        self.queries: list[str] = []

    def execute_query(self, query: str, /, **parameters: Any) -> _Result:
        self.queries.append(query)
        return _Result(removed=1, links=7 if query == COMPLETE_PREFERS else 0)

    def session(self, **settings: Any) -> _RecordingDriver:
        return self

    def __enter__(self) -> _RecordingDriver:
        return self

    def __exit__(self, *error: object) -> None:
        return None

    def run(self, query: str, /, **parameters: Any) -> _Result:
        self.queries.append(query)
        return _Result(removed=2, links=5 if query == INFER_HAS_POI else 0)


def test_each_stage_is_logged_with_its_counts(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    root = mini_catalog(tmp_path / "catalog", prefix="t-")
    items = root / "items.jsonl"
    write_jsonl(items, [*items.read_text(encoding="utf-8").splitlines(), '{"id": "t-broken", '])
    driver = _RecordingDriver()
    with caplog.at_level(logging.INFO, logger="kg_builder"):
        report = build_graph(driver, root, progress=False, err=io.StringIO())  # type: ignore[arg-type]
    messages = [(record.levelname, record.getMessage()) for record in caplog.records]
    rows = sum(report.written.values())
    assert ("WARNING", "load: 1 rows rejected and skipped") in messages
    assert any(level == "INFO" and text.startswith(f"import: {rows} rows written in ") for level, text in messages)
    assert (
        "WARNING",
        "learned stages skipped (no datasets): no mined POIs, predicted SATISFY links or NER profiles",
    ) in (messages)
    assert any(text.startswith("inference: 5 HAS_POI inferred, 2 stale removed in ") for _, text in messages)
    assert any(text.startswith("completion: 7 PREFERS predicted, 1 stale removed in ") for _, text in messages)
    assert messages[-1][1].startswith("build: done in ")
    assert report.inferred_has_poi == 5 and report.prefers == 7 and INFER_HAS_POI in driver.queries
