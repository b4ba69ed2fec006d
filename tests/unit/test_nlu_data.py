"""Held-out NLU data never overlaps the training data: no sentence of tests/nlu is a training example."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from kg_builder.config import PATHS

_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


def nlu_sentences(path: Path) -> dict[str, str]:
    """Every example of a Rasa NLU file, annotations removed and case folded, with its intent."""
    sentences = {}
    for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
        for line in (block.get("examples") or "").splitlines() if "intent" in block else []:
            if line.strip().startswith("- "):
                text = _ANNOTATION.sub(r"\1", line.strip()[2:])
                sentences[" ".join(text.casefold().split())] = block["intent"]
    return sentences


def test_annotations_are_removed_before_comparing() -> None:
    assert _ANNOTATION.sub(r"\1", '有没有[咖啡](category) and [red]{"entity": "color"}') == "有没有咖啡 and red"


def test_no_held_out_nlu_sentence_is_a_training_sentence() -> None:
    training = nlu_sentences(PATHS.nlu / "nlu.yml")
    held_out = nlu_sentences(PATHS.repo / "tests" / "nlu" / "test_nlu.yml")
    assert len(training) > 300 and len(held_out) >= 30
    assert sorted(set(held_out) & set(training)) == []
