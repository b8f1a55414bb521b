"""Journeys' reactions to what happens in the store: an event may start rules (their trigger) and may be
what a waiting run is waiting for. One batch handler for every event type a rule can start on, so a
thousand imported orders are matched against the rules in a few queries.

Which events can trigger is a fixed list (``TRIGGER_EVENTS``): subscribing to every type would make
every chat message and presence change pass through the dispatcher. ``conversation.resolved`` is a
name for ``conversation.status_changed`` to resolved.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import bindparam, select

from loyaldesk.customers import Customer
from loyaldesk.journeys.actions.enroll import try_enter
from loyaldesk.journeys.actions.run_steps import resume_waiting
from loyaldesk.journeys.models import Enrollment, JourneyRule
from loyaldesk.journeys.queries.facts import facts_for, fields_named
from loyaldesk.journeys.vocab import EnrollmentStatus, TriggerKind
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.dispatcher import HandlerRegistry
from loyaldesk.kernel.events import StoredEvent
from loyaldesk.stores import Store

TRIGGER_EVENTS = (
    "order.placed",
    "order.paid",
    "order.fulfilled",
    "order.delivered",
    "order.cancelled",
    "order.refunded",
    "conversation.started",
    "conversation.status_changed",
    "conversation.assigned",
    "csat.submitted",
    "sla.breached",
    "customer.created",
    "customer.updated",
    "loyalty.member_enrolled",
    "loyalty.points_changed",
    "loyalty.tier_changed",
    "loyalty.reward_redeemed",
    "loyalty.referral_recorded",
    "loyalty.badge_awarded",
    "feedback.survey_answered",
    "bookings.booking_confirmed",
    "bookings.booking_cancelled",
    "bookings.session_attended",
    "custom.event",
)
# Names a rule may use that are a view of another event.
ALIASES = {"conversation.resolved": ("conversation.status_changed", "to_status", "resolved")}


def register(handlers: HandlerRegistry) -> None:
    handlers.on_batch(*TRIGGER_EVENTS)(react)


def names_of(event: StoredEvent) -> list[str]:
    """The trigger names this event answers to (its type, an alias, ``custom:<name>``)."""
    names = [event.event_type]
    if event.event_type == "custom.event":
        names = [f"custom:{event.payload.get('name')}"]
    for alias, (base, field, value) in ALIASES.items():
        if event.event_type == base and event.payload.get(field) == value:
            names.append(alias)
    return names


def react(uow: UnitOfWork, events: list[StoredEvent]) -> None:
    """Start the rules these events trigger, and wake the runs waiting for them.

    This runs on every order, points and conversation event of every store, and most stores have no
    enabled rule for most of them: a batch costs two indexed queries whatever its stores (the runs
    waiting for its customers; the triggers of its stores' enabled rules, without their conditions and
    steps), and a rule is loaded only when an event matches its trigger. Both are read in the batch's own
    transaction, so a rule saved, switched on or off by another process counts from its commit on.
    """
    by_store: dict[int, list[StoredEvent]] = defaultdict(list)
    for event in events:
        if event.customer_id is not None:
            by_store[event.store_id].append(event)
    if not by_store:
        return
    _wake_waiting(uow, [event for store_events in by_store.values() for event in store_events])
    triggers = _event_triggers(uow, set(by_store))
    for store_id, store_events in by_store.items():
        by_name = triggers.get(store_id)
        if not by_name:
            continue
        matched = [
            (event, rule_id)
            for event in store_events
            for name in names_of(event)
            for rule_id in by_name.get(name, [])
        ]
        if not matched:
            continue
        rules = {
            rule.id: rule
            for rule in uow.session.scalars(
                select(JourneyRule).where(JourneyRule.id.in_({rule_id for _, rule_id in matched}))
            )
        }
        matches = [(event, rules[rule_id]) for event, rule_id in matched if rule_id in rules]
        _enter(uow, store_id, matches)


# Built once, on the tables' columns (a Core statement skips the ORM's execution layer, which cost more
# than these reads): they run for every batch of trigger events, twice per order on the single-order
# lane. The dispatcher opens each handler's savepoint with a flush, so nothing pending is missed.
_RULES = JourneyRule.__table__.c
_RUNS = Enrollment.__table__.c
_ENABLED_TRIGGERS = (
    select(_RULES.store_id, _RULES.id, _RULES.trigger)
    .where(_RULES.store_id.in_(bindparam("store_ids", expanding=True)), _RULES.enabled.is_(True))
    .order_by(_RULES.id)
)
_WAITING = (
    select(_RUNS.id, _RUNS.customer_id, _RUNS.waiting_event)
    .where(
        _RUNS.customer_id.in_(bindparam("customer_ids", expanding=True)),
        _RUNS.status == EnrollmentStatus.DUE.value,
        _RUNS.waiting_event.is_not(None),
    )
    .order_by(_RUNS.id)
)


def _event_triggers(uow: UnitOfWork, store_ids: set[int]) -> dict[int, dict[str, list[int]]]:
    """Per store, the ids of its enabled event-triggered rules by the event name they start on, in id
    order (one query on ``ix_journey_rules_store_enabled``)."""
    triggers: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    rows = uow.session.execute(_ENABLED_TRIGGERS, {"store_ids": list(store_ids)})
    for store_id, rule_id, trigger in rows:
        if trigger.get("kind") == TriggerKind.EVENT:
            triggers[store_id][str(trigger.get("event"))].append(rule_id)
    return triggers


def _enter(uow: UnitOfWork, store_id: int, matches: list[tuple[StoredEvent, JourneyRule]]) -> None:
    """Enter each matching rule for its event's customer, with the facts its conditions name."""
    if not matches:
        return
    store = uow.session.get(Store, store_id)
    assert store is not None
    customer_ids = {event.customer_id for event, _ in matches if event.customer_id is not None}
    customers = {c.id: c for c in uow.session.scalars(select(Customer).where(Customer.id.in_(customer_ids)))}
    # One load of facts per event, for every rule it matches.
    needed: dict[int, set[str]] = defaultdict(set)
    for event, rule in matches:
        needed[event.id] |= fields_named(rule.conditions)
    facts_of_event: dict[int, dict[str, Any]] = {}
    for event, rule in matches:
        customer = customers.get(event.customer_id or 0)
        if customer is None:
            continue
        context = _context_of(event)
        if event.id not in facts_of_event:
            facts_of_event[event.id] = facts_for(
                uow.session,
                store,
                [customer],
                uow.now(),
                context={customer.id: context},
                needs=needed[event.id],
            )[customer.id]
        facts = facts_of_event[event.id]
        try_enter(
            uow,
            rule,
            customer,
            facts,
            occurrence=f"event:{event.id}",
            context=context,
            depth=event.chain_depth,
            trigger_summary=f"{event.event_type} #{event.id}",
        )


def _context_of(event: StoredEvent) -> dict[str, Any]:
    context: dict[str, Any] = {
        "event": dict(event.payload),
        "event_id": event.id,
        "event_type": event.event_type,
    }
    if "conversation_id" in event.payload:
        context["conversation_id"] = event.payload["conversation_id"]
    if "order_id" in event.payload:
        context["order_id"] = event.payload["order_id"]
    return context


def _wake_waiting(uow: UnitOfWork, events: list[StoredEvent]) -> None:
    wanted = {(event.customer_id, name) for event in events for name in names_of(event)}
    customer_ids = {customer_id for customer_id, _ in wanted}
    waiting = uow.session.execute(_WAITING, {"customer_ids": list(customer_ids)}).all()
    for enrollment_id, customer_id, waiting_event in waiting:  # usually none: no ORM load unless one matches
        if (customer_id, waiting_event) in wanted:
            enrollment = uow.session.get(Enrollment, enrollment_id)
            if enrollment is not None:
                resume_waiting(uow, enrollment, event_arrived=True)
