"""Held-out data never overlaps the training data: no sentence of tests/nlu and no user turn of tests/stories is a
training example of data/nlu."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from kg_builder.config import PATHS

_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


def _normalised(text: str) -> str:
    """A sentence without its entity annotations, case folded, its whitespace collapsed."""
    return " ".join(_ANNOTATION.sub(r"\1", text.strip()).casefold().split())


def nlu_sentences(path: Path) -> dict[str, str]:
    """Every example of a Rasa NLU file, annotations removed and case folded, with its intent."""
    sentences = {}
    for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
        for line in (block.get("examples") or "").splitlines() if "intent" in block else []:
            if line.strip().startswith("- "):
                sentences[_normalised(line.strip()[2:])] = block["intent"]
    return sentences


def story_user_turns(folder: Path) -> list[str]:
    """Every user turn of the Rasa story (and rule) files in a folder, normalised like nlu_sentences."""
    turns = []
    for path in sorted(folder.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for story in (data.get("stories") or []) + (data.get("rules") or []):
            turns += [_normalised(step["user"]) for step in story.get("steps") or [] if "user" in step]
    return turns


def test_annotations_are_removed_before_comparing() -> None:
    assert _ANNOTATION.sub(r"\1", '有没有[咖啡](category) and [red]{"entity": "color"}') == "有没有咖啡 and red"


def test_story_user_turns_are_normalised_like_nlu_sentences(tmp_path: Path) -> None:
    story = """\
stories:
  - story: search, then choose
    steps:
      - user: |
          Can  I see the [Lipstick](category)?
        intent: search_items
      - action: action_search_items
      - user: |
          [第二个]{"entity": "ordinal"}
        intent: choose_item
"""
    (tmp_path / "stories.yml").write_text(story, encoding="utf-8")
    assert story_user_turns(tmp_path) == ["can i see the lipstick?", "第二个"]


def test_no_held_out_nlu_sentence_is_a_training_sentence() -> None:
    training = nlu_sentences(PATHS.nlu / "nlu.yml")
    held_out = nlu_sentences(PATHS.repo / "tests" / "nlu" / "test_nlu.yml")
    assert len(training) > 300 and len(held_out) >= 30
    assert sorted(set(held_out) & set(training)) == []


def test_no_story_user_turn_is_a_training_sentence() -> None:
    """`rasa test` parses the stories' user turns: a training sentence there would only test memory."""
    training = {sentence for path in sorted(PATHS.nlu.glob("*.yml")) for sentence in nlu_sentences(path)}
    turns = story_user_turns(PATHS.repo / "tests" / "stories")
    assert len(training) > 300 and len(turns) >= 90
    assert sorted(set(turns) & training) == []
