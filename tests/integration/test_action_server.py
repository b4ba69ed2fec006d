"""The running action server (rasa-sdk) answers Rasa's webhook calls from the graph, hostile text included."""

from __future__ import annotations

import os
from typing import Any

import pytest
import requests

from rasa_sdk_plugins.action_token import caller_headers

ACTIONS_URL = f"http://127.0.0.1:{os.environ.get('ACTIONS_PORT', '5055')}/webhook"


def call_action(
    name: str, text: str, slots: dict[str, Any] | None = None, intent: str = "search_items", channel: str = "rest"
) -> dict:
    """POST what Rasa would send for one action, the message from `channel`; fail when the server is down."""
    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": []}
    body = {
        "next_action": name,
        "sender_id": "pytest",
        "tracker": {
            "sender_id": "pytest",
            "slots": slots or {},
            "latest_message": latest,
            "events": [{"event": "user", "text": text, "parse_data": latest, "input_channel": channel}],
            "active_loop": {},
        },
        "domain": {},
    }
    try:
        response = requests.post(ACTIONS_URL, json=body, headers=caller_headers(), timeout=30)
    except requests.ConnectionError as error:
        pytest.fail(f"action server not reachable at {ACTIONS_URL}: {error}. Start it with `make actions`.")
    assert response.status_code == 200, response.text
    return response.json()


def test_search_action_lists_items_and_sets_the_slot() -> None:
    result = call_action("action_search_items", "我想看看口红")
    assert result["responses"][0]["text"].startswith("为您找到5件商品")
    slots = {e["name"]: e["value"] for e in result["events"] if e["event"] == "slot"}
    assert len(slots["listed_items"]) == 5 and len(set(slots["listed_items"])) == 5


@pytest.mark.parametrize("channel", ["rest", "socketio", "cmdline"])
def test_the_shell_gets_no_attachment_it_cannot_print(channel: str) -> None:
    """Rasa 3.6's console concatenates an attachment to a string: a dict (carousel, video) would end `rasa shell`.
    Its buttons would become a menu that takes the next typed line: it gets the words to type instead."""
    listed = call_action("action_search_items", "我想看看酸奶", channel=channel)
    video = call_action("action_make_video", "看短视频", {"item_in_focus": "s11"}, intent="ask_video", channel=channel)
    card = call_action("action_choose_item", "第一个", {"listed_items": ["s11"]}, intent="choose_item", channel=channel)
    attachments = [m["attachment"] for m in listed["responses"] + video["responses"] if m.get("attachment")]
    buttons = [m["buttons"] for m in card["responses"] if m.get("buttons")]
    if channel == "cmdline":
        assert attachments == [] and buttons == []
        assert any((m.get("text") or "").endswith(".mp4") for m in video["responses"])
        assert card["responses"][-1]["text"].endswith("（可以说“看短视频”）")
    else:
        assert {a["type"] for a in attachments} == {"template", "video"}
        assert buttons == [[{"title": "看短视频", "payload": "看短视频"}]]


def test_property_action_answers_with_a_sentence() -> None:
    result = call_action("action_answer_property", "What is the size of the T-shirt?", intent="ask_property")
    assert "values for size" in result["responses"][0]["text"]


def test_greeting_uses_the_users_language() -> None:
    zh = call_action("action_utter_localized", "你好", intent="greet")
    en = call_action("action_utter_localized", "hello", intent="greet")
    assert zh["responses"][0]["text"].startswith("您好！我是直播间购物助手")
    assert en["responses"][0]["text"].startswith("Hi! I'm the live-room shopping assistant")
    away = call_action("action_utter_localized", "今天天气怎么样", intent="out_of_scope")
    assert away["responses"][0]["text"].startswith("抱歉，我只能回答直播间商品的问题")


@pytest.mark.parametrize("text", ["' OR 1=1 //", "}) DETACH DELETE n //", "🎉" * 100])
def test_hostile_text_through_the_action_server(text: str) -> None:
    result = call_action("action_choose_item", text, slots={"listed_items": [text]}, intent="choose_item")
    assert result["responses"], result
