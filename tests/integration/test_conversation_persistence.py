"""Conversations live in PostgreSQL (Rasa's SQL tracker store), so they survive a restart of the Rasa server: a
list shown before the restart is still the list "第二个" picks from after it."""

from __future__ import annotations

import os
import subprocess
import uuid

import pytest

from kg_builder.config import PATHS
from tests.integration.rest import reply


def test_a_list_shown_before_a_restart_of_rasa_is_the_one_a_choice_picks_from_after_it() -> None:
    control, restarted = (f"pytest-{uuid.uuid4().hex[:8]}" for _ in range(2))
    shown = reply("我想看看口红", control)
    assert shown == reply("我想看看口红", restarted) and "为您找到" in shown
    expected = reply("第二个", control)  # the second lipstick's card, in a conversation that was not restarted
    assert expected and "哪件商品" not in expected
    subprocess.run([str(PATHS.repo / "scripts" / "web.sh"), "restart"], check=True, capture_output=True, timeout=300)
    assert reply("第二个", restarted) == expected


EXPIRY_CHECK = """
import asyncio, sys, time
from rasa.core.tracker_store import TrackerStore
from rasa.core.utils import read_endpoints_from_path
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

store = TrackerStore.create(read_endpoints_from_path("endpoints.yml").tracker_store, Domain.empty())
idle, active = sys.argv[1:3]
async def check():
    for sender, hours_ago in ((idle, 10_000), (active, 0)):
        tracker = DialogueStateTracker(sender, [])
        tracker.update(UserUttered("hi", timestamp=time.time() - hours_ago * 3600))
        await store.save(tracker)
    before = {idle, active} & set(await store.keys())
    store.expire()
    after = {idle, active} & set(await store.keys())
    print(type(store).__name__, len(before), sorted(after) == [active])
asyncio.run(check())
"""


@pytest.mark.skipif(os.environ.get("POSTGRES_MANAGED") != "1", reason="the tracker store is not the project's own")
def test_idle_conversations_expire_and_active_ones_stay() -> None:
    idle, active = (f"pytest-{uuid.uuid4().hex[:8]}" for _ in range(2))
    run = subprocess.run(
        [str(PATHS.repo / ".venv-rasa" / "bin" / "python"), "-c", EXPIRY_CHECK, idle, active],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=PATHS.repo,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split()[-3:] == ["ExpiringSQLTrackerStore", "2", "True"]
