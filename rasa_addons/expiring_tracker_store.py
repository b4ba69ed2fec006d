"""Rasa's SQL tracker store (conversations on PostgreSQL, so they survive restarts and are shared by every Rasa
process) that forgets conversations nobody has touched for `expire_after_hours`.

endpoints.yml names it as `type: rasa_addons.expiring_tracker_store.ExpiringSQLTrackerStore`; Rasa passes it the
other keys of the `tracker_store` section. The sweep runs when Rasa starts and then at most once every
`sweep_every_minutes`, after a conversation is saved, in a worker thread so that no turn waits for it; it finds idle
conversations through an index on the events' timestamps that the store adds, so it reads only the events older than
the limit, not the whole table (85 ms of a blocked event loop at 505k stored events before, growing with the table);
`expire_after_hours: 0` keeps everything.

One round trip each way, without the ORM: Rasa's store reads a conversation as ORM objects inside a transaction
(BEGIN, SELECT, ROLLBACK) and saves it with a count query, ORM inserts and a COMMIT; under load that was 30% of the
Rasa server's CPU (py-spy, README: Speed). Here a retrieval is one SELECT of the events' JSON and a save one
multi-row INSERT, both in autocommit (a single statement is its own transaction, so a save stores all of a turn's
new events or none), on the same table, so trackers stored by either store read the same. A tracker this store
retrieved or saved remembers how many of its events are stored, so the count is needed only for a tracker it has not
seen. The Redis lock that Rasa holds per conversation for the whole turn keeps anyone else from adding events in
between.

What is stored leaves out the e5 vector of each message (about 2 KB) that Rasa's intent classifier hands to the
action server in the parse data: it serves the turn it came with, and stored it would be read back and sent to the
action server with every later turn of the conversation."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.events import Event, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from actions.query_vector import PARSE_KEY

logger = logging.getLogger(__name__)
STORED_EVENTS = "_events_in_tracker_store"  # set on a tracker: how many of its events the store holds
CACHED_INSERTS = 32  # a turn adds a handful of events
TIMESTAMP_INDEX = "ix_events_timestamp"  # what the sweep finds old events by
DELETE_CHUNK = 1000  # conversations per DELETE of a sweep
ROW_COLUMNS = ("sender_id", "type_name", "timestamp", "intent_name", "action_name", "data")  # what `_row` fills


def without_vector(event: Event) -> Event:
    """The event as it is stored: a user message without the e5 vector Rasa hands to the action server in its parse
    data (actions/query_vector.py), which is for the turn it came with; the tracker in memory keeps it."""
    if not isinstance(event, UserUttered) or PARSE_KEY not in event.parse_data:
        return event
    stored = copy.copy(event)
    stored.parse_data = {key: value for key, value in event.parse_data.items() if key != PARSE_KEY}
    return stored


def _report_failed_sweep(sweep: asyncio.Future[int]) -> None:
    """Log a sweep that ended with an error `expire` does not catch (its SQL errors it logs itself)."""
    if not sweep.cancelled() and sweep.exception() is not None:
        logger.error("tracker store: the sweep of idle conversations failed", exc_info=sweep.exception())


class ExpiringSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore + deletion of the events of conversations whose last event is older than the limit."""

    def __init__(
        self, expire_after_hours: float | str = 720, sweep_every_minutes: float | str = 10, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.expire_after_seconds = float(expire_after_hours) * 3600
        self.sweep_every_seconds = float(sweep_every_minutes) * 60
        self._last_sweep = 0.0
        self._sweep: asyncio.Future[int] | None = None  # the sweep running in a worker thread, if any
        self._autocommit_engine = self._engine_in_autocommit()
        self._inserts: dict[int, sa.sql.TextClause] = {}  # rows -> a multi-row INSERT with numbered parameters
        self._queries = {every: self._events_query(every) for every in (False, True)}  # all sessions? -> SELECT
        self._found_empty: str | None = None  # the sender the last retrieval found nothing stored of
        with self.session_scope():
            pass  # Rasa's check that a PostgreSQL schema named by POSTGRESQL_SCHEMA exists (it exits if not)
        if self.expire_after_seconds > 0:
            self._add_timestamp_index()
        self.expire()

    def _add_timestamp_index(self) -> None:
        """Index the events' timestamps (once per database), so that a sweep reads only the old events. Two Rasa
        processes starting together may both try; the one that loses finds the index made."""
        events = self.SQLEvent.__table__
        alone = sa.Table(events.name, sa.MetaData(), sa.Column("timestamp", sa.Float), schema=events.schema)
        index = sa.Index(TIMESTAMP_INDEX, alone.c.timestamp)  # not on Rasa's table, which every store instance shares
        try:
            index.create(self.engine, checkfirst=True)
        except sa.exc.SQLAlchemyError as error:  # made by another process meanwhile, or no right to make it
            try:
                made = TIMESTAMP_INDEX in {i["name"] for i in sa.inspect(self.engine).get_indexes(events.name)}
            except sa.exc.SQLAlchemyError:
                made = False
            if not made:
                logger.warning("tracker store: no index on the events' timestamps (%s); sweeps read the table", error)

    def _engine_in_autocommit(self) -> sa.engine.Engine:
        """An engine whose connections are in autocommit from the start (setting and resetting the isolation level at
        each checkout cost more than the INSERT itself): its own pool, with Rasa's settings (POSTGRESQL_SCHEMA,
        SQL_POOL_SIZE, SQL_MAX_OVERFLOW; Rasa looks for "postgresql" in a URL given as text, so the driver name, as
        text, gets them for "postgresql+psycopg2" too). SQLite keeps the one engine, switched per checkout: a second
        pool on `:memory:` would open another, empty database."""
        if self.engine.dialect.name == "sqlite":
            return self.engine.execution_options(isolation_level="AUTOCOMMIT")
        settings = create_engine_kwargs(self.engine.url.drivername)
        return sa.create_engine(self.engine.url, isolation_level="AUTOCOMMIT", **settings)

    @contextlib.contextmanager
    def _autocommit(self) -> Iterator[sa.engine.Connection]:
        """A pooled connection on which each statement commits by itself: no BEGIN, COMMIT or ROLLBACK round trips."""
        with self._autocommit_engine.connect() as connection:
            yield connection

    def _multi_row_insert(self, count: int) -> sa.sql.TextClause:
        """INSERT of `count` rows with parameters `<column>_<row>`, as SQL text: SQLAlchemy 1.4 gives a multi-row
        INSERT built with `insert().values([...])` no cache key, so it compiled one at every save (py-spy: a fifth of
        a save), while a text statement is compiled once and cached. The same object for the same count up to
        CACHED_INSERTS rows; a longer one (a conversation saved for the first time) is built anew."""
        if count in self._inserts:
            return self._inserts[count]
        table = self.SQLEvent.__table__
        quote = self.engine.dialect.identifier_preparer
        columns = ", ".join(quote.format_column(table.c[column]) for column in ROW_COLUMNS)
        rows = ", ".join("(" + ", ".join(f":{column}_{n}" for column in ROW_COLUMNS) + ")" for n in range(count))
        statement = sa.text(f"INSERT INTO {quote.format_table(table)} ({columns}) VALUES {rows}")
        if count <= CACHED_INSERTS:
            self._inserts[count] = statement
        return statement

    def _events_query(self, fetch_events_from_all_sessions: bool) -> sa.sql.Select:
        """Rasa's _event_query in Core, the JSON column only, for the sender in the parameter `sender_id`: the
        conversation's events in order, from its latest SessionStarted on unless all sessions are asked for. Built
        once (`_queries`): a statement built anew for each retrieval cost 0.7 ms more (by hand, 60 events)."""
        events = self.SQLEvent.__table__
        sender = sa.bindparam("sender_id")
        query = sa.select(events.c.data).where(events.c.sender_id == sender)
        if not fetch_events_from_all_sessions:
            session_start = (
                sa.select(sa.func.max(events.c.timestamp))
                .where(events.c.sender_id == sender, events.c.type_name == SessionStarted.type_name)
                .scalar_subquery()
            )
            query = query.where(sa.or_(events.c.timestamp >= session_start, session_start.is_(None)))
        return query.order_by(events.c.id)

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> DialogueStateTracker | None:
        with self._autocommit() as connection:
            query = self._queries[fetch_events_from_all_sessions]
            stored = connection.execute(query, {"sender_id": sender_id}).scalars().all()
        self._found_empty = None if stored else sender_id
        if not self.domain or not stored:
            return None
        tracker = DialogueStateTracker.from_dict(sender_id, [json.loads(data) for data in stored], self.domain.slots)
        if not fetch_events_from_all_sessions:
            setattr(tracker, STORED_EVENTS, len(tracker.events))  # those of the latest session, as Rasa counts
        return tracker

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Event]:
        """The tracker's events that are not stored yet (after the ones it remembers, else Rasa's count query), each
        without the message's e5 vector. A conversation Rasa creates because the retrieval just before found nothing
        stored for its sender (in the same turn, under the conversation's lock) has none stored: its first save needs
        no count query (py-spy: 13% of the saves). The marker is kept by `_retrieve`, not on the tracker, because
        Rasa's FailSafeTrackerStore wraps this store and makes the new tracker itself."""
        stored = getattr(tracker, STORED_EVENTS, None)
        if stored is None and self._found_empty == tracker.sender_id and len(tracker.events) <= 1:
            stored = 0  # Rasa's new conversation (create_tracker: action_listen at most), right after a retrieval
        self._found_empty = None
        if not isinstance(stored, int) or tracker.events.maxlen is not None or not 0 <= stored <= len(tracker.events):
            with self.session_scope() as counting:
                return map(without_vector, list(super()._additional_events(counting, tracker)))
        return map(without_vector, itertools.islice(tracker.events, stored, len(tracker.events)))

    @staticmethod
    def _row(sender_id: str, event: Event) -> dict[str, Any]:
        """An event as Rasa's SQLTrackerStore.save stores it."""
        data = event.as_dict()
        return {
            "sender_id": sender_id,
            "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        }

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Stores the tracker's new events in one INSERT (all or none), then sweeps idle conversations when due."""
        await self.stream_events(tracker)
        rows = [self._row(tracker.sender_id, event) for event in self._additional_events(None, tracker)]
        events = self.SQLEvent.__table__
        if rows and self.engine.dialect.supports_multivalues_insert:
            parameters = {f"{column}_{n}": row[column] for n, row in enumerate(rows) for column in ROW_COLUMNS}
            with self._autocommit() as connection:
                connection.execute(self._multi_row_insert(len(rows)), parameters)  # one statement
        elif rows:  # Oracle has no multi-row VALUES: Rasa's way, one transaction
            with self.engine.begin() as connection:
                connection.execute(sa.insert(events), rows)
        setattr(tracker, STORED_EVENTS, len(tracker.events))
        if time.time() - self._last_sweep >= self.sweep_every_seconds and (self._sweep is None or self._sweep.done()):
            self._last_sweep = time.time()
            if self.engine.dialect.name == "sqlite":  # a `:memory:` database is one per thread: sweep here
                self.expire()
            else:
                self._sweep = asyncio.get_running_loop().run_in_executor(None, self.expire)
                self._sweep.add_done_callback(_report_failed_sweep)

    def _idle_query(self, cutoff: float) -> sa.sql.Select:
        """The conversations whose newest event is older than `cutoff`: of the senders with an event before it (the
        index finds those events), the ones with none after it (one look-up per sender)."""
        events = self.SQLEvent.__table__
        old = sa.select(events.c.sender_id).where(events.c.timestamp < cutoff).distinct().subquery("old")
        later_event = sa.exists().where(events.c.sender_id == old.c.sender_id, events.c.timestamp >= cutoff)
        return sa.select(old.c.sender_id).where(~later_event)

    def expire(self, now: float | None = None) -> int:
        """Delete every conversation whose newest event is older than the limit; returns how many went."""
        self._last_sweep = time.time()
        if self.expire_after_seconds <= 0:
            return 0
        cutoff = (now if now is not None else time.time()) - self.expire_after_seconds
        events = self.SQLEvent
        try:
            with self.session_scope() as session:
                senders = session.execute(self._idle_query(cutoff)).scalars().all()
                for start in range(0, len(senders), DELETE_CHUNK):
                    chunk = senders[start : start + DELETE_CHUNK]
                    # only their old events: a conversation that came back meanwhile keeps its new session
                    session.execute(sa.delete(events).where(events.sender_id.in_(chunk), events.timestamp < cutoff))
                session.commit()
        except sa.exc.SQLAlchemyError:
            logger.exception("tracker store: expiring old conversations failed; they are kept for now")
            return 0
        if senders:
            hours = self.expire_after_seconds / 3600
            logger.info("tracker store: %d conversation(s) idle for over %.0f h deleted", len(senders), hours)
        return len(senders)
