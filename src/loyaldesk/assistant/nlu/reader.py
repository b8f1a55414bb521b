"""The intent reader the composition root provides to ``assistant.ports`` (light to import: the model and
its libraries load on the first message, not when the server starts)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from loyaldesk.assistant.ports import Prediction


def read_default_intents(session: Session, store_id: int, texts: Sequence[str]) -> list[Prediction]:
    """``ports.IntentReader``: every store reads intents with the default model (``session`` and
    ``store_id`` are unused until stores train their own models). The first call in a process loads the
    model from the disk cache, or trains it (about a minute) when none is cached."""
    from loyaldesk.assistant.nlu.default_intents import default_intent_model

    return default_intent_model().predict(texts)
