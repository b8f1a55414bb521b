"""Every vocabulary of the assistant's tools, spelled once: each StrEnum with its labels beside it."""

from __future__ import annotations

from enum import StrEnum


class ReturnStatus(StrEnum):
    """Where a return a shopper started in the chat stands: the team reviews it, then accepts or declines
    it, and closes it once the goods are back."""

    REQUESTED = "requested"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return RETURN_STATUS_LABELS[self]


RETURN_STATUS_LABELS: dict[ReturnStatus, str] = {
    ReturnStatus.REQUESTED: "Requested",
    ReturnStatus.ACCEPTED: "Accepted",
    ReturnStatus.DECLINED: "Declined",
    ReturnStatus.CLOSED: "Closed",
}


class OrderChangeKind(StrEnum):
    """What a shopper asked to change on an order before it is fulfilled."""

    CANCEL = "cancel"
    CHANGE_ADDRESS = "change_address"

    @property
    def label(self) -> str:
        return ORDER_CHANGE_KIND_LABELS[self]


ORDER_CHANGE_KIND_LABELS: dict[OrderChangeKind, str] = {
    OrderChangeKind.CANCEL: "Cancel the order",
    OrderChangeKind.CHANGE_ADDRESS: "Change the shipping address",
}
