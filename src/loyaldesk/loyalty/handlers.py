"""How the loyalty program reacts to the rest of loyaldesk: orders earn and lose points, new customers
join (with their sign-up reward), answered surveys earn points."""

from __future__ import annotations

from datetime import datetime

from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.dispatcher import handlers
from loyaldesk.kernel.events import StoredEvent
from loyaldesk.loyalty import customer_data as _customer_data  # noqa: F401  (registers the GDPR export)
from loyaldesk.loyalty.actions import grant_goodwill as _goodwill  # noqa: F401  (registers the goodwill granter)
from loyaldesk.loyalty.actions.delight_members import record_action
from loyaldesk.loyalty.actions.reconcile_orders import reconcile_orders
from loyaldesk.loyalty.actions.welcome_members import welcome_customers
from loyaldesk.loyalty.queries import timeline as _timeline  # noqa: F401  (registers timeline describers)
from loyaldesk.loyalty.queries.members import member_of_customer

ORDER_EVENTS = (
    "order.placed",
    "order.paid",
    "order.fulfilled",
    "order.delivered",
    "order.cancelled",
    "order.refunded",
    "order.edited",
)


@handlers.on_batch("customer.created")
def customers_joined(uow: UnitOfWork, events: list[StoredEvent]) -> None:
    """New customers join the program (where it enrols everyone) with their sign-up reward."""
    by_store: dict[int, dict[int, datetime]] = {}
    for event in events:
        if event.customer_id is not None:
            by_store.setdefault(event.store_id, {})[event.customer_id] = event.occurred_at
    for store_id, joined in by_store.items():
        welcome_customers(uow, store_id, joined)


@handlers.on_batch(*ORDER_EVENTS)
def orders_changed(uow: UnitOfWork, events: list[StoredEvent]) -> None:
    """Reconcile each order once, however many of its events are in the batch."""
    by_store: dict[int, set[int]] = {}
    for event in events:
        if event.subject_id is not None:
            by_store.setdefault(event.store_id, set()).add(event.subject_id)
    for store_id, order_ids in by_store.items():
        reconcile_orders(uow, store_id, sorted(order_ids))


@handlers.on("csat.submitted")
def survey_answered(uow: UnitOfWork, event: StoredEvent) -> None:
    if event.customer_id is None:
        return
    member = member_of_customer(uow.session, event.store_id, event.customer_id)
    if member is not None:
        record_action(uow, member, "survey", None, f"csat:{event.payload.get('survey_id', event.id)}")
