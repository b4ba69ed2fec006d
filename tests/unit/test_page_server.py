"""The chat page's server (web/serve.py) serves the page, the widget and images and videos only, and refuses a
page whose `?rasa=` names another Rasa server than the configured one. The server runs in this process on a port
the system picks (port 0)."""

from __future__ import annotations

import base64
import hashlib
import http.client
import importlib.util
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from types import ModuleType

import pytest

from kg_builder.config import PATHS, REPO_ROOT


def _load_serve() -> ModuleType:
    spec = importlib.util.spec_from_file_location("web_serve", REPO_ROOT / "web" / "serve.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


serve = _load_serve()


@pytest.fixture(scope="module")
def media_file() -> Path:
    """One of the demo catalog's images (committed)."""
    return sorted((PATHS.catalog / "images").glob("*.jpg"))[0]


def _start(rasa_url: str | None = None) -> tuple[ThreadingHTTPServer, threading.Thread]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), serve.handler(rasa_url, 5005))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    server, thread = _start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()
    thread.join()


def get_with_headers(port: int, path: str, host: str | None = None) -> tuple[int, bytes, http.client.HTTPMessage]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest("GET", path, skip_host=True)
        connection.putheader("Host", host or f"127.0.0.1:{port}")
        connection.endheaders()
        answer = connection.getresponse()
        return answer.status, answer.read(), answer.headers
    finally:
        connection.close()


def get(port: int, path: str, host: str | None = None) -> tuple[int, bytes]:
    status, body, _ = get_with_headers(port, path, host)
    return status, body


def test_the_page_and_the_media_are_served(port: int, media_file: Path) -> None:
    status, body = get(port, "/")
    assert status == 200 and b"WebChat.default" in body
    assert get(port, "/web/index.html")[0] == 200
    path = "/data/catalog/images/" + media_file.relative_to(PATHS.catalog / "images").as_posix()
    assert get(port, path) == (200, media_file.read_bytes())


@pytest.mark.parametrize(
    "path",
    [
        "/../README.md",
        "/README.md",
        "/web/../README.md",
        "/web/%2e%2e/README.md",
        "/web/..%2f..%2fREADME.md",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/.neo4j/password",
        "/.run/rasa-api-token",
        "/.run/rasa.log",
        "/.git/config",
        "/models/current.tar.gz",
        "/models/images/extracted/pieces/../../../current.tar.gz",
        "/web/serve.py",
        "/web/package.json",
        "/web/node_modules/.package-lock.json",
        "/web/",
        "/data/catalog/items.jsonl",
        "/data/catalog/images/",
        "/data/catalog/images/../items.jsonl",
        "/shared/data/README.md",
        "/media/.hidden.mp4",
        "/credentials.yml",
        "/actions/actions.py",
    ],
)
def test_nothing_else_is_served(port: int, path: str) -> None:
    assert get(port, path)[0] in (403, 404), path


def test_only_images_and_videos_come_from_the_media_folders() -> None:
    for prefix in ("media/", "data/catalog/images/", "models/images/extracted/pieces/", "shared/data/"):
        assert serve.resolve(f"/{prefix}a/b.jpg") is not None and serve.resolve(f"/{prefix}v.MP4") is not None
        assert serve.resolve(f"/{prefix}a/b.json") is None and serve.resolve(f"/{prefix}notes.txt") is None
    widget = serve.resolve("/web/node_modules/rasa-webchat/lib/index.js")
    assert widget == PATHS.repo / "web" / "node_modules" / "rasa-webchat" / "lib" / "index.js"
    assert serve.resolve("/web/node_modules/rasa-webchat/package.json") is None


@pytest.mark.parametrize(
    "query",
    [
        "?rasa=http://evil.example",
        "?rasa=http://evil.example:5005",
        "?rasa=https://127.0.0.1:5005",
        "?rasa=http://127.0.0.1:5006",
        "?rasa=http://127.0.0.1:5005@evil.example",
        "?rasa=http://user@127.0.0.1:5005",
        "?rasa=http://127.0.0.1:5005/evil",
        "?rasa=javascript:alert(1)",
        "?rasa=//evil.example:5005",
        "?rasa=",
        "?rasa=http://127.0.0.1:5005&rasa=http://evil.example",
        "?%72asa=http://evil.example",
    ],
)
def test_a_page_pointed_at_another_rasa_server_is_refused(port: int, query: str) -> None:
    assert get(port, "/" + query)[0] == 403, query
    assert get(port, "/web/index.html" + query)[0] == 403, query


@pytest.mark.parametrize("query", ["", "?rasa=http://127.0.0.1:5005", "?rasa=http://127.0.0.1:5005/", "?x=1"])
def test_a_page_pointed_at_its_own_rasa_server_is_served(port: int, query: str) -> None:
    assert get(port, "/" + query)[0] == 200, query


def test_the_expected_server_follows_the_host_the_page_was_asked_from(port: int) -> None:
    """`location.hostname` of the page: a page asked from 192.168.1.5 talks to 192.168.1.5:5005."""
    assert get(port, "/?rasa=http://192.168.1.5:5005", host="192.168.1.5:8080")[0] == 200
    assert get(port, "/?rasa=http://127.0.0.1:5005", host="192.168.1.5:8080")[0] == 403
    assert serve.expected_rasa("[::1]:8080", None) == "http://[::1]:5005"
    assert serve.rasa_allowed("rasa=http://[::1]:5005", "[::1]:8080", None)


def test_a_configured_rasa_url_is_the_only_one_allowed() -> None:
    server, thread = _start(rasa_url="https://chat.example.com")
    try:
        port = server.server_address[1]
        assert get(port, "/?rasa=https://chat.example.com")[0] == 200
        assert get(port, "/?rasa=https://chat.example.com:443/")[0] == 200
        assert get(port, "/?rasa=http://127.0.0.1:5005")[0] == 403
        assert get(port, "/?rasa=https://chat.example.com.evil.example")[0] == 403
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.skipif(not (PATHS.repo / serve.WIDGET_BUNDLE).is_file(), reason="no widget: npm install in web/")
def test_the_widget_asks_for_the_websocket_transport_alone_and_no_google_font(port: int) -> None:
    status, body = get(port, "/" + serve.WIDGET_BUNDLE + "?transport=websocket")  # as web/index.html asks for it
    original = (PATHS.repo / serve.WIDGET_BUNDLE).read_bytes()
    assert status == 200 and body.count(serve.WEBSOCKET_ONLY.encode()) == 1
    assert serve.SOCKET_OPTIONS.encode() not in body
    assert b"fonts.googleapis.com" not in body
    expected = original.replace(serve.SOCKET_OPTIONS.encode(), serve.WEBSOCKET_ONLY.encode())
    assert body == expected.replace(serve.GOOGLE_FONT_IMPORT.encode(), b"")


def test_another_widget_version_is_refused_at_start(tmp_path: Path) -> None:
    bundle = tmp_path / "index.js"
    bundle.write_text("var socket=io(url,{path:p});", encoding="utf-8")
    with pytest.raises(RuntimeError, match="not found exactly once"):
        serve.patched_bundle(bundle)
    bundle.write_text(f"x;{serve.SOCKET_OPTIONS};y", encoding="utf-8")
    with pytest.raises(RuntimeError, match="font import"):
        serve.patched_bundle(bundle)


def _policy(header: str) -> dict[str, list[str]]:
    """A Content-Security-Policy header as directive -> sources."""
    return {name: sources for name, *sources in (part.split() for part in header.split(";") if part.strip())}


def test_the_page_comes_with_a_content_security_policy(port: int, media_file: Path) -> None:
    """Scripts only from the server and the page's own inline script (its hash), socket.io only to the page's Rasa
    server; an image or a 404 gets no policy but the nosniff header."""
    status, body, headers = get_with_headers(port, "/", host="192.168.1.5:8080")
    assert status == 200
    policy = _policy(headers["Content-Security-Policy"])
    inline = serve.INLINE_SCRIPT.findall(body.decode())
    assert len(inline) == 1
    digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
    assert policy["script-src"] == ["'self'", f"'sha256-{digest}'"]
    assert policy["connect-src"] == ["'self'", "http://192.168.1.5:5005", "ws://192.168.1.5:5005"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-eval'" not in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    image = "/data/catalog/images/" + media_file.relative_to(PATHS.catalog / "images").as_posix()
    for path in (image, "/README.md"):
        _, _, other = get_with_headers(port, path)
        assert "Content-Security-Policy" not in other and other["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("host", ["evil;script-src *", "a b", "x'y", "[::1:8080", "h\u00e9:8080"])
def test_a_strange_host_header_adds_no_source_to_the_policy(port: int, host: str) -> None:
    status, _, headers = get_with_headers(port, "/", host=host)
    assert status == 200
    policy = _policy(headers["Content-Security-Policy"])
    assert policy["connect-src"] == ["'self'"] and policy["script-src"][0] == "'self'"
    assert "*" not in headers["Content-Security-Policy"]


def test_media_base_url_is_allowed_for_images_and_videos() -> None:
    policy = _policy(serve.content_security_policy("<script>x</script>", None, "https://cdn.example.com/media/"))
    assert policy["media-src"] == ["'self'", "https://cdn.example.com:443"]
    assert "https://cdn.example.com:443" in policy["img-src"] and policy["connect-src"] == ["'self'"]
    assert _policy(serve.content_security_policy("", None, "javascript:alert(1)"))["media-src"] == ["'self'"]
