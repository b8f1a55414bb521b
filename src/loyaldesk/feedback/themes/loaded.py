"""The model that tags a store's comments, loaded once per (store, version) in this process.

Contract: ``classifier_for_store(session, store_id)`` returns ``(classifier, version)``: the store's
newest ready model, or the default model (``version`` None) for a store that has trained none. A new
version is picked up on the next call after its training commits (one indexed read per call).
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyaldesk.feedback.models import ThemeModel
from loyaldesk.feedback.themes.classifier import ThemeClassifier
from loyaldesk.feedback.themes.default_model import default_theme_model
from loyaldesk.feedback.themes.vocab import ThemeModelStatus

CACHED_MODELS = 64
# Keyed by the database too, and by when the version was trained: a test process opens many databases
# whose stores and versions share numbers.
_cache: OrderedDict[tuple[str, int, int, str], ThemeClassifier] = OrderedDict()
_lock = threading.Lock()


def forget_loaded_models() -> None:
    """Drop every loaded store model (tests that reuse store ids across databases)."""
    with _lock:
        _cache.clear()


def classifier_for_store(session: Session, store_id: int) -> tuple[ThemeClassifier, int | None]:
    """The store's classifier and its version (None: the default model)."""
    newest = session.execute(
        select(ThemeModel.version, ThemeModel.trained_at)
        .where(ThemeModel.store_id == store_id, ThemeModel.status == ThemeModelStatus.READY)
        .order_by(ThemeModel.version.desc())
        .limit(1)
    ).first()
    if newest is None:
        return default_theme_model()[0], None
    version = int(newest.version)
    key = (str(session.get_bind().engine.url), store_id, version, str(newest.trained_at))
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key], version
    blob = session.scalar(
        select(ThemeModel.blob).where(ThemeModel.store_id == store_id, ThemeModel.version == version)
    )
    model = ThemeClassifier.from_bytes(bytes(blob or b""))
    with _lock:
        _cache[key] = model
        for stale in [k for k in _cache if k[:2] == key[:2] and k[2] < version]:
            del _cache[stale]
        while len(_cache) > CACHED_MODELS:
            _cache.popitem(last=False)
    return model, version
