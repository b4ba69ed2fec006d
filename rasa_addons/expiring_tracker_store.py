"""Rasa's SQL tracker store (conversations on PostgreSQL, so they survive restarts and are shared by every Rasa
process) that forgets conversations nobody has touched for `expire_after_hours`.

endpoints.yml names it as `type: rasa_addons.expiring_tracker_store.ExpiringSQLTrackerStore`; Rasa passes it the
other keys of the `tracker_store` section. The sweep runs when Rasa starts and then at most once every
`sweep_every_minutes`, after a conversation is saved; `expire_after_hours: 0` keeps everything.

One query less per turn: Rasa's store counts a conversation's stored events with a query on every save, to know
which of the tracker's events are new (7% of the Rasa server's CPU under load: py-spy, README: Speed). A tracker
this store retrieved or saved remembers how many of its events are stored, so the count is needed only for a
tracker it has not seen. The Redis lock that Rasa holds per conversation for the whole turn keeps anyone else from
adding events in between.

What is stored leaves out the e5 vector of each message (about 2 KB) that Rasa's intent classifier hands to the
action server in the parse data: it serves the turn it came with, and stored it would be read back and sent to the
action server with every later turn of the conversation."""

from __future__ import annotations

import copy
import itertools
import logging
import time
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from actions.query_vector import PARSE_KEY

logger = logging.getLogger(__name__)
STORED_EVENTS = "_events_in_tracker_store"  # set on a tracker: how many of its events the store holds


def without_vector(event: Event) -> Event:
    """The event as it is stored: a user message without the e5 vector Rasa hands to the action server in its parse
    data (actions/query_vector.py), which is for the turn it came with; the tracker in memory keeps it."""
    if not isinstance(event, UserUttered) or PARSE_KEY not in event.parse_data:
        return event
    stored = copy.copy(event)
    stored.parse_data = {key: value for key, value in event.parse_data.items() if key != PARSE_KEY}
    return stored


class ExpiringSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore + deletion of the events of conversations whose last event is older than the limit."""

    def __init__(
        self, expire_after_hours: float | str = 720, sweep_every_minutes: float | str = 10, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.expire_after_seconds = float(expire_after_hours) * 3600
        self.sweep_every_seconds = float(sweep_every_minutes) * 60
        self._last_sweep = 0.0
        self.expire()

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> DialogueStateTracker | None:
        tracker = await super()._retrieve(sender_id, fetch_events_from_all_sessions)
        if tracker is not None and not fetch_events_from_all_sessions:
            setattr(tracker, STORED_EVENTS, len(tracker.events))  # those of the latest session, as Rasa counts
        return tracker

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Event]:
        """The tracker's events that are not stored yet (after the ones it remembers, else Rasa's count query), each
        without the message's e5 vector."""
        stored = getattr(tracker, STORED_EVENTS, None)
        if not isinstance(stored, int) or tracker.events.maxlen is not None or not 0 <= stored <= len(tracker.events):
            return map(without_vector, super()._additional_events(session, tracker))
        return map(without_vector, itertools.islice(tracker.events, stored, len(tracker.events)))

    async def save(self, tracker: DialogueStateTracker) -> None:
        await super().save(tracker)
        setattr(tracker, STORED_EVENTS, len(tracker.events))
        if time.time() - self._last_sweep >= self.sweep_every_seconds:
            self.expire()

    def expire(self, now: float | None = None) -> int:
        """Delete every conversation whose newest event is older than the limit; returns how many went."""
        self._last_sweep = time.time()
        if self.expire_after_seconds <= 0:
            return 0
        cutoff = (now if now is not None else time.time()) - self.expire_after_seconds
        events = self.SQLEvent
        idle = sa.select(events.sender_id).group_by(events.sender_id).having(sa.func.max(events.timestamp) < cutoff)
        try:
            with self.session_scope() as session:
                senders = [row[0] for row in session.execute(idle)]
                if senders:
                    session.execute(sa.delete(events).where(events.sender_id.in_(senders)))
                    session.commit()
        except sa.exc.SQLAlchemyError:
            logger.exception("tracker store: expiring old conversations failed; they are kept for now")
            return 0
        if senders:
            hours = self.expire_after_seconds / 3600
            logger.info("tracker store: %d conversation(s) idle for over %.0f h deleted", len(senders), hours)
        return len(senders)
