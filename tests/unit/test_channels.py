"""What `_send` gives each channel: `rasa shell` (cmdline) gets no buttons, which its console would turn into a menu
that takes the next typed line, but the words to type in the text; the widget (socketio) and REST keep buttons."""

from __future__ import annotations

from typing import Any

from rasa_sdk.executor import CollectingDispatcher

from actions import actions
from actions.reply import Reply

VIDEO_ZH = {"title": "看短视频", "payload": "看短视频"}
CARD = Reply("【口红】", images=["http://127.0.0.1/a.jpg"], buttons=[VIDEO_ZH], prompt="想看看它的短视频吗？")
CHOICES_EN = Reply(
    "Here it is.",
    buttons=[
        {"title": "Show #1", "payload": "the first one"},
        {"title": "Watch a short video", "payload": "Watch a short video"},
    ],
)


def sent(reply: Reply, channel: str) -> list[dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    actions._send(dispatcher, reply, channel)
    return dispatcher.messages


def test_the_shell_gets_the_buttons_as_words_to_type() -> None:
    shell = sent(CARD, "cmdline")
    assert [message["buttons"] for message in shell] == [[], [], []]
    assert [(m["text"], m["image"]) for m in shell] == [
        ("【口红】", None),
        (None, "http://127.0.0.1/a.jpg"),
        ("想看看它的短视频吗？（可以说“看短视频”）", None),
    ]
    (message,) = sent(CHOICES_EN, "cmdline")
    assert message["buttons"] == []
    assert message["text"] == 'Here it is. (you can say "the first one": Show #1, "Watch a short video")'


def test_the_widget_and_rest_keep_real_buttons() -> None:
    for channel in ("socketio", "rest"):
        widget = sent(CARD, channel)
        assert [m["buttons"] for m in widget] == [[], [], [VIDEO_ZH]]
        assert widget[-1]["text"] == "想看看它的短视频吗？"
        (message,) = sent(CHOICES_EN, channel)
        assert message["text"] == "Here it is." and message["buttons"] == CHOICES_EN.buttons
