"""The communication calendar: what will go out on each of the next days, by channel and rule, with the
expected audience, so a manager sees collisions (two marketing messages to the same people on a day)
and gaps. Built from what is already decided (queued and deferred messages, runs waiting on a timer),
what is scheduled (campaign runs) and what the dates foretell (birthdays, points expiring, tier reviews);
journeys started by events are shown as their recent daily average."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loyaldesk.journeys.actions.scan import audience, date_candidates, schedule_start
from loyaldesk.journeys.models import Decision, Enrollment, JourneyRule, Send
from loyaldesk.journeys.queries.facts import facts_for, fields_named
from loyaldesk.journeys.rules.conditions import evaluate
from loyaldesk.journeys.vocab import (
    EnrollmentStatus,
    MessageCategory,
    Outcome,
    SendStatus,
    StepKind,
    TriggerKind,
)
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.stores import Store

MAX_DAYS = 31


@dataclass
class CalendarEntry:
    rule_id: int
    rule_name: str
    channel: str
    category: str
    count: float
    kind: str  # "scheduled" (decided or foretold) | "campaign" | "average" (event-driven)


@dataclass
class CalendarDay:
    day: date
    entries: list[CalendarEntry] = field(default_factory=list)

    @property
    def marketing_rules(self) -> int:
        return len({(e.rule_id) for e in self.entries if e.category == MessageCategory.MARKETING and e.count})

    @property
    def collision(self) -> bool:
        """Two or more marketing rules go out on one day: the same people may hear twice."""
        return self.marketing_rules > 1


def send_offsets(steps: list[dict[str, Any]], start: int) -> list[tuple[timedelta, str]]:
    """(delay from now, channel) of each send from step ``start``, adding up fixed waits; stops where the
    timing becomes unknowable (a wait for an event)."""
    offset = timedelta(0)
    found = []
    for step in steps[start:]:
        kind = step.get("kind")
        if kind == StepKind.WAIT:
            offset += timedelta(
                minutes=float(step.get("minutes") or 0),
                hours=float(step.get("hours") or 0),
                days=float(step.get("days") or 0),
            )
        elif kind == StepKind.WAIT_FOR_EVENT:
            break
        elif kind == StepKind.SEND:
            found.append((offset, str(step.get("channel"))))
    return found


def calendar(session: Session, store: Store, now: datetime, days: int = 14) -> list[CalendarDay]:
    days = max(1, min(days, MAX_DAYS))
    zone = ZoneInfo(store.timezone)
    first = now.astimezone(zone).date()
    last = first + timedelta(days=days - 1)
    counts: dict[tuple[date, int, str, str], float] = defaultdict(float)
    rules = {r.id: r for r in session.scalars(select(JourneyRule).where(JourneyRule.store_id == store.id))}

    def add(moment: datetime, rule: JourneyRule, channel: str, kind: str, count: float = 1) -> None:
        day = moment.astimezone(zone).date()
        if first <= day <= last:
            counts[(day, rule.id, channel, kind)] += count

    horizon = datetime.combine(last + timedelta(days=1), datetime.min.time(), zone)
    for rule_id, channel, due_at in session.execute(
        select(Send.rule_id, Send.channel, Send.due_at).where(
            Send.store_id == store.id,
            Send.status.in_((SendStatus.QUEUED, SendStatus.DEFERRED)),
            Send.due_at < horizon,
        )
    ):
        if rule_id in rules:
            add(max(due_at, now), rules[rule_id], channel, "scheduled")
    for rule_id, step_index, run_due_at in session.execute(
        select(Enrollment.rule_id, Enrollment.step_index, Enrollment.due_at).where(
            Enrollment.store_id == store.id,
            Enrollment.status == EnrollmentStatus.DUE,
            Enrollment.due_at < horizon,
        )
    ):
        rule = rules.get(rule_id)
        if rule is not None and rule.enabled and run_due_at is not None:
            for offset, channel in send_offsets(rule.steps, step_index):
                add(max(run_due_at, now) + offset, rule, channel, "scheduled")
    reader = UnitOfWork(session=session, clock=FakeClock(now), backend=session.get_bind().dialect.name)
    for rule in rules.values():
        if not rule.enabled:
            continue
        kind = rule.trigger.get("kind")
        offsets = send_offsets(rule.steps, 0)
        if kind == TriggerKind.DATE:
            for n in range(days):
                day = first + timedelta(days=n)
                if day == first and rule.last_run_at is not None:
                    continue  # today's entries are already runs (counted above)
                candidates = date_candidates(
                    reader, rule, store, day + timedelta(days=int(rule.trigger.get("days_before", 0)))
                )
                facts = facts_for(session, store, candidates, now, needs=fields_named(rule.conditions))
                matched = sum(1 for c in candidates if evaluate(rule.conditions, facts[c.id])[0])
                start = datetime.combine(day, datetime.min.time(), zone) + timedelta(hours=9)
                for offset, channel in offsets:
                    add(start + offset, rule, channel, "scheduled", matched)
        elif kind == TriggerKind.SCHEDULE and not rule.trigger.get("finished"):
            run_at = rule.next_run_at or schedule_start(rule, store)
            if run_at < horizon:
                size = sum(
                    1 for _ in audience(reader, store, rule.trigger.get("audience") or {"all": []}, now)
                )
                for offset, channel in offsets:
                    add(max(run_at, now) + offset, rule, channel, "campaign", size)
        elif kind == TriggerKind.EVENT and offsets:
            entered = (
                session.scalar(
                    select(func.count())
                    .select_from(Decision)
                    .where(
                        Decision.rule_id == rule.id,
                        Decision.outcome == Outcome.ENTERED,
                        Decision.at > now - timedelta(days=7),
                    )
                )
                or 0
            )
            if entered:
                for n in range(days):
                    day = datetime.combine(first + timedelta(days=n), datetime.min.time(), zone) + timedelta(
                        hours=12
                    )
                    for offset, channel in offsets:
                        add(day + offset, rule, channel, "average", round(entered / 7, 1))
    by_day = {first + timedelta(days=n): CalendarDay(first + timedelta(days=n)) for n in range(days)}
    for (day, rule_id, channel, kind), count in sorted(
        counts.items(), key=lambda item: (item[0][0], item[0][1])
    ):
        rule = rules[rule_id]
        by_day[day].entries.append(CalendarEntry(rule_id, rule.name, channel, rule.category, count, kind))
    return list(by_day.values())
