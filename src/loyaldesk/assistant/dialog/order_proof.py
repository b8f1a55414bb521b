"""The orders an anonymous visitor proved in a conversation (by the one-time code sent to the order's
email), read through the tools' ``verified_orders(session, conversation_id)`` when it is installed; none
otherwise, so the dialogue works before (and without) the order-code flow."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from sqlalchemy.orm import Session

VerifiedOrders = Callable[[Session, int], frozenset[int]]
_MODULE = "loyaldesk.assistant.tools.order_proof"


def _reader() -> VerifiedOrders | None:
    try:
        module = importlib.import_module(_MODULE)
    except ModuleNotFoundError as error:
        if error.name != _MODULE:
            raise  # the module exists but something it needs does not: that is a bug to see
        return None
    return getattr(module, "verified_orders", None)


def verified_order_ids(session: Session, conversation_id: int | None) -> frozenset[int]:
    """Order ids the conversation's visitor proved; ``frozenset()`` when none (or no proof flow)."""
    reader = _reader()
    if reader is None or conversation_id is None:
        return frozenset()
    return frozenset(reader(session, conversation_id))
