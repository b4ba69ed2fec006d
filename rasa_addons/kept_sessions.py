"""One HTTP session per Rasa process and endpoint, kept open, instead of a new one for every action call.

Rasa 3.6's `EndpointConfig.request` opens an aiohttp `ClientSession` (a new connection pool, so a new TCP connection)
for every call to the action server and closes it after the answer. `install()` makes `EndpointConfig.session()` hand
out one session per event loop and endpoint configuration (headers and basic auth), kept open: `request()` and every
other `async with endpoint.session()` use it as before, and their connections are reused. `close_kept_sessions()`
closes them when the server stops (LimitedRestInput registers it)."""

from __future__ import annotations

import asyncio
import logging
from types import TracebackType
from typing import Any

import aiohttp
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

_open_session = EndpointConfig.session  # Rasa's own: a new, configured ClientSession
_kept: dict[tuple[int, str], aiohttp.ClientSession] = {}


class KeptSession:
    """`async with` over a kept session: enters to the session and leaves it open."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self.session

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        return None


def kept_session(endpoint: EndpointConfig) -> KeptSession:
    """The open session of this event loop for the endpoint's headers and basic auth (opened on first use)."""
    loop = asyncio.get_running_loop()
    key = (id(loop), repr((sorted(endpoint.headers.items()), sorted(endpoint.basic_auth.items()))))
    session = _kept.get(key)
    if session is None or session.closed or session.loop is not loop:
        session = _open_session(endpoint)
        _kept[key] = session
    return KeptSession(session)


async def close_kept_sessions(*_: Any) -> None:
    """Close every kept session of the running loop (a Sanic `after_server_stop` listener)."""
    loop = asyncio.get_running_loop()
    for key, session in list(_kept.items()):
        if session.loop is loop:
            del _kept[key]
            await session.close()
    logger.debug("kept HTTP sessions closed")


def install() -> None:
    """Keep one session per endpoint in every EndpointConfig of this process."""
    EndpointConfig.session = kept_session  # type: ignore[assignment,method-assign]
