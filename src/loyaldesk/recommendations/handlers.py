"""Recommendations' reaction to orders: a customer's picks are rescored from the stored model when they
pay an order (or an order of theirs is placed already paid), without refitting.

A batch handler: the dispatcher hands it every such event waiting, so that a burst of orders costs one
model lookup and one query per store, in the background, never on the order's own request.
"""

from __future__ import annotations

from loyaldesk.commerce.events import OrderPaid
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.dispatcher import HandlerRegistry
from loyaldesk.kernel.events import StoredEvent
from loyaldesk.recommendations.actions.fit import update_customer_picks


def orders_paid(uow: UnitOfWork, events: list[StoredEvent]) -> None:
    """Rescore each customer once per batch, whatever number of their orders it holds."""
    by_store: dict[int, set[int]] = {}
    for event in events:
        if event.customer_id is not None:
            by_store.setdefault(event.store_id, set()).add(event.customer_id)
    for store_id, customer_ids in by_store.items():
        update_customer_picks(uow, store_id, customer_ids)


def register(handlers: HandlerRegistry) -> None:
    """Subscribe recommendations' order reaction (the composition root calls this)."""
    handlers.on_batch(OrderPaid)(orders_paid)
