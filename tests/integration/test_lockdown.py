"""The running set-up is locked down by default: every port on loopback, no cross-origin access to the Rasa server
but from the chat page, no HTTP API without a token, and a hostile message answered politely while another
conversation goes on. (How long they take is measured by benchmarks/hostile_message.py, not asserted here.)"""

from __future__ import annotations

import os
import subprocess
import threading
import uuid

import pytest
import requests

from rasa_sdk_plugins.action_token import caller_headers
from tests.integration.rest import REST, reply

RASA = f"http://127.0.0.1:{os.environ.get('RASA_PORT', '5005')}"
PAGE_ORIGIN = os.environ.get("PAGE_ORIGIN", f"http://127.0.0.1:{os.environ.get('WEB_PORT', '8080')}")
PORTS = {
    os.environ.get(name, default)
    for name, default in [
        ("RASA_PORT", "5005"),
        ("ACTIONS_PORT", "5055"),
        ("WEB_PORT", "8080"),
        ("NEO4J_BOLT_PORT", "7687"),
        ("NEO4J_HTTP_PORT", "7474"),
        ("TRACKER_DB_PORT", "5433"),
        ("LOCK_STORE_PORT", "6380"),
    ]
}


@pytest.mark.skipif(os.environ.get("BIND_HOST", "127.0.0.1") != "127.0.0.1", reason="BIND_HOST is set")
def test_every_port_of_the_project_listens_on_loopback_only() -> None:
    listening = subprocess.run(["ss", "-Hltn"], capture_output=True, text=True, check=True).stdout.split("\n")
    addresses = [line.split()[3] for line in listening if line.strip()]
    ours = [address for address in addresses if address.rsplit(":", 1)[1] in PORTS]
    assert ours, addresses
    assert all(address.rsplit(":", 1)[0].strip("[]").removeprefix("::ffff:") == "127.0.0.1" for address in ours), ours


def test_only_the_chat_page_may_call_the_rasa_server_from_a_browser() -> None:
    def allowed(origin: str) -> str | None:
        headers = {"Origin": origin, "Access-Control-Request-Method": "POST"}
        return requests.options(REST, headers=headers, timeout=10).headers.get("Access-Control-Allow-Origin")

    assert allowed(PAGE_ORIGIN) == PAGE_ORIGIN
    assert allowed("http://evil.example") in (None, "")


@pytest.mark.skipif(os.environ.get("RASA_ENABLE_API") == "1", reason="the HTTP API was turned on")
def test_the_http_api_is_off() -> None:
    for path in ("/status", "/conversations/someone/tracker", "/model"):
        assert requests.get(f"{RASA}{path}", timeout=10).status_code in (401, 403, 404, 405), path


def test_a_1_mb_message_gets_a_polite_reply_while_another_conversation_goes_on() -> None:
    replies: dict[str, str] = {}

    def hostile() -> None:
        replies["1 MB"] = reply(("口红 lipstick 💄 " * 70_000)[:1_000_000], f"pytest-{uuid.uuid4().hex[:8]}")
        replies["digits"] = reply("1" * 40_000, f"pytest-{uuid.uuid4().hex[:8]}")

    attacker = threading.Thread(target=hostile)
    attacker.start()
    bystander = f"pytest-{uuid.uuid4().hex[:8]}"
    listed, card = reply("我想看看口红", bystander), reply("第二个", bystander)
    attacker.join(timeout=120)
    assert replies["1 MB"].startswith("抱歉，这条消息太长了")
    assert replies["digits"].startswith("Sorry, that message is too long")
    assert listed.startswith("为您找到") and "品类：口红" in card


def test_the_action_server_refuses_a_body_over_10_mb() -> None:
    server = f"http://127.0.0.1:{os.environ.get('ACTIONS_PORT', '5055')}"
    body = b'{"next_action": "action_search_items", "tracker": {"slots": {"x": "' + b"x" * 11_000_000 + b'"}}}'
    headers = {"Content-Type": "application/json", **caller_headers()}
    try:
        response = requests.post(f"{server}/webhook", data=body, headers=headers, timeout=60)
        # rasa-sdk's webhook turns Sanic's PayloadTooLarge into a 500 that names it; the body is never parsed
        refused = response.status_code == 413 or "exceeds the size limit" in response.text
    except requests.ConnectionError:  # the server may close the connection as soon as it sees the size
        refused = True
    assert refused
    assert requests.get(f"{server}/health", timeout=10).ok  # and it is still there


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer not-the-token"}])
def test_the_action_server_answers_only_with_its_token(headers: dict[str, str]) -> None:
    """Rasa's calls carry the token (endpoints.yml); anyone else reaching the port gets 401; /health stays open."""
    server = f"http://127.0.0.1:{os.environ.get('ACTIONS_PORT', '5055')}"
    body = {"next_action": "action_search_items", "sender_id": "pytest", "tracker": {"sender_id": "pytest"}}
    assert requests.post(f"{server}/webhook", json=body, headers=headers, timeout=30).status_code == 401
    assert requests.get(f"{server}/actions", headers=headers, timeout=30).status_code == 401
    assert requests.get(f"{server}/actions", headers=caller_headers(), timeout=30).status_code == 200
    assert requests.get(f"{server}/health", timeout=10).ok
