"""Who would enter a rule tomorrow: for a date rule, the customers whose date falls on tomorrow's target
day and who pass the conditions; for a segment rule, those inside the segment who are not yet; for a
campaign, its audience if a run falls tomorrow; for an event rule, the customers of the same events in
the last day (what tomorrow will look like if today repeats). Reads only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyaldesk.customers import Customer
from loyaldesk.journeys.actions.enroll import in_holdout
from loyaldesk.journeys.actions.scan import audience, date_candidates, schedule_start, target_day
from loyaldesk.journeys.handlers import ALIASES
from loyaldesk.journeys.models import AudienceMembership, JourneyRule
from loyaldesk.journeys.queries.facts import facts_for, fields_named
from loyaldesk.journeys.rules.conditions import evaluate
from loyaldesk.journeys.vocab import TriggerKind
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.events import EventRecord
from loyaldesk.stores import Store

SHOWN = 50


@dataclass(frozen=True)
class DryRun:
    day: str
    count: int
    held_out: int
    customers: list[Customer]
    basis: str


def dry_run(session: Session, store: Store, rule: JourneyRule, now: datetime) -> DryRun:
    tomorrow = now + timedelta(days=1)
    reader = UnitOfWork(session=session, clock=FakeClock(tomorrow), backend=session.get_bind().dialect.name)
    kind = rule.trigger.get("kind")
    found: list[Customer] = []
    basis = ""
    if kind == TriggerKind.DATE:
        day = target_day(rule, store, tomorrow)
        candidates = date_candidates(reader, rule, store, day)
        facts = facts_for(session, store, candidates, tomorrow, needs=fields_named(rule.conditions))
        found = [c for c in candidates if evaluate(rule.conditions, facts[c.id])[0]]
        basis = f"customers whose {rule.trigger.get('date', '').replace('_', ' ')} date is {day.isoformat()}"
    elif kind in (TriggerKind.SEGMENT, TriggerKind.ATTRIBUTE):
        inside = set(
            session.scalars(
                select(AudienceMembership.customer_id).where(AudienceMembership.rule_id == rule.id)
            )
        )
        found = [
            c
            for c, f in audience(reader, store, rule.trigger["condition"], now)
            if c.id not in inside and evaluate(rule.conditions, f)[0]
        ]
        basis = "customers in the segment now who have not entered yet"
    elif kind == TriggerKind.SCHEDULE:
        run_at = rule.next_run_at or schedule_start(rule, store)
        if not rule.trigger.get("finished") and now < run_at <= tomorrow + timedelta(days=1):
            found = [
                c
                for c, f in audience(reader, store, rule.trigger.get("audience") or {"all": []}, now)
                if evaluate(rule.conditions, f)[0]
            ]
        basis = f"the campaign's audience, for its run at {run_at:%Y-%m-%d %H:%M} UTC"
    else:
        name = str(rule.trigger.get("event"))
        event_type, alias_field, alias_value = ALIASES.get(name, (name, None, None))
        if name.startswith("custom:"):
            event_type = "custom.event"
        rows = session.execute(
            select(EventRecord.customer_id, EventRecord.payload)
            .where(
                EventRecord.store_id == store.id,
                EventRecord.event_type == event_type,
                EventRecord.occurred_at > now - timedelta(days=1),
                EventRecord.customer_id.is_not(None),
            )
            .limit(5000)
        ).all()
        ids = [
            cid
            for cid, payload in rows
            if (alias_field is None or payload.get(alias_field) == alias_value)
            and (not name.startswith("custom:") or payload.get("name") == name.removeprefix("custom:"))
        ]
        customers = list(session.scalars(select(Customer).where(Customer.id.in_(set(ids)))))
        facts = facts_for(session, store, customers, now, needs=fields_named(rule.conditions))
        found = [c for c in customers if evaluate(rule.conditions, facts[c.id])[0]]
        basis = f"customers with {name} in the last 24 hours, if tomorrow repeats today"
    held = sum(1 for c in found if in_holdout(rule, c.id))
    return DryRun(tomorrow.date().isoformat(), len(found), held, found[:SHOWN], basis)
