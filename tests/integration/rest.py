"""Talking to the running Rasa server through its REST channel, as the integration tests do."""

from __future__ import annotations

import os

import pytest
import requests

REST = f"http://127.0.0.1:{os.environ.get('RASA_PORT', '5005')}/webhooks/rest/webhook"


def replies(text: str, sender: str, url: str = REST) -> list[str]:
    """The texts of the assistant's replies to one message; fails the test when the server is not there."""
    try:
        response = requests.post(url, json={"sender": sender, "message": text}, timeout=120)
    except requests.ConnectionError as error:
        pytest.fail(f"Rasa server not reachable at {url}: {error}. Start it with `make web`.")
    assert response.status_code == 200, response.text[:300]
    return [message.get("text") or "" for message in response.json()]


def reply(text: str, sender: str, url: str = REST) -> str:
    """The replies to one message as one text, a line each."""
    return "\n".join(replies(text, sender, url))
