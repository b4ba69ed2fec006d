"""Where images and videos live: graph paths → local files → URLs a client can open."""

from __future__ import annotations

import os
from pathlib import Path

from kg_builder.config import PATHS

CATALOG_DIR = PATHS.catalog
MEDIA_DIR = PATHS.media  # generated videos (not committed)


def local_path(path: str) -> Path:
    """The file of a stored image path: curated images are relative to the catalog, linked ones to the repo."""
    local = CATALOG_DIR / path
    return (local if local.is_file() else PATHS.repo / path).resolve()


def media_url(path: str) -> str:
    """MEDIA_BASE_URL + the file's served path (web/serve.py serves the folders of `PATHS.served()`) when set,
    else a file URI."""
    if path.startswith(("http://", "https://")):
        return path
    file = local_path(path)
    base = os.environ.get("MEDIA_BASE_URL")
    if not base:
        return file.as_uri()
    for prefix, root in PATHS.served().items():
        if root.resolve() in file.parents:
            return f"{base.rstrip('/')}/{prefix}{file.relative_to(root.resolve()).as_posix()}"
    return f"{base.rstrip('/')}/{path}"
