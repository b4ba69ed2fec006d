"""Two Rasa server processes share the conversations (PostgreSQL) and their locks (Redis): a conversation whose turns
alternate between them keeps its list, its item in focus and its language, exactly as one that stays on one."""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Iterator

import pytest
import requests

from kg_builder.config import PATHS
from tests.integration.rest import REST, reply
from tests.ports import free_port

TURNS = ["我想看看口红", "第二个", "它多少钱", "Can I see the T-shirts?", "the first one", "what is its price?"]


@pytest.fixture(scope="module")
def second_server() -> Iterator[str]:
    """A second Rasa server on another port, with the same model, endpoints and stores as the first."""
    port = free_port()
    log = open(PATHS.repo / ".run" / f"rasa-test-{port}.log", "w")  # noqa: SIM115 - closed below
    command = [str(PATHS.repo / ".venv-rasa" / "bin" / "rasa"), "run", "--model", "models/current.tar.gz"]
    command += ["--endpoints", "endpoints.yml", "--credentials", "credentials.yml"]
    command += ["--interface", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(command, cwd=PATHS.repo, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/webhooks/rest/webhook"
    try:
        for _ in range(240):
            if server.poll() is not None:
                pytest.fail(f"the second Rasa server exited; see {log.name}")
            try:
                requests.get(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(1)
        else:
            pytest.fail(f"the second Rasa server did not start within 240 s; see {log.name}")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.close()


def test_turns_alternating_between_two_servers_answer_as_on_one(second_server: str) -> None:
    alone, alternating = (f"pytest-{uuid.uuid4().hex[:8]}" for _ in range(2))
    expected = [reply(text, alone) for text in TURNS]
    got = [reply(text, alternating, (REST, second_server)[n % 2]) for n, text in enumerate(TURNS)]
    assert got == expected
    assert "哪件商品" not in expected[1] and "Which item" not in expected[4]  # the turns did use the list and focus
    assert any("¥" in line or "$" in line or "元" in line for line in (expected[2], expected[5]))
