"""Plugins of the action server: rasa-sdk imports this package by name at start-up and calls `init_hooks`.

The one plugin here, `action_token`, makes every route but /health answer only a caller that presents the
action-server token (`ACTION_SERVER_TOKEN`, generated into `.run/action-server-token` by scripts/env.sh; Rasa sends it
from endpoints.yml)."""

from __future__ import annotations

import pluggy

from rasa_sdk_plugins import action_token


def init_hooks(manager: pluggy.PluginManager) -> None:
    """Register the plugins with rasa-sdk's plugin manager."""
    manager.register(action_token)
