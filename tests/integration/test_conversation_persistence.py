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
import asyncio, sys, threading, time
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
    store._last_sweep = 0.0  # due again: the next save starts it in a worker thread
    sweep_thread = []
    sweep = store.expire
    store.expire = lambda: sweep_thread.append(threading.get_ident()) or sweep()
    await store.save(DialogueStateTracker(active, []))
    await store._sweep
    off_loop = bool(sweep_thread) and sweep_thread != [threading.get_ident()]
    print(type(store).__name__, len(before), sorted(after) == [active], off_loop)
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
    assert run.stdout.split()[-4:] == ["ExpiringSQLTrackerStore", "2", "True", "True"]  # the last: off the loop


STORED_EVENTS_CHECK = """
import asyncio, sys
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.core.utils import read_endpoints_from_path
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

store = TrackerStore.create(read_endpoints_from_path("endpoints.yml").tracker_store, Domain.empty())
sender = sys.argv[1]
counted = []  # count queries sent to PostgreSQL
statements = []  # every statement sent to PostgreSQL
for engine in (store.engine, store._autocommit_engine):  # Rasa's ORM sessions; our statements in autocommit
    sa.event.listen(engine, "before_cursor_execute", lambda c, cur, sql, *a: counted.append("count(" in sql.lower()))
    sa.event.listen(engine, "before_cursor_execute", lambda c, cur, sql, *a: statements.append(sql.split()[0]))
    sa.event.listen(engine, "begin", lambda c: statements.append("BEGIN"))  # a transaction (BEGIN ... COMMIT)

def rows():
    with store.session_scope() as session:
        return store._event_query(session, sender, fetch_events_from_all_sessions=True).count()

def rasa_would_add(tracker):
    with store.session_scope() as session:
        return [e.as_dict() for e in SQLTrackerStore._additional_events(store, session, tracker)]

async def check():
    tracker = DialogueStateTracker(sender, [])
    tracker.update(UserUttered("我想看看口红", parse_data={"e5_query": {"model": "m", "vector": "v"}}))
    await store.save(tracker)  # a tracker the store has not seen: Rasa's count
    counts = [rows()]
    tracker = await store.retrieve(sender)
    for event in (ActionExecuted("action_search_items"), BotUttered("为您找到"), SlotSet("language", "zh")):
        tracker.update(event)
    same = rasa_would_add(tracker) == [e.as_dict() for e in list(tracker.events)[1:4]]
    counted.clear()
    await store.save(tracker)
    counts.append(rows())
    await store.save(tracker)  # saved again, nothing new
    counts.append(rows())
    tracker.update(UserUttered("第二个", parse_data={"e5_query": {"model": "m", "vector": "v"}}))
    counted.clear()
    statements.clear()
    await store.save(tracker)  # the same object, one more event
    saves_counted = any(counted)
    save_statements = list(statements)
    statements.clear()
    await store.retrieve(sender)
    save_statements += ["/"] + statements
    counts.append(rows())
    stored = [e.as_dict() for e in (await store.retrieve(sender)).events]
    kept = [e.parse_data.get("e5_query") for e in tracker.events if isinstance(e, UserUttered)]
    expected = [e.as_dict() for e in tracker.events]
    for event in expected:
        event.get("parse_data", {}).pop("e5_query", None)
    print(type(store).__name__, counts, same, stored == expected, saves_counted, kept[-1] is not None)
    print(" ".join(save_statements))  # a save is one INSERT, a retrieval one SELECT: no transaction around them
asyncio.run(check())
"""


@pytest.mark.skipif(os.environ.get("POSTGRES_MANAGED") != "1", reason="the tracker store is not the project's own")
def test_each_event_is_stored_once_in_one_insert_without_counting_them_nor_the_message_vector() -> None:
    run = subprocess.run(
        [
            str(PATHS.repo / ".venv-rasa" / "bin" / "python"),
            "-c",
            STORED_EVENTS_CHECK,
            f"pytest-{uuid.uuid4().hex[:8]}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=PATHS.repo,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split("\n")[-3] == "ExpiringSQLTrackerStore [1, 4, 4, 5] True True False True"
    assert run.stdout.split("\n")[-2] == "INSERT / SELECT"


SESSIONS_CHECK = """
import asyncio, itertools, sys
from rasa.core.tracker_store import TrackerStore
from rasa.core.utils import read_endpoints_from_path
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SessionStarted, SlotSet

store = TrackerStore.create(read_endpoints_from_path("endpoints.yml").tracker_store, Domain.empty())
async def check():
    everything = (await store.retrieve_full_tracker(sys.argv[1])).events
    latest = (await store.retrieve(sys.argv[1])).events
    start = list(latest)[1:]  # after SessionStarted: the carried slots, then action_listen
    carried = [e.key for e in itertools.takewhile(lambda e: isinstance(e, SlotSet), start)]
    once = len(carried) == len(set(carried))  # each slot carried over once, not each of its SlotSet events
    print(sum(isinstance(e, SessionStarted) for e in everything), len(latest) < len(everything), once, *carried)
asyncio.run(check())
"""
SESSION_MAX_TURNS = int(os.environ.get("SESSION_MAX_TURNS") or 25)  # rasa_addons/session_length.py's default


@pytest.mark.skipif(os.environ.get("POSTGRES_MANAGED") != "1", reason="the tracker store is not the project's own")
def test_a_long_conversation_goes_on_in_a_new_session_that_keeps_the_list_shown() -> None:
    control, long = (f"pytest-{uuid.uuid4().hex[:8]}" for _ in range(2))
    assert reply("我想看看口红", long) == reply("我想看看口红", control)
    for _ in range(SESSION_MAX_TURNS - 1):
        reply("谢谢", long)
    expected = reply("第二个", control)  # the second lipstick's card, in a short conversation
    assert expected and "哪件商品" not in expected
    assert reply("第二个", long) == expected  # the message that started the long conversation's second session
    run = subprocess.run(
        [str(PATHS.repo / ".venv-rasa" / "bin" / "python"), "-c", SESSIONS_CHECK, long],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=PATHS.repo,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    starts, shorter, once, *carried = run.stdout.strip().splitlines()[-1].split()
    assert (starts, shorter, once) == ("2", "True", "True")  # two sessions stored; the latest is what is read back
    assert "listed_items" in carried, carried
