"""The store's intent model for reading shoppers' messages, and the reader the assistant's port calls.

Contracts:
- ``intent_model_for_store(session, store_id)`` is the store's newest ready model, loaded once per
  (store, version) in this process; a store that has trained none gets the built-in model. A new version
  is picked up on the next call after its training commits (one indexed read per call).
- ``read_store_intents(session, store_id, texts)`` is an ``assistant.ports.IntentReader``: one
  ``Prediction`` per text, with intents the store switched off read as out of scope.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyaldesk.assistant.ports import Prediction
from loyaldesk.assistant.teaching.models import IntentModelRow, StoreIntent
from loyaldesk.assistant.teaching.trainer import current_trainer
from loyaldesk.assistant.teaching.vocab import ModelStatus

CACHED_MODELS = 64  # stores' models kept loaded; the least recently used goes first
_cache: OrderedDict[tuple[int, int], Any] = OrderedDict()
_lock = threading.Lock()


def forget_cached_models() -> None:
    """Drop every loaded model (a new trainer was provided)."""
    with _lock:
        _cache.clear()


def intent_model_for_store(session: Session, store_id: int) -> Any:
    """The model that reads this store's messages (see the module's contract)."""
    version = session.scalar(
        select(IntentModelRow.version)
        .where(IntentModelRow.store_id == store_id, IntentModelRow.status == ModelStatus.READY)
        .order_by(IntentModelRow.version.desc())
        .limit(1)
    )
    if version is None:
        return current_trainer().default_model()
    key = (store_id, int(version))
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    blob = session.scalar(
        select(IntentModelRow.blob).where(
            IntentModelRow.store_id == store_id, IntentModelRow.version == version
        )
    )
    model = current_trainer().load(bytes(blob or b""))
    with _lock:
        _cache[key] = model
        for stale in [k for k in _cache if k[0] == store_id and k[1] < key[1]]:
            del _cache[stale]
        while len(_cache) > CACHED_MODELS:
            _cache.popitem(last=False)
    return model


def read_store_intents(session: Session, store_id: int, texts: Sequence[str]) -> list[Prediction]:
    """The store's model's predictions (an ``assistant.ports.IntentReader``)."""
    if not texts:
        return []
    predictions = intent_model_for_store(session, store_id).predict(list(texts))
    switched_off = set(
        session.scalars(
            select(StoreIntent.name).where(StoreIntent.store_id == store_id, StoreIntent.enabled.is_(False))
        )
    )
    if not switched_off:
        return list(predictions)
    return [Prediction(None, p.confidence, p.ranked) if p.intent in switched_off else p for p in predictions]
