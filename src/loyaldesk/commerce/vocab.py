"""Every vocabulary of commerce, spelled once: each StrEnum with its labels beside it.

Schemas, models, rules and actions use these enums; ``tests/commerce/test_vocab.py`` proves that the API
schema's choices and the columns that store them match the values here.
"""

from __future__ import annotations

from enum import StrEnum


class OrderStatus(StrEnum):
    """An order's lifecycle stage: placed, paid, fulfilled, delivered, in that order, or cancelled."""

    PLACED = "placed"
    PAID = "paid"
    FULFILLED = "fulfilled"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return ORDER_STATUS_LABELS[self]


ORDER_STATUS_LABELS: dict[OrderStatus, str] = {
    OrderStatus.PLACED: "Placed",
    OrderStatus.PAID: "Paid",
    OrderStatus.FULFILLED: "Fulfilled",
    OrderStatus.DELIVERED: "Delivered",
    OrderStatus.CANCELLED: "Cancelled",
}


class RefundStatus(StrEnum):
    """How much of an order's total has been given back: nothing, part of it, or all of it."""

    NONE = "none"
    PARTIAL = "partial"
    FULL = "full"

    @property
    def label(self) -> str:
        return REFUND_STATUS_LABELS[self]


REFUND_STATUS_LABELS: dict[RefundStatus, str] = {
    RefundStatus.NONE: "Not refunded",
    RefundStatus.PARTIAL: "Partly refunded",
    RefundStatus.FULL: "Fully refunded",
}


class RefundKind(StrEnum):
    """A ``refund`` gives money back; a ``return`` gives goods back, and money with them."""

    REFUND = "refund"
    RETURN = "return"

    @property
    def label(self) -> str:
        return REFUND_KIND_LABELS[self]


REFUND_KIND_LABELS: dict[RefundKind, str] = {
    RefundKind.REFUND: "Refund",
    RefundKind.RETURN: "Return",
}


class OrderNoteKind(StrEnum):
    """What a note kept on an order is: a ``warning`` that the store's figures could not be taken as they
    were, or a ``note`` on how they were read."""

    WARNING = "warning"
    NOTE = "note"

    @property
    def label(self) -> str:
        return ORDER_NOTE_KIND_LABELS[self]


ORDER_NOTE_KIND_LABELS: dict[OrderNoteKind, str] = {
    OrderNoteKind.WARNING: "Warning",
    OrderNoteKind.NOTE: "Note",
}


class WriteOutcome(StrEnum):
    """What became of one order sent to loyaldesk (alone or in a batch)."""

    CREATED = "created"
    UPDATED = "updated"  # moved to a later stage
    UNCHANGED = "unchanged"
    STALE = "stale"  # an older status than the one recorded: ignored, as webhooks arrive out of order
    ERROR = "error"  # not stored; the reason is given beside it

    @property
    def label(self) -> str:
        return WRITE_OUTCOME_LABELS[self]


WRITE_OUTCOME_LABELS: dict[WriteOutcome, str] = {
    WriteOutcome.CREATED: "Created",
    WriteOutcome.UPDATED: "Moved forward",
    WriteOutcome.UNCHANGED: "Unchanged",
    WriteOutcome.STALE: "Older than what is recorded (ignored)",
    WriteOutcome.ERROR: "Refused",
}
