"""Where images and videos live: graph paths → local files → URLs a client can open."""

from __future__ import annotations

import os
from pathlib import Path

from kg_builder.config import REPO_ROOT

CATALOG_DIR = REPO_ROOT / "data" / "catalog"
MEDIA_DIR = Path(os.environ.get("MEDIA_DIR", REPO_ROOT / "media"))  # generated videos (not committed)


def local_path(path: str) -> Path:
    """The file of a stored image path: curated images are relative to the catalog, linked ones to the repo."""
    local = CATALOG_DIR / path
    return (local if local.is_file() else REPO_ROOT / path).resolve()


def media_url(path: str) -> str:
    """MEDIA_BASE_URL + the file's served path (web/serve.py serves the repository's media folders and
    shared/data beside it) when set, else a file URI."""
    if path.startswith(("http://", "https://")):
        return path
    file = local_path(path)
    base = os.environ.get("MEDIA_BASE_URL")
    if not base:
        return file.as_uri()
    for root, prefix in ((REPO_ROOT.resolve(), ""), (REPO_ROOT.resolve().parent / "shared", "shared/")):
        if root in file.parents:
            return f"{base.rstrip('/')}/{prefix}{file.relative_to(root).as_posix()}"
    return f"{base.rstrip('/')}/{path}"
