"""A free TCP port on loopback, for the servers tests start themselves."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A port nothing listens on now (the system's choice for port 0)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
