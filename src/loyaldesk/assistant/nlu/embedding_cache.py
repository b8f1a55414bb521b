"""Sentence vectors kept on disk, so that retraining a model does not embed the same texts again.

Contract:
- ``CachedEmbedder(embedder, directory).embed(texts)`` returns exactly what ``embedder.embed(texts)`` would
  (float32, shape ``(len(texts), 384)``, unit rows), computing only the texts it has not seen before.
- A vector is keyed by SHA-256 of the model file's hash and the text, so another model (or another release
  of the weights) never reads a stale vector.
- The store is one SQLite file in ``directory`` (``embeddings.sqlite3``); several processes may share it.
  A damaged or unwritable cache is never fatal: the texts are embedded again and the error is logged.
- ``default_cache_dir()``: ``$LOYALDESK_ASSISTANT_CACHE_DIR`` when set, else ``$XDG_CACHE_HOME/loyaldesk``,
  else ``~/.cache/loyaldesk``. The default model's file lives there too (``default_intents``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import threading
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path
from typing import Protocol

import numpy as np

from loyaldesk.assistant.nlu.embeddings import DIMENSIONS, MODEL_SHA256, default_embedder

log = logging.getLogger(__name__)

CACHE_DIR_VARIABLE = "LOYALDESK_ASSISTANT_CACHE_DIR"
CHUNK = 1024  # texts embedded between two writes to the cache


class Embedder(Protocol):
    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def default_cache_dir() -> Path:
    """Where the assistant keeps what it can compute again (vectors, the default model)."""
    configured = os.environ.get(CACHE_DIR_VARIABLE)
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "loyaldesk"


def text_key(text: str, model_hash: str = MODEL_SHA256) -> bytes:
    """The cache key of one text's vector under one model."""
    return hashlib.sha256(f"{model_hash}\n{text}".encode()).digest()


class CachedEmbedder:
    """An embedder that remembers every vector it computed, on disk."""

    def __init__(
        self,
        embedder: Embedder | None = None,
        directory: Path | None = None,
        *,
        model_hash: str = MODEL_SHA256,
    ):
        self._embedder = embedder
        self.directory = directory or default_cache_dir()
        self.model_hash = model_hash
        self._lock = threading.Lock()

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = default_embedder()
        return self._embedder

    def _connect(self) -> sqlite3.Connection:
        self.directory.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.directory / "embeddings.sqlite3", timeout=30)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vector BLOB NOT NULL)")
        return connection

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for ``texts`` (in order), embedding only those not cached yet."""
        texts = list(texts)
        result = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        if not texts:
            return result
        keys = [text_key(text, self.model_hash) for text in texts]
        found = self._read(set(keys))
        missing: dict[bytes, str] = {}
        for row, key in enumerate(keys):
            vector = found.get(key)
            if vector is not None:
                result[row] = vector
            else:
                missing.setdefault(key, texts[row])
        fresh: dict[bytes, np.ndarray] = {}
        pending = list(missing.items())
        for start in range(0, len(pending), CHUNK):  # saved as it goes: an interrupted run keeps its work
            chunk = pending[start : start + CHUNK]
            computed = self.embedder.embed([text for _, text in chunk])
            done = {key: vector for (key, _), vector in zip(chunk, computed, strict=True)}
            self._write(done)
            fresh.update(done)
        for row, key in enumerate(keys):
            if key in fresh:
                result[row] = fresh[key]
        return result

    def _read(self, keys: set[bytes]) -> dict[bytes, np.ndarray]:
        found: dict[bytes, np.ndarray] = {}
        try:
            with self._lock, closing(self._connect()) as connection, connection:
                ordered = list(keys)
                for start in range(0, len(ordered), 500):
                    chunk = ordered[start : start + 500]
                    marks = ",".join("?" * len(chunk))
                    rows = connection.execute(
                        f"SELECT key, vector FROM vectors WHERE key IN ({marks})", chunk
                    )
                    for key, blob in rows:
                        if len(blob) == DIMENSIONS * 4:
                            found[key] = np.frombuffer(blob, dtype=np.float32)
        except (sqlite3.Error, OSError) as error:
            log.warning("embedding cache in %s not readable (%s); embedding again", self.directory, error)
        return found

    def _write(self, vectors: dict[bytes, np.ndarray]) -> None:
        try:
            with self._lock, closing(self._connect()) as connection, connection:
                connection.executemany(
                    "INSERT OR REPLACE INTO vectors (key, vector) VALUES (?, ?)",
                    [
                        (key, np.asarray(vector, dtype=np.float32).tobytes())
                        for key, vector in vectors.items()
                    ],
                )
        except (sqlite3.Error, OSError) as error:
            log.warning("embedding cache in %s not writable (%s)", self.directory, error)
