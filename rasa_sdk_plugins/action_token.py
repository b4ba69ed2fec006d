"""The action server answers only a caller with the token: `Authorization: Bearer <ACTION_SERVER_TOKEN>`.

Rasa's calls carry it (endpoints.yml, `action_endpoint.headers`). Without the token anyone who can reach the port
could run actions: read the graph through them, or have videos rendered onto the disk. /health stays open, for load
balancers and `wait_for_port`. The server refuses to start without a token rather than run open."""

from __future__ import annotations

import hmac
import logging
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pluggy
from sanic import Request, Sanic, response
from sanic.response import HTTPResponse

log = logging.getLogger(__name__)
hookimpl = pluggy.HookimplMarker("rasa_sdk")

TOKEN_VARIABLE = "ACTION_SERVER_TOKEN"
OPEN_PATHS = frozenset({"/health"})
MIN_TOKEN_LENGTH = 16
REPO_ROOT = Path(__file__).resolve().parent.parent


class MissingToken(RuntimeError):
    """The action server was started without a usable ACTION_SERVER_TOKEN."""


def configured_token(environ: dict[str, str] | None = None) -> str:
    """The token callers must present; raise MissingToken when it is unset or too short to be a secret."""
    token = (os.environ if environ is None else environ).get(TOKEN_VARIABLE, "")
    if len(token) < MIN_TOKEN_LENGTH:
        raise MissingToken(
            f"{TOKEN_VARIABLE} is unset or shorter than {MIN_TOKEN_LENGTH} characters: the action server will not "
            "run open. scripts/actions.sh generates one into .run/action-server-token; set the same value for Rasa."
        )
    return token


def caller_headers() -> dict[str, str]:
    """The headers a client of the action server sends (tests, benchmarks): the token from ACTION_SERVER_TOKEN, else
    from the file scripts/env.sh generated (.run/action-server-token, or under MKG_RUN_DIR)."""
    token = os.environ.get(TOKEN_VARIABLE, "")
    if not token:
        token_file = Path(os.environ.get("MKG_RUN_DIR") or REPO_ROOT / ".run") / "action-server-token"
        token = token_file.read_text(encoding="utf-8").strip() if token_file.is_file() else ""
    return {"Authorization": f"Bearer {token}"}


def presented_token(request: Request) -> str:
    """The bearer token of a request's Authorization header ('' when there is none)."""
    scheme, _, value = (request.headers.get("authorization") or "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def refusal(request: Request, token: str) -> HTTPResponse | None:
    """401 for a request to a closed route without the right token; None lets it through."""
    if request.path in OPEN_PATHS or hmac.compare_digest(presented_token(request).encode(), token.encode()):
        return None
    log.warning("refused %s %s from %s: no valid action-server token", request.method, request.path, request.ip)
    return response.json({"error": "this action server needs its token (Authorization: Bearer ...)"}, status=401)


@hookimpl
def attach_sanic_app_extensions(app: Sanic) -> None:
    """Check every request's token before rasa-sdk's routes see it."""
    token = configured_token()

    async def check_token(request: Request) -> HTTPResponse | None:
        return refusal(request, token)

    app.register_middleware(check_token, "request")


def refuses_strangers(url: str) -> bool:
    """True when the action server at `url` answers a request without the token with 401 (the plugin is loaded)."""
    try:
        with urllib.request.urlopen(url, timeout=10):
            return False
    except urllib.error.HTTPError as error:
        return error.code == 401
    except OSError:
        return False


def actions_url(host: str, port: str) -> str:
    """The /actions route of an action server at `host` (an IPv6 address in brackets) and `port`."""
    return f"http://{f'[{host}]' if ':' in host else host}:{port}/actions"


if __name__ == "__main__":  # python -m rasa_sdk_plugins.action_token --refuses HOST PORT (scripts/actions.sh)
    if len(sys.argv) != 4 or sys.argv[1] != "--refuses":
        sys.exit("usage: python -m rasa_sdk_plugins.action_token --refuses HOST PORT")
    url = actions_url(sys.argv[2], sys.argv[3])
    if not refuses_strangers(url):
        sys.exit(f"error: the action server at {url} answers without its token: is rasa_sdk_plugins importable?")
