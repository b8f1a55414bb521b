"""The default theme model: the built-in themes trained from ``data/themes.csv``.

Contract: ``default_theme_model(cache_dir=None)`` returns ``(classifier, report)``, once per process and
directory; the model is kept on disk in the assistant's cache directory
(``assistant.nlu.embedding_cache.default_cache_dir()``: ``$LOYALDESK_ASSISTANT_CACHE_DIR`` in tests)
under a name derived from the sentence model, the data and the recipe, so another process loads it in
milliseconds, and a change to the data trains it again. ``loyaldesk feedback prepare`` builds it ahead of
the first comment; ``prepared_default_theme_model`` never trains (None when not prepared).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

import numpy as np

from loyaldesk.assistant.nlu.embedding_cache import CachedEmbedder, default_cache_dir
from loyaldesk.assistant.nlu.embeddings import MODEL_SHA256
from loyaldesk.feedback.themes.classifier import (
    DEFAULT_C,
    FOLDS,
    MIN_POSITIVES,
    ThemeClassifier,
    label_matrix,
    train_theme_classifier,
)
from loyaldesk.feedback.themes.defaults import DEFAULT_THEME_KEYS, default_data_bytes, default_examples

log = logging.getLogger(__name__)
RECIPE = {"version": 1, "c": DEFAULT_C, "folds": FOLDS, "min_positives": MIN_POSITIVES}


def default_model_key() -> str:
    digest = hashlib.sha256()
    digest.update(MODEL_SHA256.encode())
    digest.update(default_data_bytes())
    digest.update(json.dumps(RECIPE, sort_keys=True).encode())
    return digest.hexdigest()[:24]


def default_model_path(cache_dir: Path | None = None) -> Path:
    return (cache_dir or default_cache_dir()) / f"default-themes-{default_model_key()}.npz"


def train_default_theme_model(cache_dir: Path | None = None) -> tuple[ThemeClassifier, dict[str, Any]]:
    """Train from scratch (vectors through the embedding cache in ``cache_dir``)."""
    examples = default_examples()
    vectors = CachedEmbedder(directory=cache_dir).embed([text for text, _ in examples])
    labels = label_matrix([names for _, names in examples], DEFAULT_THEME_KEYS)
    return train_theme_classifier(vectors, labels, DEFAULT_THEME_KEYS)


_models: dict[Path, tuple[ThemeClassifier, dict[str, Any]]] = {}
_lock = threading.Lock()


def default_theme_model(cache_dir: Path | None = None) -> tuple[ThemeClassifier, dict[str, Any]]:
    """The default model and its cross-validated report: from memory, else disk, else trained."""
    path = default_model_path(cache_dir)
    with _lock:
        found = _models.get(path)
        if found is not None:
            return found
        found = _load(path)
        if found is None:
            found = train_default_theme_model(cache_dir)
            _save(path, found)
        _models[path] = found
        return found


def prepared_default_theme_model(
    cache_dir: Path | None = None,
) -> tuple[ThemeClassifier, dict[str, Any]] | None:
    """The default model if it is in memory or on disk already, else None: never trains (pages and the API
    read its report without waiting for a training)."""
    path = default_model_path(cache_dir)
    with _lock:
        found = _models.get(path) or _load(path)
        if found is not None:
            _models[path] = found
        return found


def _load(path: Path) -> tuple[ThemeClassifier, dict[str, Any]] | None:
    try:
        with np.load(io.BytesIO(path.read_bytes()), allow_pickle=False) as archive:
            model = ThemeClassifier.from_bytes(archive["model"].tobytes())
            report = json.loads(archive["report"].tobytes().decode())
        return model, report
    except FileNotFoundError:
        return None
    except (OSError, KeyError, ValueError) as error:
        log.warning("default theme model %s unreadable (%s); training again", path, error)
        return None


def _save(path: Path, found: tuple[ThemeClassifier, dict[str, Any]]) -> None:
    model, report = found
    buffer = io.BytesIO()
    np.savez(
        buffer,
        model=np.frombuffer(model.to_bytes(), dtype=np.uint8),
        report=np.frombuffer(json.dumps(report).encode(), dtype=np.uint8),
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".tmp") as handle:
            handle.write(buffer.getvalue())
        os.replace(handle.name, path)
    except OSError as error:
        log.warning("default theme model not saved to %s (%s)", path, error)
