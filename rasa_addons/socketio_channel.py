"""Rasa's socket.io channel with session persistence that works, so a page reload keeps the conversation.

In Rasa 3.6 `SocketIOInput` calls python-socketio's `enter_room` without awaiting it (a coroutine since
python-socketio 5.x), so with `session_persistence: true` the socket never joins its session's room and every
reply is lost. This channel registers a `session_request` handler that awaits it, and answers a message over
MAX_MESSAGE_CHARS itself (rasa_addons/message_limit.py: no NLU, no action); all else is Rasa's."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint

from rasa_addons.message_limit import limit_messages


class PersistentSocketIOInput(SocketIOInput):
    """`socketio` with a session id that survives reconnects (credentials.yml names this class)."""

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Rasa's blueprint, with its `session_request` handler replaced by one that joins the room and the
        length check before `on_new_message`."""
        webhook = super().blueprint(limit_messages(on_new_message))
        sio = self.sio
        assert sio is not None  # set by super().blueprint

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: dict[str, Any] | None) -> None:
            session_id = (data or {}).get("session_id") or uuid.uuid4().hex
            if self.session_persistence:
                await sio.enter_room(sid, session_id, namespace=self.namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)

        return webhook
