"""A folder of generated media files as a bounded cache: at most so many bytes and files, the least recently used
files go first. "Used" is the file's modification time: a file is touched when it is served again (access times
are not reliable: many file systems mount with noatime or relatime). Files being written (`*.part.*`) are neither
counted nor removed."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

_EVICTING = threading.Lock()  # one eviction at a time in this process: no file counted twice or removed twice


def env_int(name: str, default: int, minimum: int = 0) -> int:
    """An integer setting from the environment: `default` when unset or not a number, at least `minimum`."""
    try:
        value = int(os.environ.get(name, "").strip() or default)
    except ValueError:
        value = default
    return max(minimum, value)


@dataclass(frozen=True)
class CacheBound:
    """How much a cache folder may hold: total bytes and number of files."""

    max_bytes: int
    max_files: int

    @classmethod
    def from_env(cls, prefix: str = "VIDEO_CACHE", megabytes: int = 200, files: int = 500) -> CacheBound:
        """`{prefix}_MB` (default 200) and `{prefix}_FILES` (default 500) from the environment."""
        return cls(env_int(f"{prefix}_MB", megabytes) * 1024 * 1024, env_int(f"{prefix}_FILES", files))


def touch(path: Path) -> bool:
    """Mark a cached file as used now; False when it is not there (never made, or evicted). Waits for an eviction
    in progress, so that a file it returns True for is not one that eviction is about to remove."""
    with _EVICTING:
        try:
            if not path.is_file():
                return False
            os.utime(path)
        except FileNotFoundError:
            return False
    return True


def cached_files(folder: Path, pattern: str = "*.mp4") -> list[tuple[float, int, Path]]:
    """(modification time, size, path) of the finished files in the folder, least recently used first."""
    found = []
    for path in folder.glob(pattern):
        if ".part." in path.name:
            continue
        try:
            stat = path.stat()
        except FileNotFoundError:  # removed meanwhile
            continue
        found.append((stat.st_mtime, stat.st_size, path))
    return sorted(found, key=lambda entry: (entry[0], entry[2].name))


def evict(folder: Path, bound: CacheBound, keep: Iterable[Path] = (), pattern: str = "*.mp4") -> list[Path]:
    """Remove the least recently used files until the folder is within the bound; the files in `keep` (the one just
    made) stay even when they alone exceed it. Returns the removed files, oldest first."""
    kept = {Path(path).resolve() for path in keep}
    removed: list[Path] = []
    with _EVICTING:
        files = cached_files(folder, pattern)
        total, count = sum(size for _, size, _ in files), len(files)
        for _, size, path in files:
            if total <= bound.max_bytes and count <= bound.max_files:
                break
            if path.resolve() in kept:
                continue
            path.unlink(missing_ok=True)
            removed.append(path)
            total, count = total - size, count - 1
    return removed


class KeyedLocks:
    """One lock per key, made on first use and dropped when nobody holds or waits for it: two threads working on
    the same key take turns, threads on different keys do not wait for each other."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, tuple[threading.Lock, int]] = {}

    def users(self, key: str) -> int:
        """How many threads hold or wait for the key's lock."""
        with self._guard:
            return self._locks.get(key, (None, 0))[1]

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        """Hold the key's lock for the block."""
        with self._guard:
            lock, users = self._locks.get(key) or (threading.Lock(), 0)
            self._locks[key] = (lock, users + 1)
        try:
            with lock:
                yield
        finally:
            with self._guard:
                lock, users = self._locks[key]
                if users == 1:
                    del self._locks[key]
                else:
                    self._locks[key] = (lock, users - 1)
