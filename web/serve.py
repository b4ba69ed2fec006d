"""The chat page's static server: the page, the widget bundle, and the images and videos the assistant sends.

Only these folders are served (never the repository as a whole: `.neo4j/` holds a password):
/web/ (the page and web/node_modules/rasa-webchat/lib), /media/ (videos), /data/catalog/images/,
/models/images/extracted/pieces/, and /shared/data/ (the real product photos beside the checkout); the folders
are those of kg_builder.config.PATHS, so MKG_MEDIA_DIR, MKG_MODELS_DIR and SHARED_DATA move them.

    python web/serve.py [--port 8080]
"""

from __future__ import annotations

import argparse
import functools
import posixpath
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from kg_builder.config import PATHS

SERVED = PATHS.served()


def resolve(url_path: str) -> Path | None:
    """The file a URL path names, or None when it is outside the served folders."""
    path = posixpath.normpath(unquote(urlsplit(url_path).path)).lstrip("/")
    if path in ("", "."):
        path = "web/index.html"
    for prefix, folder in SERVED.items():
        if path.startswith(prefix):
            target = (folder / path[len(prefix) :]).resolve()
            if target == folder.resolve() or folder.resolve() in target.parents:
                return target
    return None


class Handler(SimpleHTTPRequestHandler):
    """Serves only what `resolve` allows; no directory listings."""

    def translate_path(self, path: str) -> str:
        target = resolve(path)
        return str(target) if target is not None and target.is_file() else str(PATHS.repo / "web" / "__missing__")

    def list_directory(self, path: str) -> None:  # type: ignore[override]
        self.send_error(404)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    server = ThreadingHTTPServer((args.host, args.port), functools.partial(Handler))
    print(f"chat page at http://{args.host}:{args.port}/", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
