"""How the loyalty program reacts to the rest of loyaldesk: orders earn and lose points, new customers
join (with their sign-up reward), answered surveys earn points.

``register(handlers)`` subscribes them; the composition root (``loyaldesk.composition``) calls it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from loyaldesk.commerce.events import (
    OrderCancelled,
    OrderDelivered,
    OrderEdited,
    OrderFulfilled,
    OrderPaid,
    OrderPlaced,
    OrderRefunded,
)
from loyaldesk.customers.events import CustomerCreated
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.dispatcher import HandlerRegistry
from loyaldesk.kernel.events import DomainEvent, StoredEvent
from loyaldesk.loyalty.actions.delight_members import record_action
from loyaldesk.loyalty.actions.reconcile_orders import reconcile_orders
from loyaldesk.loyalty.actions.welcome_members import welcome_customers
from loyaldesk.loyalty.queries.members import member_of_customer

ORDER_EVENTS: tuple[type[DomainEvent], ...] = (
    OrderPlaced,
    OrderPaid,
    OrderFulfilled,
    OrderDelivered,
    OrderCancelled,
    OrderRefunded,
    OrderEdited,
)


def customers_joined(uow: UnitOfWork, events: list[StoredEvent]) -> None:
    """New customers join the program (where it enrols everyone) with their sign-up reward."""
    by_store: dict[int, dict[int, datetime]] = {}
    for event in events:
        if event.customer_id is not None:
            by_store.setdefault(event.store_id, {})[event.customer_id] = event.occurred_at
    for store_id, joined in by_store.items():
        welcome_customers(uow, store_id, joined)


def orders_changed(uow: UnitOfWork, events: list[StoredEvent]) -> None:
    """Reconcile each order once, however many of its events are in the batch."""
    by_store: dict[int, set[int]] = {}
    for event in events:
        if event.subject_id is not None:
            by_store.setdefault(event.store_id, set()).add(event.subject_id)
    for store_id, order_ids in by_store.items():
        reconcile_orders(uow, store_id, sorted(order_ids))


class AnsweredSurvey(Protocol):
    """What loyalty needs of an answered survey (support's ``CsatSubmitted`` has it): loyalty does not
    import support, the composition root subscribes this handler to support's event class."""

    store_id: int
    customer_id: int | None


def survey_answered(uow: UnitOfWork, stored: StoredEvent, event: AnsweredSurvey) -> None:
    """A member who rated a conversation earns the program's "survey" action (once per rating)."""
    if event.customer_id is None:
        return
    member = member_of_customer(uow.session, event.store_id, event.customer_id)
    if member is not None:
        record_action(uow, member, "survey", None, f"csat:{stored.id}")


class AnsweredFeedback(Protocol):
    """What loyalty needs of a feedback answer (feedback's ``SurveyAnswered`` has it); the composition
    root subscribes ``feedback_answered`` to it, as for support's rating."""

    store_id: int
    customer_id: int | None
    response_id: int
    survey_kind: str
    complete: bool
    has_comment: bool
    mirrored: bool


def feedback_answered(uow: UnitOfWork, stored: StoredEvent, event: AnsweredFeedback) -> None:
    """A member who completed a survey earns the program's "survey" action; a product review with words
    its "review" action instead. Once per answer (its id is the action's key), with the program's caps and
    limits; the chat's mirrored rating earned through ``survey_answered`` already."""
    if event.customer_id is None or not event.complete or event.mirrored:
        return
    member = member_of_customer(uow.session, event.store_id, event.customer_id)
    if member is not None:
        action = "review" if event.survey_kind == "review" and event.has_comment else "survey"
        record_action(uow, member, action, None, f"feedback:{event.response_id}")


def register(handlers: HandlerRegistry) -> None:
    """Subscribe the loyalty program's reactions to commerce and customers (batch handlers take the stored
    events, for speed). Its reaction to support's answered surveys, ``survey_answered``, is subscribed by
    the composition root, which knows both domains."""
    handlers.on_batch(CustomerCreated)(customers_joined)
    handlers.on_batch(*ORDER_EVENTS)(orders_changed)
