"""Input channels that answer a message over MAX_MESSAGE_CHARS themselves: the polite "too long" reply in the
user's language goes straight back on the channel, and the message reaches neither NLU, nor the policies, nor the
action server (nor the tracker). credentials.yml names these classes instead of Rasa's `rest` and `socketio`.

The wording and the limit are those of the action server (actions/limits.py, standard library only)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint

from actions.limits import MAX_MESSAGE_CHARS, too_long, too_long_reply

logger = logging.getLogger(__name__)
OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


def limit_messages(on_new_message: OnNewMessage) -> OnNewMessage:
    """`on_new_message` for messages up to MAX_MESSAGE_CHARS; a longer one gets the polite reply on its own
    output channel and goes no further."""

    async def limited(message: UserMessage) -> Any:
        if not too_long(message.text):
            return await on_new_message(message)
        logger.info("a message of %d characters (over %d) answered 'too long'", len(message.text), MAX_MESSAGE_CHARS)
        await message.output_channel.send_text_message(message.sender_id, too_long_reply(message.text))
        return None

    return limited


class LimitedRestInput(RestInput):
    """Rasa's REST channel (still /webhooks/rest/webhook and input channel `rest`) with the length check."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        return super().blueprint(limit_messages(on_new_message))
