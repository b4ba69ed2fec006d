"""The chat page's static server: the page, the widget bundle, and the images and videos the assistant sends.

Nothing else is served (never the repository as a whole: `.neo4j/` holds a password, `.run/` the Rasa API token):
/ and /web/index.html (the page), /web/node_modules/rasa-webchat/lib/ (the widget), and only images and videos
from /media/, /data/catalog/images/, /models/images/extracted/pieces/ and /shared/data/ (the real product photos
beside the checkout); the folders are those of kg_builder.config.PATHS, so MKG_MEDIA_DIR, MKG_MODELS_DIR and
SHARED_DATA move them. Anything else, a hidden file or folder included, is 404.

The widget bundle is served with one change: its socket.io connection uses the websocket transport alone (rasa-webchat
1.0.1 opens it with long polling first, whose requests may each reach another Rasa process), so that the page keeps
one connection to one Rasa process and works with RASA_WORKERS above 1.

The page talks to the Rasa server named by `?rasa=`, else to port 5005 of the host it came from. A page request
whose `?rasa=` names another server than the configured one (--rasa-url, else http://<the page's host>:--rasa-port)
is refused with 403, so that no link can point the page, and what the user types, at someone else's server.

    python web/serve.py [--host 127.0.0.1] [--port 8080] [--rasa-port 5005] [--rasa-url http://host:5005]
"""

from __future__ import annotations

import argparse
import functools
import io
import posixpath
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from kg_builder.config import PATHS

PAGE = "web/index.html"
WIDGET = "web/node_modules/rasa-webchat/lib/"
WIDGET_BUNDLE = WIDGET + "index.js"
# rasa-webchat 1.0.1's socket.io options (`r`, from socketPath `n`), and the same asking for the websocket transport
SOCKET_OPTIONS = "var r=n?{path:n}:{}"
WEBSOCKET_ONLY = 'var r=n?{path:n,transports:["websocket"]}:{transports:["websocket"]}'
SERVED = PATHS.served()
MEDIA_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".gif", ".webp", ".mp4", ".webm"})
DEFAULT_RASA_PORT = 5005


def resolve(url_path: str) -> Path | None:
    """The file a URL path names, or None when it is not one the page server may serve."""
    path = posixpath.normpath(unquote(urlsplit(url_path).path)).lstrip("/")
    if path in ("", ".", PAGE):
        return PATHS.repo / PAGE
    if any(part.startswith(".") for part in path.split("/")):
        return None
    for prefix, folder in SERVED.items():
        if not path.startswith(prefix) or (prefix != WIDGET and Path(path).suffix.lower() not in MEDIA_SUFFIXES):
            continue
        root = folder.resolve()
        target = (root / path[len(prefix) :]).resolve()
        if root in target.parents:
            return target
    return None


@functools.cache
def websocket_only_bundle(path: Path) -> bytes:
    """The widget bundle at `path` with its socket.io options asking for the websocket transport alone; RuntimeError
    when the options are not found exactly once (another rasa-webchat version: look at its socket code again)."""
    source = path.read_text(encoding="utf-8")
    if source.count(SOCKET_OPTIONS) != 1:
        raise RuntimeError(f"{path}: rasa-webchat's socket.io options {SOCKET_OPTIONS!r} not found exactly once")
    return source.replace(SOCKET_OPTIONS, WEBSOCKET_ONLY).encode("utf-8")


def _origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an http(s) URL with nothing but an origin (a trailing '/' allowed), else None."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return None
    return parts.scheme, parts.hostname.lower(), port


def expected_rasa(page_host: str | None, rasa_url: str | None, rasa_port: int = DEFAULT_RASA_PORT) -> str | None:
    """The Rasa server the page may talk to: `rasa_url` when configured, else port `rasa_port` of the host the
    page was asked from (its Host header, as `location.hostname` in the page); None when neither is known."""
    if rasa_url:
        return rasa_url
    try:
        hostname = urlsplit(f"//{page_host}").hostname if page_host else None
    except ValueError:
        return None
    if not hostname:
        return None
    return f"http://[{hostname}]:{rasa_port}" if ":" in hostname else f"http://{hostname}:{rasa_port}"


def rasa_allowed(query: str, page_host: str | None, rasa_url: str | None, rasa_port: int = DEFAULT_RASA_PORT) -> bool:
    """True when the page's query names no Rasa server (`?rasa=`) or exactly the expected one."""
    values = parse_qs(query, keep_blank_values=True).get("rasa")
    if values is None:
        return True
    expected = expected_rasa(page_host, rasa_url, rasa_port)
    wanted = _origin(values[0]) if len(values) == 1 else None
    return wanted is not None and expected is not None and wanted == _origin(expected)


class Handler(SimpleHTTPRequestHandler):
    """Serves only what `resolve` allows, the page only with an allowed `?rasa=`; no directory listings."""

    rasa_url: str | None = None
    rasa_port: int = DEFAULT_RASA_PORT

    def send_head(self) -> Any:
        target = resolve(self.path)
        if target is None or not target.is_file():
            self.send_error(404)
            return None
        if target == PATHS.repo / PAGE and not rasa_allowed(
            urlsplit(self.path).query, self.headers.get("Host"), self.rasa_url, self.rasa_port
        ):
            self.send_error(403, "?rasa= may only name this chat's Rasa server")
            return None
        if target == (PATHS.repo / WIDGET_BUNDLE).resolve():
            try:
                body = websocket_only_bundle(target)
            except (OSError, UnicodeDecodeError, RuntimeError) as error:
                self.log_error("widget bundle: %s", error)
                self.send_error(500, "the widget bundle cannot be served")
                return None
            self.send_response(200)
            self.send_header("Content-Type", "text/javascript; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-cache")  # a browser asks again, never runs an older copy
            self.end_headers()
            return io.BytesIO(body)
        return super().send_head()

    def translate_path(self, path: str) -> str:
        target = resolve(path)
        return str(target) if target is not None and target.is_file() else str(PATHS.repo / "web" / "__missing__")

    def list_directory(self, path: str) -> None:  # type: ignore[override]
        self.send_error(404)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


def handler(rasa_url: str | None = None, rasa_port: int = DEFAULT_RASA_PORT) -> type[Handler]:
    """The request handler for one configuration of the Rasa server."""
    return type("ConfiguredHandler", (Handler,), {"rasa_url": rasa_url or None, "rasa_port": rasa_port})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--rasa-port", type=int, default=DEFAULT_RASA_PORT, help="the Rasa server's port")
    parser.add_argument("--rasa-url", default=None, help="the Rasa server's URL, when not on the page's host")
    args = parser.parse_args()
    if args.rasa_url and _origin(args.rasa_url) is None:
        parser.error("--rasa-url must be an http(s) origin such as http://host:5005")
    websocket_only_bundle(PATHS.repo / WIDGET_BUNDLE)  # fails now, not at the first page, on another widget version
    server = ThreadingHTTPServer((args.host, args.port), handler(args.rasa_url, args.rasa_port))
    print(f"chat page at http://{args.host}:{args.port}/", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
