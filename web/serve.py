"""The chat page's static server: the page, the widget bundle, and the images and videos the assistant sends.

Nothing else is served (never the repository as a whole: `.neo4j/` holds a password, `.run/` the Rasa API token):
/ and /web/index.html (the page), /web/node_modules/rasa-webchat/lib/ (the widget), and only images and videos
from /media/, /data/catalog/images/, /models/images/extracted/pieces/ and /shared/data/ (the real product photos
beside the checkout); the folders are those of kg_builder.config.PATHS, so MKG_MEDIA_DIR, MKG_MODELS_DIR and
SHARED_DATA move them. Anything else, a hidden file or folder included, is 404.

The widget bundle is served with two changes: its socket.io connection uses the websocket transport alone (rasa-webchat
1.0.1 opens it with long polling first, whose requests may each reach another Rasa process), so that the page keeps
one connection to one Rasa process and works with RASA_WORKERS above 1; and its stylesheets no longer import a font
from Google (`GOOGLE_FONT_IMPORT`).

The page talks to the Rasa server named by `?rasa=`, else to port 5005 of the host it came from. A page request
whose `?rasa=` names another server than the configured one (--rasa-url, else http://<the page's host>:--rasa-port)
is refused with 403, so that no link can point the page, and what the user types, at someone else's server.

    python web/serve.py [--host 127.0.0.1] [--port 8080] [--rasa-port 5005] [--rasa-url http://host:5005]
"""

from __future__ import annotations

import argparse
import base64
import functools
import hashlib
import io
import os
import posixpath
import re
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
# rasa-webchat 1.0.1's stylesheets each import the Inter font from Google; dropped, the page makes no third-party
# request (no one else learns of a visit, it works offline, the CSP allows it) and the widget uses the page's fonts
GOOGLE_FONT_IMPORT = "@import url(https://fonts.googleapis.com/css?family=Inter:400,500,700&display=swap);"
SERVED = PATHS.served()
MEDIA_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".gif", ".webp", ".mp4", ".webm"})
DEFAULT_RASA_PORT = 5005
INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)  # the page's own scripts (those with src= are files)
SAFE_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.\-\[\]:]+$")  # what may go into the policy header


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
def patched_bundle(path: Path) -> bytes:
    """The widget bundle at `path` with its socket.io options asking for the websocket transport alone and without
    its Google font imports; RuntimeError when the options are not found exactly once or there is no font import
    (another rasa-webchat version: look at its code again)."""
    source = path.read_text(encoding="utf-8")
    if source.count(SOCKET_OPTIONS) != 1:
        raise RuntimeError(f"{path}: rasa-webchat's socket.io options {SOCKET_OPTIONS!r} not found exactly once")
    if GOOGLE_FONT_IMPORT not in source:
        raise RuntimeError(f"{path}: rasa-webchat's font import {GOOGLE_FONT_IMPORT!r} not found")
    return source.replace(SOCKET_OPTIONS, WEBSOCKET_ONLY).replace(GOOGLE_FONT_IMPORT, "").encode("utf-8")


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


def _source(url: str | None) -> str | None:
    """The origin of an http(s) URL (any path dropped) as a CSP source ('http://host:port'), or None when there is
    none or it holds anything but host characters."""
    try:
        parts = urlsplit((url or "").strip())
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        return None
    host = parts.hostname.lower()
    source = f"{parts.scheme}://{f'[{host}]' if ':' in host else host}:{port}"
    return source if SAFE_ORIGIN.match(source) else None


def content_security_policy(page: str, rasa_url: str | None, media_url: str | None) -> str:
    """The page's policy: its inline scripts by hash, the widget from 'self', socket.io to `rasa_url` (http and ws),
    images and videos from 'self' and `media_url`."""
    hashes = [
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode() + "'"
        for script in INLINE_SCRIPT.findall(page)
    ]
    rasa = _source(rasa_url)
    sockets = [rasa, "ws" + rasa[4:]] if rasa else []  # http://h:p -> ws://h:p, https://h:p -> wss://h:p
    media = [source] if (source := _source(media_url)) else []
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *hashes],
        "style-src": ["'self'", "'unsafe-inline'"],  # the page's <style> and the widget's style attributes
        "connect-src": ["'self'", *sockets],
        "img-src": ["'self'", "data:", "blob:", "https:", *media],
        "font-src": ["'self'", "data:"],  # the carousel's icon font is inlined
        "media-src": ["'self'", *media],
        "frame-src": ["'self'", *media],  # the widget shows a video in an iframe
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


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
    policy: str | None = None  # the Content-Security-Policy of the response being sent (the page's only)

    def end_headers(self) -> None:
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        if self.policy:
            self.send_header("Content-Security-Policy", self.policy)
        super().end_headers()

    def send_head(self) -> Any:
        self.policy = None
        target = resolve(self.path)
        if target is None or not target.is_file():
            self.send_error(404)
            return None
        if target == PATHS.repo / PAGE and not rasa_allowed(
            urlsplit(self.path).query, self.headers.get("Host"), self.rasa_url, self.rasa_port
        ):
            self.send_error(403, "?rasa= may only name this chat's Rasa server")
            return None
        if target == PATHS.repo / PAGE:
            try:
                page = target.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as error:
                self.log_error("page: %s", error)
                self.send_error(500, "the page cannot be served")
                return None
            rasa = expected_rasa(self.headers.get("Host"), self.rasa_url, self.rasa_port)
            self.policy = content_security_policy(page, rasa, os.environ.get("MEDIA_BASE_URL"))
        if target == (PATHS.repo / WIDGET_BUNDLE).resolve():
            try:
                body = patched_bundle(target)
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
    patched_bundle(PATHS.repo / WIDGET_BUNDLE)  # fails now, not at the first page, on another widget version
    server = ThreadingHTTPServer((args.host, args.port), handler(args.rasa_url, args.rasa_port))
    print(f"chat page at http://{args.host}:{args.port}/", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
