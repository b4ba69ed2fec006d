"""Checks of rasa_addons' input channels (and its action response validator) that need Rasa: run by the Rasa
server's Python (.venv-rasa, which has no pytest) from tests/unit/test_message_limit.py; exits non-zero with the
failed assertion.

A message over MAX_MESSAGE_CHARS sent to the REST webhook or the socket.io event gets the polite reply on its
channel, in its language, and `on_new_message` (NLU, policies, actions) is never called; a message at the limit
is passed on. No server starts: the channels' own handlers are called with stand-in requests."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage, register  # noqa: E402
from rasa.shared.utils.common import class_from_module_path  # noqa: E402
from rasa.shared.utils.io import read_config_file  # noqa: E402
from sanic import Sanic  # noqa: E402

from actions.limits import MAX_MESSAGE_CHARS, too_long_reply  # noqa: E402
from rasa_addons.message_limit import LimitedRestInput, limit_messages  # noqa: E402
from rasa_addons.socketio_channel import PersistentSocketIOInput  # noqa: E402

LONG_ZH = "我想看看口红" * 400  # 2,400 characters
LONG_EN = "1" * 40_000
AT_LIMIT = "x" * MAX_MESSAGE_CHARS


class Recorder:
    """A stand-in for the agent's `on_new_message`: records the texts it is given."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    async def __call__(self, message: UserMessage) -> None:
        self.texts.append(message.text)


async def check_the_wrapper() -> None:
    for text, language in ((LONG_ZH, "zh"), (LONG_EN, "en")):
        recorder, collector = Recorder(), CollectingOutputChannel()
        await limit_messages(recorder)(UserMessage(text, collector, "user-1"))
        assert recorder.texts == [], "a long message reached on_new_message"
        assert [m["text"] for m in collector.messages] == [too_long_reply(text)], collector.messages
        assert ("太长" in collector.messages[0]["text"]) == (language == "zh")
        assert collector.messages[0]["recipient_id"] == "user-1"
    recorder, collector = Recorder(), CollectingOutputChannel()
    await limit_messages(recorder)(UserMessage(AT_LIMIT, collector, "user-1"))
    assert recorder.texts == [AT_LIMIT] and collector.messages == [], "a message at the limit was not passed on"


def webhook_handler(channel: LimitedRestInput, on_new_message: Recorder) -> Any:
    """The POST /webhook handler of the channel's blueprint."""
    blueprint = channel.blueprint(on_new_message)
    return next(route.handler for route in blueprint._future_routes if route.uri == "/webhook")


async def check_rest() -> None:
    recorder = Recorder()
    receive = webhook_handler(LimitedRestInput(), recorder)
    for text in (LONG_ZH, LONG_EN):
        request = SimpleNamespace(json={"sender": "user-2", "message": text}, args={})
        answer = json.loads((await receive(request)).body)
        assert recorder.texts == [], "a long REST message reached on_new_message"
        assert [m["text"] for m in answer] == [too_long_reply(text)] and answer[0]["recipient_id"] == "user-2"
    await receive(SimpleNamespace(json={"sender": "user-2", "message": "我想看看口红"}, args={}))
    assert recorder.texts == ["我想看看口红"], recorder.texts


async def check_socketio() -> None:
    recorder, emitted = Recorder(), []
    channel = PersistentSocketIOInput("user_uttered", "bot_uttered", session_persistence=True)
    channel.blueprint(recorder)
    assert channel.sio is not None

    async def emit(event: str, data: Any, room: str | None = None, **kwargs: Any) -> None:
        emitted.append((event, data, room))

    channel.sio.emit = emit  # type: ignore[method-assign]
    handle_message = channel.sio.handlers["/"]["user_uttered"]
    for text in (LONG_ZH, LONG_EN):
        emitted.clear()
        await handle_message("sid-1", {"message": text, "session_id": "session-1"})
        assert recorder.texts == [], "a long socket.io message reached on_new_message"
        assert emitted == [("bot_uttered", {"text": too_long_reply(text)}, "session-1")], emitted
    emitted.clear()
    await handle_message("sid-1", {"message": "the second one", "session_id": "session-1"})
    assert recorder.texts == ["the second one"] and emitted == []


def check_the_credentials() -> None:
    """credentials.yml loads these channels as `rasa run` does (rasa.core.run._create_single_channel, without
    importing rasa.core.run and TensorFlow)."""
    credentials = read_config_file(str(REPO_ROOT / "credentials.yml"))
    channels = [class_from_module_path(name).from_credentials(settings) for name, settings in credentials.items()]
    assert sorted(type(c).__name__ for c in channels) == ["LimitedRestInput", "PersistentSocketIOInput"], channels
    app = Sanic("rasa_channel_checks")
    register(channels, app, route="/webhooks/")  # as `rasa run` does
    app.router.finalize()
    paths = {route.path for route in app.router.routes}
    assert {"webhooks/rest/webhook", "webhooks/socketio", "socket.io"} <= paths, paths  # the URLs as before


def check_the_action_validation() -> None:
    """The prebuilt validator is installed and judges responses as jsonschema.validate does."""
    import jsonschema
    from rasa.core.actions.action import RemoteAction

    from rasa_addons.action_validation import validate_action_result

    assert RemoteAction._validate_action_result is validate_action_result, "the validator is not installed"
    action = RemoteAction("action_search_items", None)
    schema = RemoteAction.action_response_format_spec()
    good = {"events": [{"event": "slot", "name": "listed_items", "value": ["b05"]}], "responses": [{"text": "hi"}]}
    bad = [{"events": "not a list"}, {"events": [{"no_event_key": 1}]}, {"responses": "x"}]
    jsonschema.validate(good, schema)
    assert action._validate_action_result(good) is True
    for response in bad:
        try:
            jsonschema.validate(response, schema)
        except jsonschema.ValidationError:
            pass
        else:
            raise AssertionError(f"Rasa's own validation accepts {response}")
        try:
            action._validate_action_result(response)
        except jsonschema.ValidationError as error:
            assert "Failed to validate Action server response" in error.message
        else:
            raise AssertionError(f"the prebuilt validator accepts {response}")
    check_the_validation_per_event_kind(schema)


def check_the_validation_per_event_kind(schema: dict[str, Any]) -> None:
    """Checking each event against its own kind's alternative judges as jsonschema does with the whole `oneOf`: on
    every event kind Rasa has, as Rasa writes it, and on the same events with each field broken in turn."""
    import copy
    import itertools

    import jsonschema
    from rasa.shared.core import events as rasa_events

    from rasa_addons.action_validation import event_alternatives, response_validators

    checks = response_validators()
    assert checks.per_event is not None and len(checks.per_event) == len(event_alternatives(schema) or {}) > 20
    written = [
        rasa_events.UserUttered("我想看看口红 🙂", {"name": "search_items", "confidence": 0.9}, [{"entity": "x"}]),
        rasa_events.BotUttered("为您找到", {"custom": {"cards": []}}),
        rasa_events.SlotSet("listed_items", ["b05"]),
        rasa_events.ActionExecuted("action_search_items"),
        rasa_events.SessionStarted(),
        rasa_events.FollowupAction("action_listen"),
        rasa_events.ActiveLoop("a_form"),
        rasa_events.AllSlotsReset(),
        rasa_events.ConversationPaused(),
        rasa_events.Restarted(),
        rasa_events.ActionReverted(),
        rasa_events.UserUtteranceReverted(),
        rasa_events.ReminderCancelled(name="r"),
        rasa_events.EntitiesAdded([{"entity": "brand", "value": "b"}]),
    ]
    events = [event.as_dict() for event in written]
    broken: list[dict[str, Any]] = [{"event": "no such kind"}, {"event": 3}, {}, {"event": "slot", "timestamp": "x"}]
    for event, (key, value) in itertools.product(
        events, (("name", 7), ("text", 7), ("timestamp", "now"), ("value", {}))
    ):
        if key in event:
            broken.append({**copy.deepcopy(event), key: value})
    broken += [{**event, "metadata": "not an object"} for event in events]
    responses = [{"events": [event]} for event in events + broken] + [
        {"events": events},
        {"events": events + broken[:1]},
    ]
    responses += [{"events": events, "responses": "x"}, {"events": None}, {"responses": [{"text": "hi"}]}, {}, [], "x"]
    reference = jsonschema.validators.validator_for(schema)(schema)  # as jsonschema.validate(response, schema)
    verdicts = [reference.is_valid(response) for response in responses]
    assert [checks.is_valid(response) for response in responses] == verdicts
    assert sum(verdicts) > len(events) and verdicts.count(False) > 20  # valid and invalid ones were both tried


def check_the_event_types() -> None:
    """Event names resolve from the table to the classes Rasa's own walk finds; unknown names act as before."""
    from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered
    from rasa.shared.utils.common import all_subclasses

    from rasa_addons.event_types import resolve_by_type

    assert Event.resolve_by_type is resolve_by_type, "the table of event classes is not installed"
    for cls in all_subclasses(Event):
        assert Event.resolve_by_type(cls.type_name) is next(
            c for c in all_subclasses(Event) if c.type_name == cls.type_name
        )
    for cls in (UserUttered, SlotSet, ActionExecuted):
        assert Event.resolve_by_type(cls.type_name) is cls
    assert Event.resolve_by_type("no such event", SlotSet) is SlotSet
    assert Event.resolve_by_type("topic") is None
    try:
        Event.resolve_by_type("no such event")
    except ValueError as error:
        assert "Unknown event name" in str(error)
    else:
        raise AssertionError("an unknown event name resolved")
    event = Event.from_parameters({"event": "slot", "name": "language", "value": "zh"})
    assert event == SlotSet("language", "zh")


def record_inserts(inserts: list[bool], _c: Any, _cur: Any, sql: str, _p: Any, context: Any, _m: Any) -> None:
    """An `after_cursor_execute` listener: for each INSERT, whether its compiled form came from SQLAlchemy's cache."""
    from sqlalchemy.engine.default import CACHE_HIT

    if sql.startswith("INSERT"):
        inserts.append(context.cache_hit is CACHE_HIT)


async def check_the_tracker_store() -> None:
    """rasa_addons' tracker store (Core statements in autocommit) stores what Rasa's SQLTrackerStore would, reads the
    latest session only, and stores each event once, with one multi-row INSERT or, for a dialect without one
    (Oracle), an INSERT per row in a transaction. On SQLite in a scratch folder; PostgreSQL is checked by
    tests/integration/test_conversation_persistence.py."""
    import tempfile

    import sqlalchemy as sa
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from rasa_addons.expiring_tracker_store import ExpiringSQLTrackerStore

    with tempfile.TemporaryDirectory() as folder:
        for multi_row in (True, False):
            path = f"{folder}/{multi_row}.db"
            ours = ExpiringSQLTrackerStore(domain=Domain.empty(), dialect="sqlite", db=path, expire_after_hours=0)
            ours.engine.dialect.supports_multivalues_insert = multi_row
            rasa = SQLTrackerStore(domain=Domain.empty(), dialect="sqlite", db=path)
            tracker = DialogueStateTracker("shopper 🙂", [])
            for event in (SessionStarted(), UserUttered("old session"), SessionStarted(), UserUttered("我想看看口红")):
                tracker.update(event)
            await ours.save(tracker)
            retrieved = await ours.retrieve("shopper 🙂")
            for event in (ActionExecuted("action_search_items"), BotUttered("为您找到"), SlotSet("language", "zh")):
                retrieved.update(event)
            inserts: list[bool] = []  # per INSERT: did SQLAlchemy find it compiled in its cache?
            sa.event.listen(ours.engine, "after_cursor_execute", functools.partial(record_inserts, inserts))
            await ours.save(retrieved)
            await ours.save(retrieved)  # nothing new: nothing stored
            latest = [e.as_dict() for e in retrieved.events]  # from the second SessionStarted on
            assert len(latest) == 5
            assert [e.as_dict() for e in (await ours.retrieve("shopper 🙂")).events] == latest
            assert [e.as_dict() for e in (await rasa.retrieve("shopper 🙂")).events] == latest
            everything = [e.as_dict() for e in (await rasa.retrieve_full_tracker("shopper 🙂")).events]
            assert everything == [e.as_dict() for e in list(tracker.events)[:2]] + latest
            assert await ours.retrieve("nobody") is None
            other = DialogueStateTracker("another shopper", [])
            for event in (SessionStarted(), UserUttered("show me some yoghurt"), SlotSet("language", "en")):
                other.update(event)
            await ours.save(other)  # as many new events as the save above: the same INSERT, compiled once
            # compiled at the first save of 3 events, then found cached (Rasa's per-row INSERT: at the first save)
            assert inserts == [not multi_row, True], inserts
    in_memory = ExpiringSQLTrackerStore(domain=Domain.empty(), dialect="sqlite", db=":memory:", expire_after_hours=0)
    tracker = DialogueStateTracker("shopper", [])
    tracker.update(UserUttered("我想看看口红"))
    await in_memory.save(tracker)  # one SQLite database for Rasa's statements and ours, not a second, empty one
    assert [e.as_dict() for e in (await in_memory.retrieve("shopper")).events] == [e.as_dict() for e in tracker.events]
    await check_new_conversations_need_no_count(in_memory)


async def check_new_conversations_need_no_count(store: Any) -> None:
    """A conversation Rasa creates after finding nothing stored is saved without a count query, and stored whole;
    a tracker made otherwise (nothing retrieved just before, or another sender retrieved) still counts."""
    import sqlalchemy as sa
    from rasa.core.tracker_store import FailSafeTrackerStore
    from rasa.shared.core.events import UserUttered

    counts: list[str] = []
    sa.event.listen(store.engine, "before_cursor_execute", lambda _c, _cur, sql, *_: counts.append(sql))
    created = await FailSafeTrackerStore(store).get_or_create_tracker("a new shopper 🙂")  # as Rasa's Agent wraps it
    assert not [sql for sql in counts if "count(" in sql.lower()], counts
    counts.clear()
    await store.save(store.init_tracker("a new shopper 🙂"))  # the marker was used up by that save: this one counts
    assert [sql for sql in counts if "count(" in sql.lower()], counts
    created.update(UserUttered("show me some yoghurt"))
    await store.save(created)
    stored = await store.retrieve("a new shopper 🙂")
    assert [e.as_dict() for e in stored.events] == [e.as_dict() for e in created.events]
    assert len(stored.events) == 2  # action_listen, the message: each once
    for retrieved_before, sender, events in (
        ("nobody", "a shopper made otherwise", 1),  # another sender was retrieved
        (None, "a shopper made otherwise 2", 1),  # nothing retrieved just before
        ("a fresh one", "a fresh one", 3),  # the sender just found empty, but not a tracker Rasa just created
    ):
        if retrieved_before:
            assert await store.retrieve(retrieved_before) is None
        counts.clear()
        other = store.init_tracker(sender)
        for _ in range(events):
            other.update(UserUttered("hi"))
        await store.save(other)
        assert [sql for sql in counts if "count(" in sql.lower()], (sender, counts)


@contextlib.contextmanager
def _captured(logger_name: str) -> Iterator[list[logging.LogRecord]]:
    """The records a logger emits inside the block."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    try:
        yield records
    finally:
        logger.removeHandler(handler)


async def check_the_sweep() -> None:
    """The sweep deletes the conversations whose newest event is older than the limit, whatever their older events
    (found through the timestamp index the store adds), and keeps the others whole. On SQLite it runs in place (a
    `:memory:` database is one per thread); tests/integration/test_conversation_persistence.py checks it on
    PostgreSQL, in a worker thread. Each store adds the index to the database, not to Rasa's shared table."""
    import tempfile
    import threading
    import time

    import sqlalchemy as sa
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from rasa_addons.expiring_tracker_store import TIMESTAMP_INDEX, ExpiringSQLTrackerStore, _report_failed_sweep

    hour = 3600.0
    with tempfile.TemporaryDirectory() as folder:
        store = ExpiringSQLTrackerStore(domain=Domain.empty(), dialect="sqlite", db=f"{folder}/t.db")
        table = store.SQLEvent.__tablename__
        assert TIMESTAMP_INDEX in {index["name"] for index in sa.inspect(store.engine).get_indexes(table)}
        now = time.time()
        hours_ago = {"idle": (2000, 800), "active since long": (2000, 1), "new": (0.5,), "idle 🙂": (721,)}
        for sender, ages in hours_ago.items():
            tracker = DialogueStateTracker(sender, [])
            for age in ages:
                tracker.update(UserUttered(f"{age} h ago", timestamp=now - age * hour))
            await store.save(tracker)
        assert store.expire(now) == 2  # over the default 720 h
        assert sorted(await store.keys()) == ["active since long", "new"]
        assert len((await store.retrieve("active since long")).events) == 2  # its old event stays with it
        store._last_sweep = 0.0  # due again
        threads: list[int] = []
        store.expire = lambda: threads.append(threading.get_ident()) or 0  # type: ignore[method-assign]
        await store.save(DialogueStateTracker("new", []))
        assert threads == [threading.get_ident()]  # SQLite: here (a `:memory:` database is one per thread)
        del store.expire
        came_back = DialogueStateTracker("came back", [])  # idle when the sweep listed it, then a new message
        for age in (2000, 0):
            came_back.update(UserUttered(f"{age} h ago", timestamp=now - age * hour))
        await store.save(came_back)
        events = store.SQLEvent.__table__
        listed = sa.select(events.c.sender_id).where(events.c.sender_id == "came back").distinct()
        store._idle_query = lambda cutoff: listed  # type: ignore[method-assign]
        assert store.expire(now) == 1
        assert [e.text for e in (await store.retrieve("came back")).events] == ["0 h ago"]  # only the old one went
        del store._idle_query
        failed: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        failed.set_exception(SystemExit("no schema"))
        with _captured("rasa_addons.expiring_tracker_store") as logged:
            _report_failed_sweep(failed)
        assert any("sweep" in record.getMessage() and record.exc_info for record in logged), logged
        for _ in range(3):  # each store adds the index to the database, not to Rasa's table that all of them share
            ExpiringSQLTrackerStore(domain=Domain.empty(), dialect="sqlite", db=f"{folder}/fresh.db")
        made = {
            index["name"] for index in sa.inspect(sa.create_engine(f"sqlite:///{folder}/fresh.db")).get_indexes(table)
        }
        assert made == {"ix_events_sender_id", TIMESTAMP_INDEX}, made
        assert TIMESTAMP_INDEX not in {index.name for index in store.SQLEvent.__table__.indexes}


def check_the_session_length() -> None:
    """A session ends when it holds SESSION_MAX_TURNS messages, as after an hour idle; not before, not with the limit
    at 0, not when sessions are off; a limit that is no number is refused. A new session carries each slot once,
    with its last value, and the slots end up as Rasa's own carrying leaves them."""
    import os
    import time

    from rasa.core.actions.action import ActionSessionStart
    from rasa.core.processor import MessageProcessor
    from rasa.shared.core.domain import Domain, SessionConfig
    from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
    from rasa.shared.core.slots import AnySlot
    from rasa.shared.core.trackers import DialogueStateTracker

    from rasa_addons.session_length import DEFAULT_MAX_TURNS, carried_slots, has_session_expired

    assert MessageProcessor._has_session_expired is has_session_expired, "the session length check is not installed"
    assert ActionSessionStart._slot_set_events_from_tracker is carried_slots, "the slot carrying is not installed"
    processor = SimpleNamespace(domain=Domain.empty())
    processor.domain.session_config = SessionConfig(session_expiration_time=60, carry_over_slots=True)

    def conversation(messages: int, age_seconds: float = 0.0) -> DialogueStateTracker:
        tracker = DialogueStateTracker("shopper", [])
        for _ in range(50):  # an earlier session: not counted
            tracker.update(UserUttered("你好", timestamp=time.time() - 3 * 3600))
        tracker.update(SessionStarted())
        for _ in range(messages):
            tracker.update(UserUttered("谢谢", timestamp=time.time() - age_seconds))
            tracker.update(SlotSet("language", "zh"))
            tracker.update(ActionExecuted("utter_thank"))
        return tracker

    os.environ.pop("SESSION_MAX_TURNS", None)
    assert not has_session_expired(processor, conversation(DEFAULT_MAX_TURNS - 1))
    assert has_session_expired(processor, conversation(DEFAULT_MAX_TURNS))
    assert has_session_expired(processor, conversation(3, age_seconds=2 * 3600))  # Rasa's own check still holds
    try:
        os.environ["SESSION_MAX_TURNS"] = "0"
        assert not has_session_expired(processor, conversation(5 * DEFAULT_MAX_TURNS))
        os.environ["SESSION_MAX_TURNS"] = "4"
        assert has_session_expired(processor, conversation(4)) and not has_session_expired(processor, conversation(3))
        processor.domain.session_config = SessionConfig(session_expiration_time=0, carry_over_slots=True)  # off
        assert not has_session_expired(processor, conversation(500))
        for wrong in ("-5", "ten", "1e3"):
            os.environ["SESSION_MAX_TURNS"] = wrong
            try:
                has_session_expired(processor, conversation(3))
            except ValueError as error:
                assert "SESSION_MAX_TURNS" in str(error)
            else:
                raise AssertionError(f"SESSION_MAX_TURNS={wrong} was taken")
    finally:
        os.environ.pop("SESSION_MAX_TURNS", None)

    session = DialogueStateTracker("shopper", [])
    for event in (
        SessionStarted(),
        SlotSet("listed_items", ["a"]),
        SlotSet("language", "zh", metadata={"from": "nlu"}),
        SlotSet("listed_items", ["b", "c"]),
        SlotSet("last_query", "口红 🙂"),
        SlotSet("last_query", None),
    ):
        session.update(event)
    carried = carried_slots(session)
    assert [(e.key, e.value) for e in carried] == [
        ("listed_items", ["b", "c"]),
        ("language", "zh"),
        ("last_query", None),
    ]
    assert carried[1].metadata == {"from": "nlu"}
    rasa_way = [SlotSet(e.key, e.value, e.metadata) for e in session.applied_events() if isinstance(e, SlotSet)]
    names = ("listed_items", "language", "last_query")
    for carried_over in (carried, rasa_way):
        nxt = DialogueStateTracker("shopper", [AnySlot(name, mappings=[]) for name in names])
        for event in (SessionStarted(), *carried_over):
            nxt.update(event)
        assert {name: nxt.get_slot(name) for name in names} == {
            "listed_items": ["b", "c"],
            "language": "zh",
            "last_query": None,
        }


async def main() -> None:
    await check_the_tracker_store()
    check_the_session_length()
    await check_the_sweep()
    check_the_action_validation()
    check_the_event_types()
    await check_the_wrapper()
    await check_rest()
    await check_socketio()
    check_the_credentials()
    print("rasa channel checks: ok")


if __name__ == "__main__":
    asyncio.run(main())
