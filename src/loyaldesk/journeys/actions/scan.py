"""The triggers that are not events: dates of the customer's (birthday, points expiring, signup
anniversary), entering a segment or reaching an attribute's value, and schedules (campaigns). A
periodic job scans for them; the occurrence key (the date, the run) makes a second scan harmless.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, extract, func, select

from loyaldesk.customers import Customer
from loyaldesk.journeys.actions.enroll import try_enter
from loyaldesk.journeys.models import AudienceMembership, JourneyRule
from loyaldesk.journeys.queries.facts import facts_for, fields_named, home_country
from loyaldesk.journeys.rules.conditions import evaluate
from loyaldesk.journeys.rules.delivery_window import recipient_zone
from loyaldesk.journeys.vocab import TriggerKind
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.loyalty import Member, PointLot
from loyaldesk.stores import Store

PAGE = 500
SCAN_EVERY = {
    TriggerKind.DATE: timedelta(minutes=10),
    TriggerKind.SEGMENT: timedelta(hours=1),
    TriggerKind.ATTRIBUTE: timedelta(hours=1),
}
EARLIEST_ZONE = timedelta(hours=14)  # UTC+14: where a wall-clock time comes first


def scan_rules(uow: UnitOfWork) -> int:
    """Every enabled rule with a date, segment, attribute or schedule trigger whose scan is due: enter
    the customers it finds. Returns how many runs started."""
    now = uow.now()
    rules = list(
        uow.session.scalars(
            select(JourneyRule).where(
                JourneyRule.enabled.is_(True),
                # Campaigns sent in each recipient's own zone open up to 14 hours before their time.
                (JourneyRule.next_run_at.is_(None)) | (JourneyRule.next_run_at <= now + EARLIEST_ZONE),
            )
        )
    )
    started = 0
    for rule in rules:
        kind = rule.trigger.get("kind")
        if kind == TriggerKind.EVENT:
            continue
        store = uow.session.get(Store, rule.store_id)
        assert store is not None
        if kind == TriggerKind.SCHEDULE:
            started += _run_schedule(uow, rule, store, now)
            continue
        if rule.next_run_at is not None and rule.next_run_at > now:
            continue
        if kind == TriggerKind.DATE:
            started += _scan_date(uow, rule, store, now)
        else:
            started += _scan_segment(uow, rule, store, now)
        rule.next_run_at = now + SCAN_EVERY[TriggerKind(str(kind))]
        rule.last_run_at = now
    return started


def target_day(rule: JourneyRule, store: Store, now: datetime) -> date:
    """The customer date this scan looks for: today in the store's zone, plus the days before."""
    return now.astimezone(ZoneInfo(store.timezone)).date() + timedelta(
        days=int(rule.trigger.get("days_before", 0))
    )


def date_candidates(uow: UnitOfWork, rule: JourneyRule, store: Store, day: date) -> list[Customer]:
    """The customers whose date (per the rule's trigger) falls on ``day``."""
    which = rule.trigger.get("date")
    query = select(Customer).where(Customer.store_id == store.id, Customer.erased_at.is_(None))
    if which == "birthday":
        query = query.where(
            extract("month", Customer.birthday) == day.month, extract("day", Customer.birthday) == day.day
        )
    elif which == "signup_anniversary":
        query = query.where(
            extract("month", Customer.created_at) == day.month,
            extract("day", Customer.created_at) == day.day,
            Customer.created_at < datetime.combine(day, time(), UTC) - timedelta(days=300),
        )
    elif which == "points_expiring":
        zone = ZoneInfo(store.timezone)
        start = datetime.combine(day, time(), zone).astimezone(UTC)
        members = (
            select(Member.customer_id)
            .join(PointLot, PointLot.member_id == Member.id)
            .where(
                Member.store_id == store.id,
                PointLot.status == "available",
                PointLot.remaining > 0,
                PointLot.expires_at >= start,
                PointLot.expires_at < start + timedelta(days=1),
            )
            .distinct()
        )
        query = query.where(Customer.id.in_(members))
    elif which == "tier_review":
        zone = ZoneInfo(store.timezone)
        start = datetime.combine(day, time(), zone).astimezone(UTC)
        reviewed = select(Member.customer_id).where(
            Member.store_id == store.id,
            Member.tier_id.is_not(None),
            Member.tier_review_at >= start,
            Member.tier_review_at < start + timedelta(days=1),
        )
        query = query.where(Customer.id.in_(reviewed))
    else:
        return []
    return list(uow.session.scalars(query.order_by(Customer.id)))


def _scan_date(uow: UnitOfWork, rule: JourneyRule, store: Store, now: datetime) -> int:
    day = target_day(rule, store, now)
    started = 0
    for page in _pages(date_candidates(uow, rule, store, day)):
        facts = facts_for(uow.session, store, page, now, needs=fields_named(rule.conditions))
        for customer in page:
            if try_enter(
                uow,
                rule,
                customer,
                facts[customer.id],
                occurrence=f"{rule.trigger.get('date')}:{day.isoformat()}",
                context={"date": day.isoformat()},
                trigger_summary=f"{rule.trigger.get('date')} on {day.isoformat()}",
            ):
                started += 1
    return started


def audience(
    uow: UnitOfWork, store: Store, condition: dict[str, Any], now: datetime
) -> Iterator[tuple[Customer, dict[str, Any]]]:
    """Every customer of the store inside ``condition`` now, with their facts (in pages)."""
    last_id = 0
    needs = fields_named(condition)
    while True:
        page = list(
            uow.session.scalars(
                select(Customer)
                .where(Customer.store_id == store.id, Customer.erased_at.is_(None), Customer.id > last_id)
                .order_by(Customer.id)
                .limit(PAGE)
            )
        )
        if not page:
            return
        last_id = page[-1].id
        facts = facts_for(uow.session, store, page, now, needs=needs)
        for customer in page:
            passed, _ = evaluate(condition, facts[customer.id])
            if passed:
                yield customer, facts[customer.id]


def _scan_segment(uow: UnitOfWork, rule: JourneyRule, store: Store, now: datetime) -> int:
    inside_before = set(
        uow.session.scalars(
            select(AudienceMembership.customer_id).where(AudienceMembership.rule_id == rule.id)
        )
    )
    inside_now: set[int] = set()
    started = 0
    for customer, facts in audience(uow, store, rule.trigger["condition"], now):
        inside_now.add(customer.id)
        if customer.id in inside_before:
            continue
        uow.session.add(AudienceMembership(rule_id=rule.id, customer_id=customer.id, since=now))
        if try_enter(
            uow,
            rule,
            customer,
            facts,
            occurrence=f"entered:{now:%Y-%m-%dT%H:%M}",
            context={},
            trigger_summary="entered the segment",
        ):
            started += 1
    left = inside_before - inside_now
    if left:
        uow.session.execute(
            delete(AudienceMembership).where(
                AudienceMembership.rule_id == rule.id, AudienceMembership.customer_id.in_(left)
            )
        )
    return started


def schedule_start(rule: JourneyRule, store: Store) -> datetime:
    """A schedule's first run, as an instant: its wall-clock time in the store's zone."""
    at = datetime.fromisoformat(str(rule.trigger["at"]))
    if at.tzinfo is None:
        at = at.replace(tzinfo=ZoneInfo(store.timezone))
    return at.astimezone(UTC)


def next_run(at: datetime, recurrence: str | None) -> datetime | None:
    if recurrence == "daily":
        return at + timedelta(days=1)
    if recurrence == "weekly":
        return at + timedelta(days=7)
    if recurrence == "monthly":
        month = at.month % 12 + 1
        year = at.year + (1 if month == 1 else 0)
        return at.replace(year=year, month=month, day=min(at.day, 28))
    return None


def _run_schedule(uow: UnitOfWork, rule: JourneyRule, store: Store, now: datetime) -> int:
    """A campaign's run falls due: everyone in its audience enters, each at the run's wall-clock time in
    their own zone when the campaign says so (the run starts 14 hours early, for the earliest zones)."""
    if rule.trigger.get("finished"):
        return 0
    run_at = rule.next_run_at or schedule_start(rule, store)
    rule.next_run_at = run_at
    by_recipient = rule.trigger.get("timezone") == "recipient"
    opens_at = run_at - EARLIEST_ZONE if by_recipient else run_at
    if now < opens_at:
        return 0
    started = 0
    local_wall = run_at.astimezone(ZoneInfo(store.timezone)).replace(tzinfo=None)
    for customer, facts in audience(uow, store, rule.trigger.get("audience") or {"all": []}, now):
        due = run_at
        if by_recipient:
            zone, _ = recipient_zone(
                customer.timezone, customer.phone, home_country(uow.session, customer), store.timezone
            )
            due = max(now, local_wall.replace(tzinfo=zone).astimezone(UTC))
        if try_enter(
            uow,
            rule,
            customer,
            facts,
            occurrence=f"run:{run_at:%Y-%m-%dT%H:%M}",
            context={"run_at": run_at.isoformat()},
            due_at=due,
            trigger_summary=f"campaign run of {run_at:%Y-%m-%d %H:%M} UTC",
        ):
            started += 1
    following = next_run(run_at, rule.trigger.get("recurrence"))
    rule.last_run_at = now
    rule.next_run_at = following
    if following is None:  # a one-off campaign has gone out
        rule.trigger = {**rule.trigger, "finished": True}
    return started


def _pages(items: list[Customer]) -> Iterator[list[Customer]]:
    for start in range(0, len(items), PAGE):
        yield items[start : start + PAGE]


def count_customers(uow: UnitOfWork, store_id: int) -> int:
    return int(
        uow.session.scalar(select(func.count()).select_from(Customer).where(Customer.store_id == store_id))
        or 0
    )
