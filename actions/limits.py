"""How much of a user's message and of a conversation's state the assistant reads, and the polite reply to a
message over the limit. Standard library and actions.language / actions.messages only: the Rasa server's input
channels (rasa_addons/message_limit.py, .venv-rasa) import it as well as the action server."""

from __future__ import annotations

from actions.language import detect_language
from actions.messages import say

MAX_MESSAGE_CHARS = 2_000  # a longer message gets a polite reply and reaches no step (a 1 MB one in microseconds)
# What the action server reads of a tracker it is sent (slots and entities are the client's to craft): a result
# list holds at most 5 items, the needs of one message a handful, an id or a name a few dozen characters.
MAX_LISTED_ITEMS = 50
MAX_NEEDS = 10  # per kind (scenarios, problems, POIs)
MAX_VALUE_CHARS = 200  # an item id, a property id, an entity value
MAX_ENTITIES = 50  # of the latest message


def too_long(text: object) -> bool:
    """True for a message text over MAX_MESSAGE_CHARS."""
    return isinstance(text, str) and len(text) > MAX_MESSAGE_CHARS


def too_long_reply(text: str) -> str:
    """ "That message is too long" in the message's language (read from its first MAX_MESSAGE_CHARS characters)."""
    return say("too_long", detect_language(text[:MAX_MESSAGE_CHARS]), limit=MAX_MESSAGE_CHARS)
