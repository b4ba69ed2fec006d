"""A conversation's session also ends after SESSION_MAX_TURNS messages, not only after an hour without one; a new
session carries each slot's value over once.

Rasa reads the whole latest session back at every turn, computes the rule policy's states over all of it and sends
all of it to the action server, so a turn cost more the longer its conversation went on: with one shopper typing
without a pause, the Rasa server's CPU per turn went from 19 ms in turns 1-50 to 122 ms in turns 251-300
(benchmarks/conversation_length.py, README: Speed). A new session keeps what the assistant needs: the slots are
carried over (domain.yml: `carry_over_slots_to_new_session: true`), the rules look at the latest turn only (none is
a conversation-start rule), and the actions read the latest message and the slots. The stored events stay; the
tracker store reads the latest session only.

Rasa's session start carries over every SlotSet event of the session that ends, the ones it carried over itself
included, so each session began with all the slot events of the conversation so far (850 after 300 turns, and a
limit on the session's length would start a new session at every turn). It now carries one SlotSet per slot, with
the slot's last value (and that event's metadata): the slots end up as before.

`install()` wraps `MessageProcessor._has_session_expired` (Rasa's check of the idle time) and replaces
`ActionSessionStart._slot_set_events_from_tracker`. SESSION_MAX_TURNS: default 25; 0 leaves only Rasa's check."""

from __future__ import annotations

import logging
import os

from rasa.core.actions.action import ActionSessionStart
from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)
DEFAULT_MAX_TURNS = 25
_rasa_has_session_expired = MessageProcessor._has_session_expired


def max_session_turns() -> int:
    """SESSION_MAX_TURNS, or the default when it is unset; a value that is no whole number >= 0 is an error."""
    text = os.environ.get("SESSION_MAX_TURNS", "").strip()
    if not text:
        return DEFAULT_MAX_TURNS
    if not text.isdigit():
        raise ValueError(f"SESSION_MAX_TURNS must be a whole number of messages (0: no limit), not {text!r}")
    return int(text)


def messages_in_latest_session(tracker: DialogueStateTracker) -> int:
    """How many user messages the tracker holds since its latest SessionStarted (all of them without one)."""
    count = 0
    for event in reversed(tracker.events):
        if isinstance(event, SessionStarted):
            break
        count += isinstance(event, UserUttered)
    return count


def has_session_expired(self: MessageProcessor, tracker: DialogueStateTracker) -> bool:
    """Rasa's check, or: sessions are on and the latest one holds the limit of messages already (the one arriving
    would go over it)."""
    if _rasa_has_session_expired(self, tracker):
        return True
    limit = max_session_turns()
    if not limit or not self.domain.session_config.are_sessions_enabled():
        return False
    if messages_in_latest_session(tracker) < limit:
        return False
    logger.debug("conversation %s: %d messages in its session; a new one starts", tracker.sender_id, limit)
    return True


def carried_slots(tracker: DialogueStateTracker) -> list[SlotSet]:
    """One SlotSet per slot set in the session (in the order first set), with its last value and metadata."""
    latest: dict[str, SlotSet] = {}
    for event in tracker.applied_events():
        if isinstance(event, SlotSet):
            latest[event.key] = event
    return [SlotSet(key=event.key, value=event.value, metadata=event.metadata) for event in latest.values()]


def install() -> None:
    """Use the length check and the slot carrying in this process (after checking the setting)."""
    max_session_turns()
    MessageProcessor._has_session_expired = has_session_expired  # type: ignore[method-assign]
    ActionSessionStart._slot_set_events_from_tracker = staticmethod(carried_slots)  # type: ignore[method-assign]
