"""A message over MAX_MESSAGE_CHARS: the polite reply in its language, from the Rasa server's channels before NLU
(checked in .venv-rasa by tests/unit/rasa_channel_checks.py) and from the assistant's turns alike."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from actions.limits import MAX_MESSAGE_CHARS, too_long, too_long_reply
from actions.messages import say
from kg_builder.config import REPO_ROOT
from tests.unit.test_light_imports import _first_party_imports

CHECKS = Path(__file__).with_name("rasa_channel_checks.py")


def rasa_python() -> Path:
    """The Rasa server's Python ($RASA_VENV, as scripts/env.sh sets it, else .venv-rasa of this checkout)."""
    return Path(os.environ.get("RASA_VENV") or REPO_ROOT / ".venv-rasa") / "bin" / "python"


def test_the_reply_follows_the_language_of_the_message() -> None:
    assert too_long_reply("我想看看口红" * 400) == say("too_long", "zh", limit=MAX_MESSAGE_CHARS)
    assert too_long_reply("1" * 40_000) == say("too_long", "en", limit=MAX_MESSAGE_CHARS)
    assert too_long_reply("x" * 5_000 + "口红") == say("too_long", "en", limit=MAX_MESSAGE_CHARS)  # first 2,000 only


def test_only_text_over_the_limit_is_too_long() -> None:
    assert too_long("x" * (MAX_MESSAGE_CHARS + 1)) and too_long("口" * (MAX_MESSAGE_CHARS + 1))
    assert not too_long("x" * MAX_MESSAGE_CHARS) and not too_long("") and not too_long(None)


def test_the_channels_import_only_standard_library_modules_of_actions() -> None:
    """The Rasa server's environment has no rasa-sdk, neo4j or jieba: of `actions`, the channels may import only
    the modules that import nothing else."""
    for addon in ("rasa_addons.message_limit", "rasa_addons.socketio_channel"):
        loaded = {module for module in _first_party_imports(addon) if module.startswith("actions")}
        assert loaded <= {"actions", "actions.limits", "actions.language", "actions.messages"}, addon


def test_the_rasa_channels_answer_a_long_message_without_nlu() -> None:
    python = rasa_python()
    if not python.exists():
        pytest.skip(f"no Rasa environment at {python.parent.parent} (make setup; RASA_VENV points elsewhere)")
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run(
        [str(python), "-W", "ignore", str(CHECKS)], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "rasa channel checks: ok" in done.stdout
