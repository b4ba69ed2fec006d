"""A curator's review of predicted facts below the precision gate (`python -m kg_builder review`).

Candidates are mined POIs (POICandidate nodes), SATISFY_CANDIDATE links, harvested items whose category the
category check doubts (kept out of search) and HAS_IMAGE_CANDIDATE links of the cross-modal linker (whose gate is
the precision of these decisions: kg_builder.crossmodal.linking); with `--shown`, also the predictions that passed
the gate. A decision
is appended to data/knowledge/review_decisions.tsv and applied to the graph at once: accepted facts become curated
(source `review`, predicted: false), rejected ones are deleted (a rejected category keeps its item out of search).
Every build reads the file again, so accepted facts stay and rejected ones are never predicted again."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from neo4j import Driver

from kg_builder.graph.images import ACCEPT_IMAGE_LINK, LIST_IMAGE_CANDIDATES, REJECT_IMAGE_LINK
from kg_builder.graph.predictions import (
    ACCEPT_CATEGORY,
    ACCEPT_POI,
    ACCEPT_SATISFY,
    LIST_CATEGORY_CANDIDATES,
    LIST_POI_CANDIDATES,
    LIST_SATISFY_CANDIDATES,
    REJECT_CATEGORY,
    REJECT_POI,
    REJECT_SATISFY,
)

log = logging.getLogger(__name__)

Kind = Literal["poi", "satisfy", "category", "image"]
Decision = Literal["accept", "reject"]
KINDS: tuple[Kind, ...] = ("poi", "satisfy", "category", "image")
DECISIONS: tuple[Decision, ...] = ("accept", "reject")
NO_OBJECT = "-"  # the object column of a POI decision
HEADER = """\
# A curator's decisions on predicted facts (python -m kg_builder review accept|reject ...). Every build reads this
# file: an accepted fact is written as curated (source review), a rejected one is never predicted again.
# kind: poi (subject = the mined POI's id), satisfy (subject = value id, object = POI id), category (subject =
# item id, object = its category id) or image (subject = entity id, object = image id). The last line wins.
# kind\tsubject\tobject\tdecision\tdate\tnote
"""
MAX_FIELD = 300


@dataclass(frozen=True)
class Candidate:
    """One predicted fact as the review list shows it."""

    kind: Kind
    subject: str
    object: str
    text: str
    score: float | None
    shown: bool
    evidence: str | None


def read_decisions(path: Path) -> dict[tuple[str, str, str], Decision]:
    """{(kind, subject, object): decision}; a later line overrides an earlier one. Bad lines are reported."""
    decisions: dict[tuple[str, str, str], Decision] = {}
    if not path.is_file():
        return decisions
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) < 4 or fields[0] not in KINDS or fields[3] not in DECISIONS:
            log.warning("%s:%d: skipped, expected kind<TAB>subject<TAB>object<TAB>accept|reject", path, number)
            continue
        decisions[(fields[0], fields[1], fields[2])] = fields[3]  # type: ignore[assignment]
    return decisions


def record_decision(path: Path, kind: Kind, subject: str, obj: str, decision: Decision, note: str = "") -> None:
    """Append one decision (tabs and line breaks in the fields are replaced by spaces)."""
    if not subject.strip() or not obj.strip():
        raise ValueError("empty subject or object")
    fields = [kind, subject, obj, decision, dt.date.today().isoformat(), note]
    if any(len(field) > MAX_FIELD for field in fields):
        raise ValueError(f"a field is longer than {MAX_FIELD} characters")
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(HEADER, encoding="utf-8")
    clean = [" ".join(field.split()) for field in fields]
    with path.open("a", encoding="utf-8") as handle:
        handle.write("\t".join(clean) + "\n")


def list_candidates(
    driver: Driver, kinds: Sequence[Kind] = KINDS, shown: bool = False, limit: int = 50, database: str = "neo4j"
) -> list[Candidate]:
    """The best-scored candidates of each kind (and the shown predictions, with `shown`)."""
    queries = {
        "poi": LIST_POI_CANDIDATES,
        "satisfy": LIST_SATISFY_CANDIDATES,
        "category": LIST_CATEGORY_CANDIDATES,
        "image": LIST_IMAGE_CANDIDATES,
    }
    found = []
    for kind in kinds:
        records = driver.execute_query(queries[kind], shown=shown, limit=limit, database_=database).records
        found += [Candidate(kind, **record.data()) for record in records]
    return found


def apply_decision(
    driver: Driver, kind: Kind, subject: str, obj: str, decision: Decision, database: str = "neo4j"
) -> int:
    """Change the graph as the decision says; returns how many facts changed (0: no such candidate)."""
    queries = {
        ("poi", "accept"): ACCEPT_POI,
        ("poi", "reject"): REJECT_POI,
        ("satisfy", "accept"): ACCEPT_SATISFY,
        ("satisfy", "reject"): REJECT_SATISFY,
        ("category", "accept"): ACCEPT_CATEGORY,
        ("category", "reject"): REJECT_CATEGORY,
        ("image", "accept"): ACCEPT_IMAGE_LINK,
        ("image", "reject"): REJECT_IMAGE_LINK,
    }
    records = driver.execute_query(queries[(kind, decision)], subject=subject, object=obj, database_=database).records
    changed = records[0]["changed"] if records else 0
    if kind == "satisfy" and changed:
        from kg_builder.textual.inference import infer_item_pois

        infer_item_pois(driver, database)
    return changed
