"""Rasa's SQL tracker store (conversations on PostgreSQL, so they survive restarts and are shared by every Rasa
process) that forgets conversations nobody has touched for `expire_after_hours`.

endpoints.yml names it as `type: rasa_addons.expiring_tracker_store.ExpiringSQLTrackerStore`; Rasa passes it the
other keys of the `tracker_store` section. The sweep runs when Rasa starts and then at most once every
`sweep_every_minutes`, after a conversation is saved; `expire_after_hours: 0` keeps everything."""

from __future__ import annotations

import logging
import time
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)


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

    async def save(self, tracker: DialogueStateTracker) -> None:
        await super().save(tracker)
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
