"""Events of the assistant's tools. They carry ids and what the store's backend needs to act; the store
receives them through its outgoing webhooks (signed, retried) when an endpoint subscribes to them."""

from __future__ import annotations

from loyaldesk.kernel.events import DomainEvent


class _OrderEvent(DomainEvent):
    subject_type = "order"
    order_id: int

    def subject_id(self) -> int | None:
        return self.order_id


class OrderChangeRequested(_OrderEvent):
    """A shopper asked, before fulfilment, to cancel the order or to ship it elsewhere."""

    event_type = "assistant.order_change_requested"
    order_number: str
    kind: str  # OrderChangeKind
    # The team's task, which holds the new address and the reason (personal data stays in tables).
    team_task_id: int
    conversation_id: int | None = None


class ReturnRequested(_OrderEvent):
    event_type = "assistant.return_requested"
    order_number: str
    return_request_id: int
    conversation_id: int | None = None


class ReturnStatusChanged(_OrderEvent):
    """The team accepted, declined or closed a return request."""

    event_type = "assistant.return_status_changed"
    return_request_id: int
    status: str  # ReturnStatus
