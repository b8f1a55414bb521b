"""Notes kept on an order about its amounts: written by the actions that met them, shown with the order.

A note is written once per order and key (a payload sent again says the same thing again), inside the
caller's unit of work, with the order already locked by the caller so that two deliveries cannot race on
the same key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from loyaldesk.commerce.models import OrderNote
from loyaldesk.commerce.vocab import OrderNoteKind
from loyaldesk.kernel.db import UnitOfWork

MAX_NOTE_LENGTH = 2000


@dataclass(frozen=True)
class NoteIn:
    """A note to keep. ``topic`` groups notes (amounts, discounts, refund, edit, timestamps); ``key``
    defaults to the topic and the message, so the same words are kept once."""

    kind: OrderNoteKind
    topic: str
    message: str
    key: str | None = None

    def resolved_key(self) -> str:
        if self.key:
            return self.key[:255]
        digest = hashlib.sha256(self.message.encode()).hexdigest()[:24]
        return f"{self.topic}:{digest}"


def add_order_notes(uow: UnitOfWork, store_id: int, order_id: int, notes: Sequence[NoteIn]) -> int:
    """Keep each note not kept before on this order; returns how many were new."""
    if not notes:
        return 0
    known = set(uow.session.scalars(select(OrderNote.key).where(OrderNote.order_id == order_id)))
    now = uow.now()
    added = 0
    for note in notes:
        key = note.resolved_key()
        if key in known:
            continue
        known.add(key)
        uow.session.add(
            OrderNote(
                store_id=store_id,
                order_id=order_id,
                kind=note.kind.value,
                topic=note.topic[:32],
                message=note.message[:MAX_NOTE_LENGTH],
                key=key,
                created_at=now,
            )
        )
        added += 1
    return added


def resolve_warnings(
    uow: UnitOfWork, order_id: int, *, topic: str, key_like: str | None = None, resolution: str
) -> int:
    """Turn the order's warnings on ``topic`` (with a key matching the SQL pattern ``key_like``) into
    notes, saying how they were resolved: a later statement of the order settled them. Returns how many."""
    query = select(OrderNote).where(
        OrderNote.order_id == order_id,
        OrderNote.kind == OrderNoteKind.WARNING.value,
        OrderNote.topic == topic,
    )
    if key_like is not None:
        query = query.where(OrderNote.key.like(key_like))
    resolved = 0
    for note in uow.session.scalars(query):
        note.kind = OrderNoteKind.NOTE.value
        note.message = f"{note.message} {resolution}"[:MAX_NOTE_LENGTH]
        resolved += 1
    return resolved


def has_note(uow: UnitOfWork, order_id: int, key: str) -> bool:
    return (
        uow.session.scalar(select(OrderNote.id).where(OrderNote.order_id == order_id, OrderNote.key == key))
        is not None
    )
