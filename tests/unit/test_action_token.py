"""The action server's token check (rasa_sdk_plugins/action_token.py): only /health is open, everything else needs
`Authorization: Bearer <token>`, and no token means no server."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from rasa_sdk_plugins import action_token
from rasa_sdk_plugins.action_token import MissingToken, caller_headers, configured_token, refusal
from tests.ports import free_port

TOKEN = "0123456789abcdef0123456789abcdef"
REPO = Path(__file__).resolve().parents[2]


@dataclass
class FakeRequest:
    """What `refusal` reads of a Sanic request."""

    path: str = "/webhook"
    headers: dict[str, str] = field(default_factory=dict)
    method: str = "POST"
    ip: str = "127.0.0.1"


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}"],
)
def test_a_request_without_the_token_is_refused(authorization: str | None) -> None:
    headers = {} if authorization is None else {"authorization": authorization}
    refused = refusal(FakeRequest(headers=headers), TOKEN)
    assert refused is not None and refused.status == 401
    assert TOKEN not in refused.body.decode()


@pytest.mark.parametrize("path", ["/webhook", "/actions", "/anything"])
def test_the_token_opens_every_route(path: str) -> None:
    assert refusal(FakeRequest(path=path, headers={"authorization": f"Bearer {TOKEN}"}), TOKEN) is None
    assert refusal(FakeRequest(path=path, headers={"authorization": f"bearer  {TOKEN} "}), TOKEN) is None


def test_health_needs_no_token() -> None:
    assert refusal(FakeRequest(path="/health", method="GET"), TOKEN) is None


@pytest.mark.parametrize("value", [None, "", "short"])
def test_no_usable_token_means_no_server(value: str | None) -> None:
    environ = {} if value is None else {"ACTION_SERVER_TOKEN": value}
    with pytest.raises(MissingToken, match="ACTION_SERVER_TOKEN"):
        configured_token(environ)
    assert configured_token({"ACTION_SERVER_TOKEN": TOKEN}) == TOKEN


def test_a_client_reads_the_token_from_the_variable_or_the_generated_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACTION_SERVER_TOKEN", TOKEN)
    assert caller_headers() == {"Authorization": f"Bearer {TOKEN}"}
    monkeypatch.delenv("ACTION_SERVER_TOKEN")
    monkeypatch.setenv("MKG_RUN_DIR", str(tmp_path))
    (tmp_path / "action-server-token").write_text("fromthefile1234567890\n")
    assert caller_headers() == {"Authorization": "Bearer fromthefile1234567890"}


def test_rasa_sdk_finds_the_plugin_and_endpoints_send_the_token() -> None:
    """rasa-sdk discovers `rasa_sdk_plugins` by importing it; Rasa's endpoints.yml sends the header it checks."""
    code = (
        "from rasa_sdk.plugin import plugin_manager; import json; "
        "print(json.dumps([p.__name__ for p in plugin_manager().get_plugins()]))"
    )
    found = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert action_token.__name__ in json.loads(found.stdout.strip().splitlines()[-1])
    endpoints = (REPO / "endpoints.yml").read_text(encoding="utf-8")
    assert "Authorization: Bearer ${ACTION_SERVER_TOKEN}" in endpoints


def test_the_action_server_will_not_start_without_a_token() -> None:
    environ = {key: value for key, value in os.environ.items() if key != "ACTION_SERVER_TOKEN"}
    started = subprocess.run(
        [sys.executable, "-m", "rasa_sdk", "--actions", "rasa_sdk_plugins", "--port", "0"],
        cwd=REPO,
        env={**environ, "SANIC_HOST": "127.0.0.1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert started.returncode != 0
    assert "ACTION_SERVER_TOKEN is unset" in started.stdout + started.stderr


@contextlib.contextmanager
def action_server(cwd: Path, environ: dict[str, str], logs: Path) -> Iterator[str]:
    """rasa-sdk's action server (no actions) on a free loopback port, started from `cwd` in a session of its own
    (Sanic's worker processes end with it), its output in the folder `logs`; its URL."""
    port = free_port()
    command = [sys.executable, "-m", "rasa_sdk", "--actions", "rasa_sdk", "--port", str(port)]
    log = logs / f"action-server-{port}.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            command,
            cwd=cwd,
            env={**environ, "SANIC_HOST": "127.0.0.1"},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2):
                    break
            except OSError:
                assert server.poll() is None, log.read_text(errors="replace")[-2000:]
                time.sleep(0.25)
        yield url
    finally:  # a disposable server: no graceful shutdown (Sanic's can take half a minute)
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=30)


def _status(url: str, headers: dict[str, str] | None = None) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def test_the_running_server_answers_only_with_the_token(tmp_path: Path) -> None:
    """The plugin in a real rasa-sdk server, started as scripts/actions.sh starts it (from the repository)."""
    with action_server(REPO, {**os.environ, "ACTION_SERVER_TOKEN": TOKEN}, tmp_path) as url:
        assert _status(f"{url}/actions") == 401
        assert _status(f"{url}/actions", {"Authorization": "Bearer wrong-token-123456"}) == 401
        assert _status(f"{url}/actions", {"Authorization": f"Bearer {TOKEN}"}) == 200
        assert _status(f"{url}/health") == 200
        assert action_token.refuses_strangers(f"{url}/actions")


def test_a_server_without_the_plugin_is_found_open(tmp_path: Path) -> None:
    """rasa-sdk starts without a plugin it cannot import; scripts/actions.sh's check then finds it open."""
    environ = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    with action_server(tmp_path, {**environ, "ACTION_SERVER_TOKEN": TOKEN}, tmp_path) as url:
        assert _status(f"{url}/actions") == 200
        assert not action_token.refuses_strangers(f"{url}/actions")
    assert not action_token.refuses_strangers("http://127.0.0.1:9/actions")  # nothing there
