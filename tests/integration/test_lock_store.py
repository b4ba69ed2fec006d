"""Rasa's per-conversation lock on the project's Redis (rasa_addons/redis_lock_store.py): tickets issued at the same
moment by several lock stores (as by several Rasa processes) are all different, turns of one conversation run one
at a time in ticket order, expired tickets are dropped, the lock is gone after the last turn, Rasa's own methods read
what the scripts write, and an uncontended turn costs two Redis calls."""

from __future__ import annotations

import os
import subprocess

import pytest

from kg_builder.config import PATHS

LOCK_CHECK = """
import asyncio, sys, threading, time, uuid
from rasa.core.lock_store import LockStore
from rasa.core.utils import read_endpoints_from_path

endpoint = read_endpoints_from_path("endpoints.yml").lock_store
stores = [LockStore.create(endpoint) for _ in range(4)]  # as four Rasa processes
conversation = "pytest-lock-" + uuid.uuid4().hex[:8]

# 1. 40 tickets issued at once from 4 stores in 8 threads: all different, 0..39
tickets, barrier = [], threading.Barrier(8)
def issue(store):
    barrier.wait()
    for _ in range(5):
        tickets.append(store.issue_ticket(conversation, 60))
threads = [threading.Thread(target=issue, args=(stores[n % 4],)) for n in range(8)]
[t.start() for t in threads]; [t.join() for t in threads]
lock = stores[0].get_lock(conversation)  # Rasa's own reader
print(sorted(tickets) == list(range(40)), [t.number for t in lock.tickets] == list(range(40)))
for number in range(40):
    stores[number % 4].cleanup(conversation, number)
print(stores[0].get_lock(conversation) is None)

# 2. turns of one conversation from different stores run one at a time, in the order they asked
async def turns():
    running, order = [], []
    async def turn(store, n):
        async with store.lock(conversation, 60, wait_time_in_seconds=0.01):
            running.append(n); assert len(running) == 1, running
            await asyncio.sleep(0.02); order.append(n); running.remove(n)
    tasks = []
    for n in range(6):
        tasks.append(asyncio.create_task(turn(stores[n % 4], n)))
        await asyncio.sleep(0.001)
    await asyncio.gather(*tasks)
    return order
print(asyncio.run(turns()) == list(range(6)), stores[0].get_lock(conversation) is None)

# 3. an expired ticket is dropped: a turn after it is served at once
stores[0].issue_ticket(conversation, 0.05)
time.sleep(0.1)
ticket, serving = stores[1].issue_ticket_and_serving(conversation, 60)
print(ticket, serving)  # the expired ticket 0 is gone, so numbering starts again, as in Rasa's TicketLock
stores[1].cleanup(conversation, ticket)

# 4. a lock Rasa's own code wrote, with an expired and a live ticket: the scripts read it and drop the expired one;
# when every ticket has expired, dropping them removes the lock (a waiting turn then gets Rasa's LockError)
from collections import deque
from rasa.core.lock import Ticket, TicketLock
now = time.time()
stores[3].save_lock(TicketLock(conversation, deque([Ticket(4, now - 1), Ticket(5, now + 60)])))
ticket, serving = stores[0].issue_ticket_and_serving(conversation, 60)
left = [t.number for t in stores[3].get_lock(conversation).tickets]
stores[3].save_lock(TicketLock(conversation, deque([Ticket(7, now - 1)])))
stores[0].update_lock(conversation)
print(ticket, serving, left, stores[0].get_lock(conversation) is None)

# 5. an uncontended turn: two Redis calls
calls = []
red = stores[2].red
original = red.execute_command
red.execute_command = lambda *a, **k: calls.append(a[0]) or original(*a, **k)
async def one():
    async with stores[2].lock(conversation):
        pass
asyncio.run(one())
print(type(stores[2]).__name__, calls)
"""


@pytest.mark.skipif(os.environ.get("REDIS_MANAGED") != "1", reason="the lock store is not the project's own")
def test_tickets_are_atomic_and_turns_of_a_conversation_run_one_at_a_time() -> None:
    run = subprocess.run(
        [str(PATHS.repo / ".venv-rasa" / "bin" / "python"), "-c", LOCK_CHECK],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=PATHS.repo,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    lines = run.stdout.strip().split("\n")
    assert lines[-6:] == [
        "True True",
        "True",
        "True True",
        "0 0",
        "6 5 [5, 6] True",
        "AtomicRedisLockStore ['EVALSHA', 'EVALSHA']",
    ], run.stdout
