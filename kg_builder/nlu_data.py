"""The assistant's NLU data as plain sentences (annotations removed, case folded, whitespace collapsed), so that
held-out sentences and test-story turns can be checked against training (tests/unit/test_nlu_data.py) and the
overlap reported (benchmarks/quality.py)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


def normalised(text: str) -> str:
    """A sentence without its entity annotations, case folded, its whitespace collapsed."""
    return " ".join(ANNOTATION.sub(r"\1", text.strip()).casefold().split())


def nlu_sentences(path: Path) -> dict[str, str]:
    """Every example of a Rasa NLU file, normalised, with its intent."""
    sentences = {}
    for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
        for line in (block.get("examples") or "").splitlines() if "intent" in block else []:
            if line.strip().startswith("- "):
                sentences[normalised(line.strip()[2:])] = block["intent"]
    return sentences


def training_sentences(folder: Path) -> set[str]:
    """The examples of every NLU file of a training folder."""
    return {sentence for path in sorted(folder.glob("*.yml")) for sentence in nlu_sentences(path)}


def story_user_turns(folder: Path) -> list[str]:
    """Every user turn of the Rasa story (and rule) files in a folder, normalised like nlu_sentences."""
    turns = []
    for path in sorted(folder.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for story in (data.get("stories") or []) + (data.get("rules") or []):
            turns += [normalised(step["user"]) for step in story.get("steps") or [] if "user" in step]
    return turns
