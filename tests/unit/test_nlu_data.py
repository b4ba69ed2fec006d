"""Held-out data never overlaps the training data: no sentence of tests/nlu and no user turn of tests/stories is a
training example of data/nlu."""

from __future__ import annotations

from pathlib import Path

from kg_builder.config import PATHS
from kg_builder.nlu_data import ANNOTATION, nlu_sentences, story_user_turns, training_sentences


def test_annotations_are_removed_before_comparing() -> None:
    assert ANNOTATION.sub(r"\1", '有没有[咖啡](category) and [red]{"entity": "color"}') == "有没有咖啡 and red"


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
    training = training_sentences(PATHS.nlu)
    turns = story_user_turns(PATHS.repo / "tests" / "stories")
    assert len(training) > 300 and len(turns) >= 90
    assert sorted(set(turns) & training) == []
