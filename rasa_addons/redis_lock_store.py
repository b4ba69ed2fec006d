"""Rasa's Redis lock store with each ticket step done inside Redis, atomically, in one round trip.

Rasa keeps one ticket lock per conversation so that its turns run one at a time, across every Rasa process. Its
RedisLockStore reads the lock, changes it in Python and writes it back: 7 blocking Redis calls a turn (8% of the
Rasa server's CPU under load: README, Speed), and two processes that issue a ticket for the same conversation at
the same moment can both read the old lock, so one ticket is lost and both turns run at once. Here issuing a ticket
(dropping expired ones), giving it back (deleting the lock when no ticket is left) and dropping expired tickets
while a turn waits are Lua scripts that Redis runs atomically; a turn whose ticket is first in line starts without
asking again. The lock keeps Rasa's format (TicketLock JSON under the same key), so Rasa's own methods still read
it, and a turn that has to wait polls as Rasa's does.

endpoints.yml names it as `type: rasa_addons.redis_lock_store.AtomicRedisLockStore`; Rasa passes it the other keys
of the `lock_store` section (url, port, password, db, key_prefix, use_ssl ...), as to RedisLockStore."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

# KEYS[1] the lock; ARGV: conversation id, now, lifetime. Returns {ticket issued, ticket now served}.
ISSUE_TICKET = """
local now = tonumber(ARGV[2])
local kept = {}
local raw = redis.call('GET', KEYS[1])
if raw then
  for _, encoded in ipairs(cjson.decode(raw)['tickets'] or {}) do
    if cjson.decode(encoded)['expires'] >= now then table.insert(kept, encoded) end
  end
end
local number = 0
if #kept > 0 then number = cjson.decode(kept[#kept])['number'] + 1 end
table.insert(kept, cjson.encode({number = number, expires = now + tonumber(ARGV[3])}))
redis.call('SET', KEYS[1], cjson.encode({conversation_id = ARGV[1], tickets = kept}))
return {number, cjson.decode(kept[1])['number']}
"""

# KEYS[1] the lock; ARGV: ticket (-1 for none), now. Removes the ticket and the expired ones; deletes the lock when
# none is left (so a turn whose own ticket expired while it waited gets Rasa's LockError, not an empty lock).
RETURN_TICKET = """
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local lock = cjson.decode(raw)
local kept = {}
for _, encoded in ipairs(lock['tickets'] or {}) do
  local ticket = cjson.decode(encoded)
  if ticket['number'] ~= tonumber(ARGV[1]) and ticket['expires'] >= tonumber(ARGV[2]) then
    table.insert(kept, encoded)
  end
end
if #kept == 0 then return redis.call('DEL', KEYS[1]) end
lock['tickets'] = kept
redis.call('SET', KEYS[1], cjson.encode(lock))
return 0
"""
NO_TICKET = -1  # ticket numbers start at 0


class AtomicRedisLockStore(RedisLockStore):
    """RedisLockStore whose ticket issue and return are single atomic Redis scripts."""

    def __init__(self, endpoint_config: EndpointConfig | None = None, **kwargs: Any) -> None:
        """Rasa makes a custom lock store from its endpoint section; RedisLockStore's own keywords work too."""
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url, **endpoint_config.kwargs, **kwargs}  # EndpointConfig took `type`
        super().__init__(**kwargs)
        self._issue = self.red.register_script(ISSUE_TICKET)
        self._return = self.red.register_script(RETURN_TICKET)

    def issue_ticket_and_serving(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> tuple[int, int]:
        """A new ticket for the conversation, and the ticket it serves now (the same one when nobody is before it)."""
        try:
            ticket, serving = self._issue(
                keys=[self.key_prefix + conversation_id], args=[conversation_id, time.time(), lock_lifetime]
            )
        except Exception as error:  # redis errors, as Rasa's issue_ticket reports them
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error
        return int(ticket), int(serving)

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        return self.issue_ticket_and_serving(conversation_id, lock_lifetime)[0]

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Gives the ticket back; the lock goes when no ticket is left."""
        deleted = self._return(keys=[self.key_prefix + conversation_id], args=[ticket_number, time.time()])
        if deleted:
            self._log_deletion(conversation_id, True)

    def update_lock(self, conversation_id: str) -> None:
        """Drops the conversation's expired tickets (Rasa reads, changes and writes the lock back instead, which can
        lose a ticket another process issues in between)."""
        self._return(keys=[self.key_prefix + conversation_id], args=[NO_TICKET, time.time()])

    @asynccontextmanager
    async def lock(
        self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME, wait_time_in_seconds: float = 1
    ) -> AsyncGenerator[TicketLock, None]:
        """Rasa's lock(): a turn whose ticket is served at once starts without reading the lock again."""
        ticket, serving = self.issue_ticket_and_serving(conversation_id, lock_lifetime)
        try:
            if ticket == serving:
                yield self.create_lock(conversation_id)  # as Rasa's, though its callers do not use it
            else:
                yield await self._acquire_lock(conversation_id, ticket, wait_time_in_seconds)
        finally:
            self.cleanup(conversation_id, ticket)
