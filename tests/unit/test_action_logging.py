"""The action server's log: an apology leaves its exception and traceback, each turn its intent, action and time
(debug), a missing FAQ model a warning at start-up. No graph and no Rasa server: a stub assistant and tracker."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import actions
from actions.graph_store import GraphUnavailable
from actions.messages import say

LOGGER = "actions.actions"


def tracker(text: str, intent: str) -> Tracker:
    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": []}
    return Tracker("test-user", {}, latest, [], False, None, {}, "action_listen")


class FailingAssistant:
    """Every turn raises the given exception."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def search(self, *args: object) -> None:
        raise self.error


Install = Callable[[Exception], None]


@pytest.fixture
def failing(monkeypatch: pytest.MonkeyPatch) -> Install:
    """Installs a failing assistant as the process's one (actions.assistant() returns it)."""

    def install(error: Exception) -> None:
        monkeypatch.setattr(actions, "_assistant", FailingAssistant(error))

    return install


def test_an_apology_for_an_unreachable_graph_is_logged_with_its_traceback(
    failing: Install, caplog: pytest.LogCaptureFixture
) -> None:
    failing(GraphUnavailable("connection refused"))
    dispatcher = CollectingDispatcher()
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        events = actions.ActionSearchItems().run(dispatcher, tracker("我想看看口红", "search_items"), {})
    assert [message["text"] for message in dispatcher.messages] == [say("graph_unavailable", "zh")]
    assert events == [SlotSet("language", "zh")]
    errors = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert len(errors) == 1 and "action_search_items" in errors[0].getMessage()
    assert errors[0].exc_info is not None and errors[0].exc_info[0] is GraphUnavailable
    assert "connection refused" in caplog.text and "Traceback" in caplog.text


def test_any_other_failure_is_logged_and_left_to_the_apology_policy(
    failing: Install, caplog: pytest.LogCaptureFixture
) -> None:
    failing(KeyError("title"))
    with caplog.at_level(logging.DEBUG, logger=LOGGER), pytest.raises(KeyError):
        actions.ActionSearchItems().run(CollectingDispatcher(), tracker("lipstick", "search_items"), {})
    errors = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info is not None and errors[0].exc_info[0] is KeyError


def test_each_turn_logs_its_intent_action_and_time_at_debug_level(caplog: pytest.LogCaptureFixture) -> None:
    dispatcher = CollectingDispatcher()
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        actions.ActionUtterLocalized().run(dispatcher, tracker("hello", "greet"), {})
    turns = [record for record in caplog.records if record.getMessage().startswith("turn:")]
    assert len(turns) == 1 and turns[0].levelno == logging.DEBUG
    message = turns[0].getMessage()
    assert "intent=greet" in message and "action=action_utter_localized" in message and "time=" in message
    assert dispatcher.messages[0]["text"] == say("greet", "en")


def test_a_missing_faq_ranker_is_a_warning_at_start_up(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    ranker = tmp_path / "store_ranker.json"
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        assert actions.warn_if_faq_missing(ranker) is False
    warnings = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 1 and str(ranker) in warnings[0].getMessage()
    caplog.clear()
    ranker.write_text("{}")
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        assert actions.warn_if_faq_missing(ranker) is True
    assert caplog.records == []
