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
_cache: OrderedDict[tuple[int, int], ThemeClassifier] = OrderedDict()
_lock = threading.Lock()


def classifier_for_store(session: Session, store_id: int) -> tuple[ThemeClassifier, int | None]:
    """The store's classifier and its version (None: the default model)."""
    version = session.scalar(
        select(ThemeModel.version)
        .where(ThemeModel.store_id == store_id, ThemeModel.status == ThemeModelStatus.READY)
        .order_by(ThemeModel.version.desc())
        .limit(1)
    )
    if version is None:
        return default_theme_model()[0], None
    key = (store_id, int(version))
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key], key[1]
    blob = session.scalar(
        select(ThemeModel.blob).where(ThemeModel.store_id == store_id, ThemeModel.version == version)
    )
    model = ThemeClassifier.from_bytes(bytes(blob or b""))
    with _lock:
        _cache[key] = model
        for stale in [k for k in _cache if k[0] == store_id and k[1] < key[1]]:
            del _cache[stale]
        while len(_cache) > CACHED_MODELS:
            _cache.popitem(last=False)
    return model, key[1]
