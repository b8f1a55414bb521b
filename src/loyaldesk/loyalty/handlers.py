"""How the loyalty program reacts to the rest of loyaldesk: orders earn and lose points, new customers
join (with their sign-up reward), answered surveys earn points."""

from __future__ import annotations

from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.dispatcher import handlers
from loyaldesk.kernel.events import StoredEvent
from loyaldesk.loyalty.delight import record_action
from loyaldesk.loyalty.members import enroll, member_of_customer
from loyaldesk.loyalty.orders import reconcile_orders
from loyaldesk.loyalty.program import ensure_program

ORDER_EVENTS = (
    "order.placed",
    "order.paid",
    "order.fulfilled",
    "order.delivered",
    "order.cancelled",
    "order.refunded",
)


@handlers.on_batch(*ORDER_EVENTS)
def orders_changed(uow: UnitOfWork, events: list[StoredEvent]) -> None:
    """Reconcile each order once, however many of its events are in the batch."""
    by_store: dict[int, set[int]] = {}
    for event in events:
        if event.subject_id is not None:
            by_store.setdefault(event.store_id, set()).add(event.subject_id)
    for store_id, order_ids in by_store.items():
        reconcile_orders(uow, store_id, sorted(order_ids))


@handlers.on("customer.created")
def customer_joined(uow: UnitOfWork, event: StoredEvent) -> None:
    program = ensure_program(uow, event.store_id)
    if not (program.enabled and program.auto_enroll) or event.customer_id is None:
        return
    member, _ = enroll(uow, event.store_id, event.customer_id, at=event.occurred_at)
    record_action(uow, member, "signup", None, f"signup:{event.customer_id}")


@handlers.on("csat.submitted")
def survey_answered(uow: UnitOfWork, event: StoredEvent) -> None:
    if event.customer_id is None:
        return
    member = member_of_customer(uow.session, event.store_id, event.customer_id)
    if member is not None:
        record_action(uow, member, "survey", None, f"csat:{event.payload.get('survey_id', event.id)}")
