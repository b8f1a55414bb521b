"""Every vocabulary of outgoing webhooks, spelled once: each StrEnum with its labels beside it."""

from __future__ import annotations

from enum import StrEnum


class DeliveryStatus(StrEnum):
    """Where one delivery of an event to an endpoint stands."""

    PENDING = "pending"  # waiting for its first attempt or its next retry
    FAILED = "failed"  # the last attempt failed; the next one is scheduled (``next_attempt_at``)
    DELIVERED = "delivered"  # the endpoint answered 2xx
    GIVEN_UP = "given_up"  # failed for too long, or its endpoint was disabled or deleted

    @property
    def label(self) -> str:
        return DELIVERY_STATUS_LABELS[self]


DELIVERY_STATUS_LABELS: dict[DeliveryStatus, str] = {
    DeliveryStatus.PENDING: "Pending",
    DeliveryStatus.FAILED: "Retrying",
    DeliveryStatus.DELIVERED: "Delivered",
    DeliveryStatus.GIVEN_UP: "Given up",
}

# Subscribing to this "type" means every event of the store, including types added later.
ALL_EVENTS = "*"
# The event type of "Send test event": no domain event, only a ping the receiver can check.
TEST_EVENT_TYPE = "webhook.test"
