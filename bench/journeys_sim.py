"""Journeys under a fake clock: many customers in 12 time zones, weeks of simulated traffic, 8 journeys
and a loop, several workers taking turns, workers killed mid-send, a mail server answering 5xx, and
events delivered twice. Checks what a store must never see, and measures throughput.

    python bench/journeys_sim.py                      # 10,000 customers, 30 days, 3 workers (SQLite)
    python bench/journeys_sim.py --customers 500 --days 5
    python bench/journeys_sim.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench

How it runs. The clock is a ``FakeClock``. Workers poll every ``--poll`` seconds (5, like the real jobs);
the simulation skips polls at which nothing is due (nothing would happen at them) and jumps to the next
poll at or after the next due moment (a traffic event, a run's timer, a message's due time, a scan), so a
timer's firing delay is what a real worker would show: the wait for its next poll plus any backlog. At each
poll every worker in turn handles events, advances due runs (200 at a time) and delivers due messages
(100 at a time) through a recording mail channel with the real rendering, templates and gates; date,
segment and schedule scans run once a simulated minute.

Faults. With ``--kill-rate`` per claimed message a worker dies mid-batch: the messages before it went out,
the rest never reached the channel, and the claim is never recorded (its lease lapses); ``--fail-rate`` of
deliveries answer like an SMTP 5xx (a passing failure: retried); ``--duplicate-rate`` of handled events
are handed to the dispatcher again (at-least-once delivery).

Checks (the run fails loudly if any does not hold): no message delivered twice; no marketing message
inside the recipient's quiet hours or on a public holiday of their country; caps never exceeded (one
marketing message per 16 hours, three a week); at most 1% of deferrable (marketing) messages dropped;
p99 timer firing delay at most 60 s; every loop stopped at the depth limit with an alert on the rule.
"""

from __future__ import annotations

import argparse
import itertools
import json
import platform
import random
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update

from loyaldesk.composition import compose
from loyaldesk.customers import Customer, CustomerRef, resolve_customers
from loyaldesk.journeys import (
    Decision,
    DeliveryResult,
    DeliveryStatus,
    Enrollment,
    JourneyRule,
    OutgoingMessage,
    Send,
    register_adapter,
)
from loyaldesk.journeys.actions.custom_events import record_custom_event
from loyaldesk.journeys.actions.deliver import (
    DeliveryConfig,
    claim_due,
    deliver_one,
    mark_sending,
    record_results,
    recover_stale,
)
from loyaldesk.journeys.actions.enroll import MAX_CHAIN_DEPTH
from loyaldesk.journeys.actions.rules import save_rule
from loyaldesk.journeys.actions.run_steps import run_due
from loyaldesk.journeys.actions.scan import scan_rules
from loyaldesk.journeys.actions.templates import ensure_default_templates
from loyaldesk.journeys.rules.delivery_window import is_holiday, is_quiet, recipient_zone
from loyaldesk.journeys.schemas import CustomEventIn, RuleIn
from loyaldesk.kernel.actors import SYSTEM, system_for
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.dispatcher import dispatch_pending, handlers
from loyaldesk.kernel.events import EventRecord
from loyaldesk.kernel.migrations import upgrade_to_head
from loyaldesk.stores import actions as store_actions

ZONES = [
    ("Pacific/Auckland", "NZ", "+6421"),
    ("Asia/Tokyo", "JP", "+8190"),
    ("Asia/Kolkata", "IN", "+9198"),
    ("Asia/Dubai", "AE", "+97150"),
    ("Europe/Berlin", "DE", "+49151"),
    ("Europe/London", "GB", "+447700"),
    ("Africa/Lagos", "NG", "+234803"),
    ("America/Sao_Paulo", "BR", "+5511"),
    ("America/New_York", "US", "+1212"),
    ("America/Chicago", "US", "+1312"),
    ("America/Los_Angeles", "US", "+1415"),
    ("Pacific/Honolulu", "US", "+1808"),
]
START = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
QUIET_START, QUIET_END = 21, 9
MIN_GAP, PER_WEEK = timedelta(hours=16), 3


@dataclass
class Delivery:
    key: str
    customer_id: int
    rule_id: int | None
    category: str
    at: datetime


@dataclass
class RecordingMail:
    """The mail server: records what it accepted; answers a share of deliveries like an SMTP 5xx."""

    clock: FakeClock
    rng: random.Random
    fail_rate: float
    channel: str = "email"
    accepted: list[Delivery] = field(default_factory=list)
    refused: int = 0

    def address_of(self, session: Any, store_id: int, customer_id: int, /) -> str | None:
        customer = session.get(Customer, customer_id)
        return customer.email if customer is not None else None

    def deliver(self, message: OutgoingMessage, /) -> DeliveryResult:
        if self.rng.random() < self.fail_rate:
            self.refused += 1
            return DeliveryResult(DeliveryStatus.RETRY, error="554 5.3.0 transaction failed (simulated)")
        rule = message.idempotency_key.split(":", 1)[0]
        self.accepted.append(
            Delivery(
                message.idempotency_key,
                message.recipient.customer_id,
                int(rule[1:]) if rule.startswith("r") else None,
                str(message.category),
                self.clock.now(),
            )
        )
        return DeliveryResult(DeliveryStatus.SENT, provider_id=message.idempotency_key)


def _send(template: str) -> dict[str, Any]:
    return {"kind": "send", "channel": "email", "template": template}


def journeys(start: datetime) -> list[RuleIn]:
    """Eight journeys a store would run, and one pair of steps that loops."""
    first_monday = start + timedelta(days=(7 - start.weekday()) % 7)
    return [
        RuleIn(
            name="Weekly newsletter",
            purpose="campaign",
            category="marketing",
            enabled=True,
            trigger={
                "kind": "schedule",
                "at": f"{first_monday:%Y-%m-%d}T10:00",
                "recurrence": "weekly",
                "timezone": "recipient",
                "audience": {"all": []},
            },
            steps=[_send("vip_early_access")],
        ),
        RuleIn(
            name="Birthday",
            category="marketing",
            enabled=True,
            trigger={"kind": "date", "date": "birthday", "days_before": 0},
            steps=[{"kind": "wait_until", "time": "10:00", "timezone": "recipient"}, _send("birthday")],
        ),
        RuleIn(
            name="Abandoned cart",
            category="marketing",
            enabled=True,
            trigger={"kind": "event", "event": "custom:cart_abandoned"},
            steps=[
                {
                    "kind": "wait_for_event",
                    "event": "custom:order_placed",
                    "timeout_hours": 1,
                    "on_event": "exit",
                },
                _send("abandoned_cart"),
            ],
        ),
        RuleIn(
            name="Thank you",
            category="transactional",
            enabled=True,
            trigger={"kind": "event", "event": "custom:order_delivered"},
            steps=[{"kind": "wait", "days": 1}, _send("post_purchase_thanks")],
        ),
        RuleIn(
            name="Review request",
            category="marketing",
            enabled=True,
            holdout_percent=10,
            trigger={"kind": "event", "event": "custom:order_delivered"},
            steps=[{"kind": "wait", "days": 7}, _send("review_request")],
        ),
        RuleIn(
            name="Support follow-up",
            category="support",
            enabled=True,
            trigger={"kind": "event", "event": "custom:case_resolved"},
            steps=[{"kind": "wait", "days": 3}, _send("support_follow_up")],
        ),
        RuleIn(
            name="Win-back",
            category="marketing",
            enabled=True,
            reentry="once",
            trigger={
                "kind": "segment",
                "condition": {"all": [{"field": "customer.tags", "op": "contains", "value": "lapsed"}]},
            },
            steps=[_send("winback")],
        ),
        RuleIn(
            name="VIP early access",
            purpose="campaign",
            category="marketing",
            enabled=True,
            trigger={
                "kind": "schedule",
                "at": f"{start + timedelta(days=9):%Y-%m-%d}T18:00",
                "timezone": "recipient",
                "audience": {"all": [{"field": "customer.tags", "op": "contains", "value": "vip"}]},
            },
            steps=[_send("vip_early_access")],
        ),
        RuleIn(
            name="Loop: points beget points",
            category="transactional",
            enabled=True,
            trigger={"kind": "event", "event": "loyalty.points_changed"},
            conditions={"all": [{"field": "customer.tags", "op": "contains", "value": "looper"}]},
            steps=[{"kind": "grant_points", "points": 1, "reason": "loop"}],
        ),
    ]


def _setup(db: Database, customers: int, days: int, rng: random.Random) -> tuple[int, list[int]]:
    def create(uow):  # type: ignore[no-untyped-def]
        store = store_actions.create_store(uow, SYSTEM, slug="sim", name="Sim Shop", timezone="Europe/Berlin")
        return store.id

    store_id = db.write(create)

    def people(uow):  # type: ignore[no-untyped-def]
        refs = [CustomerRef(external_id=f"c{n}") for n in range(customers)]
        ids = resolve_customers(uow, store_id, refs, source="api")
        rows = uow.session.scalars(select(Customer).where(Customer.id.in_(ids)))
        for customer in rows:
            n = int(customer.external_id[1:])
            zone, country, prefix = ZONES[n % len(ZONES)]
            customer.email = f"c{n}@example.com"
            customer.first_name = f"Customer{n}"
            customer.timezone = zone if n % 3 else None  # a third known only by their phone number
            customer.phone = f"{prefix}{rng.randrange(10**6, 10**7)}"
            customer.attributes = {"country": country}
            customer.marketing_consent = rng.random() < 0.8
            customer.birthday = date(1980 + n % 30, 1 + (n * 7) % 12, 1 + n % 28)
            customer.tags = ["vip"] if rng.random() < 0.05 else []
        ensure_default_templates(uow, store_id, "en")
        return ids

    ids = db.write(people)
    for rule in journeys(db.clock.now()):
        db.write(save_rule, system_for(store_id), store_id, rule)

    def loopers(uow):  # type: ignore[no-untyped-def]
        from loyaldesk.customers import grant_goodwill_points
        from loyaldesk.loyalty import enroll
        from loyaldesk.loyalty.program import ensure_program

        ensure_program(uow, store_id)
        for customer_id in ids[:5]:
            customer = uow.session.get(Customer, customer_id)
            customer.tags = [*customer.tags, "looper"]
            enroll(uow, store_id, customer_id)
            grant_goodwill_points(
                uow,
                store_id,
                customer_id,
                points=10,
                note="start",
                key=f"start-{customer_id}",
                reason_code="goodwill",
                actor_label="sim",
            )

    db.write(loopers)
    return store_id, list(ids)


def _traffic(ids: list[int], days: int, rng: random.Random) -> list[tuple[datetime, str, int]]:
    """Per customer and day: an order delivered 3%, a cart left 4% (40% of them bought within the hour),
    a support case resolved 1%, lapsing 0.2%."""
    events = []
    for day in range(days):
        base = START + timedelta(days=day)
        for customer_id in ids:
            roll = rng.random()
            at = base + timedelta(seconds=rng.randrange(86400))
            if roll < 0.03:
                events.append((at, "order_delivered", customer_id))
            elif roll < 0.07:
                events.append((at, "cart_abandoned", customer_id))
                if rng.random() < 0.4:
                    events.append((at + timedelta(minutes=rng.randrange(5, 55)), "order_placed", customer_id))
            elif roll < 0.08:
                events.append((at, "case_resolved", customer_id))
            elif roll < 0.082:
                events.append((at, "lapsed", customer_id))
    return sorted(events)


@dataclass
class Meter:
    dispatch_seconds: float = 0.0
    run_seconds: float = 0.0
    deliver_seconds: float = 0.0
    scan_seconds: float = 0.0
    delays: list[float] = field(default_factory=list)
    kills: int = 0
    duplicates_injected: int = 0
    polls: int = 0


def _post(db: Database, store_id: int, kind: str, customer_id: int) -> None:
    if kind == "lapsed":

        def tag(uow):  # type: ignore[no-untyped-def]
            customer = uow.session.get(Customer, customer_id)
            if "lapsed" not in customer.tags:
                customer.tags = [*customer.tags, "lapsed"]

        db.write(tag)
        return
    db.write(
        record_custom_event, system_for(store_id), store_id, CustomEventIn(name=kind, customer_id=customer_id)
    )


def _worker_pass(
    db: Database,
    config: DeliveryConfig,
    meter: Meter,
    rng: random.Random,
    kill_rate: float,
    duplicate_rate: float,
    mail: RecordingMail,
) -> int:
    done = 0
    started = time.perf_counter()
    while True:
        handled_ids = db.write(_dispatch_and_note)
        done += len(handled_ids)
        if duplicate_rate and handled_ids:
            again = [event_id for event_id in handled_ids if rng.random() < duplicate_rate]
            if again:  # at-least-once: the dispatcher hands these events over once more
                meter.duplicates_injected += len(again)
                db.write(_redeliver, again)
        if len(handled_ids) < 200:
            break
    meter.dispatch_seconds += time.perf_counter() - started
    started = time.perf_counter()
    now = db.clock.now()
    with db.read() as session:
        due = list(
            session.scalars(
                select(Enrollment.due_at)
                .where(Enrollment.status == "due", Enrollment.due_at <= now)
                .order_by(Enrollment.due_at, Enrollment.id)
                .limit(200)
            )
        )
    done += db.write(run_due)
    meter.delays.extend((now - due_at).total_seconds() for due_at in due)
    meter.run_seconds += time.perf_counter() - started
    started = time.perf_counter()
    db.write(recover_stale, config)
    claimed = db.write(claim_due, config)
    for start in range(0, len(claimed), config.chunk):  # deliver_due's loop, with a chance to die in it
        part = claimed[start : start + config.chunk]
        db.write(mark_sending, [item.send_id for item in part])
        results = []
        died = False
        for item in part:
            if rng.random() < kill_rate:  # the worker dies: nothing more is handed over or recorded
                meter.kills += 1
                died = True
                break
            results.append(deliver_one(db, item.message))
        if died:
            break
        db.write(record_results, results, config)
    done += len(claimed)
    meter.deliver_seconds += time.perf_counter() - started
    return done


def _dispatch_and_note(uow):  # type: ignore[no-untyped-def]
    pending = list(
        uow.session.scalars(
            select(EventRecord.id)
            .where(EventRecord.dispatched_at.is_(None))
            .order_by(EventRecord.id)
            .limit(200)
        )
    )
    dispatch_pending(uow, handlers, 200)
    return pending


def _redeliver(uow, event_ids):  # type: ignore[no-untyped-def]
    uow.session.execute(update(EventRecord).where(EventRecord.id.in_(event_ids)).values(dispatched_at=None))


def _anything_due(db: Database) -> bool:
    """Whether a worker polling now would find work (a read; an idle poll costs a real worker the same)."""
    due = _next_due(db)
    return due is not None and due <= db.clock.now()


def _next_due(db: Database) -> datetime | None:
    with db.read() as session:
        run = session.scalar(select(func.min(Enrollment.due_at)).where(Enrollment.status == "due"))
        send = session.scalar(select(func.min(Send.due_at)).where(Send.status.in_(("queued", "deferred"))))
        pending = session.scalar(
            select(func.count()).select_from(EventRecord).where(EventRecord.dispatched_at.is_(None))
        )
    moments = [m for m in (run, send) if m is not None]
    if pending:
        moments.append(db.clock.now())
    return min(moments) if moments else None


def _next_scan(db: Database, now: datetime) -> datetime:
    """When the once-a-minute scan job would next find something to do (a rule's next scan or run; a
    campaign in recipients' zones opens 14 hours early): the minutes in between are skipped."""
    with db.read() as session:
        rules = session.execute(
            select(JourneyRule.next_run_at, JourneyRule.trigger).where(JourneyRule.enabled.is_(True))
        ).all()
    moments = []
    for next_run_at, trigger in rules:
        if trigger.get("kind") == "event" or trigger.get("finished"):
            continue
        if next_run_at is None:
            return now + timedelta(minutes=1)
        early = timedelta(hours=14) if trigger.get("timezone") == "recipient" else timedelta(0)
        moments.append(next_run_at - early)
    return max(now + timedelta(minutes=1), min(moments, default=now + timedelta(days=1)))


def burst(db: Database, config: DeliveryConfig, store_id: int, ids: list[int], size: int) -> dict[str, float]:
    """Throughput, away from the simulated day: ``size`` orders delivered at once (each evaluated against
    the rules), their thank-you runs advanced a day later, and the messages delivered."""
    for customer_id in ids[:size]:
        _post(db, store_id, "order_delivered", customer_id)
    started = time.perf_counter()
    before = _evaluations(db)
    while db.write(dispatch_pending, handlers, 200):
        pass
    dispatch = time.perf_counter() - started
    evaluations = _evaluations(db) - before
    started = time.perf_counter()
    steps = 0
    while taken := db.write(run_due):  # the first step: wait a day
        steps += taken
    db.clock.advance(timedelta(days=1, minutes=1))
    while taken := db.write(run_due):  # then queue the thank-you
        steps += taken
    runs = time.perf_counter() - started
    started = time.perf_counter()
    sent = 0
    while True:
        before_sent = sent
        sent += _deliver_all(db, config)
        if sent == before_sent:
            break
    deliver = time.perf_counter() - started
    return {
        "events": size,
        "evaluations": evaluations,
        "evaluations_per_second": round(evaluations / dispatch, 1),
        "runs_advanced_per_second": round(steps / runs, 1),
        "messages_handled": sent,
        "sends_per_second": round(sent / deliver, 1),
    }


def _evaluations(db: Database) -> int:
    with db.read() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(Decision)
                .where(Decision.outcome.in_(("entered", "not_entered", "held_out")))
            )
            or 0
        )


def _deliver_all(db: Database, config: DeliveryConfig) -> int:
    from loyaldesk.journeys.actions.deliver import deliver_due

    return deliver_due(db, config)


def _next_poll(moment: datetime, poll: int) -> datetime:
    seconds = (moment - START).total_seconds()
    return START + timedelta(seconds=-(-seconds // poll) * poll)


def simulate(
    database_url: str,
    *,
    customers: int = 10_000,
    days: int = 30,
    workers: int = 3,
    poll: int = 5,
    kill_rate: float = 0.001,
    fail_rate: float = 0.02,
    duplicate_rate: float = 0.01,
    seed: int = 7,
    progress: bool = False,
) -> dict[str, Any]:
    """Run the simulation on a migrated, empty database; returns the figures and the checks."""
    rng = random.Random(seed)
    clock = FakeClock(START)
    compose()
    db = Database(database_url, clock=clock)
    db.dispatch_needed = handlers.handles
    mail = RecordingMail(clock, rng, fail_rate)
    register_adapter(mail)
    config = DeliveryConfig(base_url="https://desk.example.com", secret_source=lambda: "sim-secret")
    setup_started = time.perf_counter()
    store_id, ids = _setup(db, customers, days, rng)
    traffic = _traffic(ids, days, rng)
    setup_seconds = time.perf_counter() - setup_started
    meter = Meter()
    end = START + timedelta(days=days)
    next_scan = START
    cursor = 0
    started = time.perf_counter()
    while clock.now() < end:
        now = clock.now()
        while cursor < len(traffic) and traffic[cursor][0] <= now:
            _at, kind, customer_id = traffic[cursor]
            _post(db, store_id, kind, customer_id)
            cursor += 1
        if now >= next_scan:
            scan_started = time.perf_counter()
            db.write(scan_rules)
            meter.scan_seconds += time.perf_counter() - scan_started
            next_scan = _next_scan(db, now)
        for _ in range(workers):
            if _anything_due(db):
                _worker_pass(db, config, meter, rng, kill_rate, duplicate_rate, mail)
        meter.polls += 1
        upcoming = [next_scan, end]
        if cursor < len(traffic):
            upcoming.append(traffic[cursor][0])
        due = _next_due(db)
        if due is not None:
            upcoming.append(due)
        clock.set(max(_next_poll(min(upcoming), poll), now + timedelta(seconds=poll)))
        if progress and meter.polls % 2000 == 0:
            print(f"  {clock.now():%Y-%m-%d %H:%M}  delivered {len(mail.accepted):,}", file=sys.stderr)
    wall = time.perf_counter() - started
    report = _report(db, mail, meter, store_id, customers, days, workers, wall, setup_seconds)
    mail.fail_rate = 0.0
    report["figures"]["burst"] = burst(db, config, store_id, ids, min(2000, customers))
    return report


def _report(
    db: Database,
    mail: RecordingMail,
    meter: Meter,
    store_id: int,
    customers: int,
    days: int,
    workers: int,
    wall: float,
    setup_seconds: float,
) -> dict[str, Any]:
    keys = Counter(d.key for d in mail.accepted)
    duplicates = sum(count - 1 for count in keys.values() if count > 1)
    with db.read() as session:
        people = {c.id: c for c in session.scalars(select(Customer).where(Customer.store_id == store_id))}
        statuses = dict(
            session.execute(
                select(Send.status, func.count()).where(Send.category == "marketing").group_by(Send.status)
            ).all()
        )
        all_statuses = dict(session.execute(select(Send.status, func.count()).group_by(Send.status)).all())
        evaluations = (
            session.scalar(
                select(func.count())
                .select_from(Decision)
                .where(Decision.outcome.in_(("entered", "not_entered", "held_out")))
            )
            or 0
        )
        loop_rule = session.scalar(select(JourneyRule).where(JourneyRule.name.like("Loop%")))
        loop_runs = (
            dict(
                session.execute(
                    select(Enrollment.customer_id, func.count())
                    .where(Enrollment.rule_id == loop_rule.id, Enrollment.status != "exited")
                    .group_by(Enrollment.customer_id)
                ).all()
            )
            if loop_rule
            else {}
        )
        loops_stopped = (
            session.scalar(
                select(func.count()).select_from(Decision).where(Decision.outcome == "loop_stopped")
            )
            or 0
        )
        alert = loop_rule.alert if loop_rule else None
    quiet = holiday = 0
    by_customer: dict[int, list[datetime]] = defaultdict(list)
    for delivery in mail.accepted:
        if delivery.category != "marketing":
            continue
        customer = people[delivery.customer_id]
        zone, country = recipient_zone(
            customer.timezone, customer.phone, (customer.attributes or {}).get("country"), "Europe/Berlin"
        )
        local = delivery.at.astimezone(zone)
        quiet += is_quiet(local, _window())
        holiday += is_holiday(country, local.date())
        by_customer[delivery.customer_id].append(delivery.at)
    gap_breaches = week_breaches = 0
    for times in by_customer.values():
        times.sort()
        gap_breaches += sum(1 for a, b in itertools.pairwise(times) if b - a < MIN_GAP)
        week_breaches += sum(
            1
            for i in range(len(times))
            if i >= PER_WEEK and times[i] - times[i - PER_WEEK] < timedelta(days=7)
        )
    marketing_total = sum(statuses.values())
    dropped = int(statuses.get("dropped", 0))
    unknown = int(statuses.get("unknown", 0))
    delays = sorted(meter.delays) or [0.0]
    p99 = delays[min(len(delays) - 1, int(0.99 * len(delays)))]
    work_seconds = meter.dispatch_seconds + meter.run_seconds + meter.deliver_seconds + meter.scan_seconds
    figures = {
        "customers": customers,
        "days": days,
        "workers": workers,
        "journeys": 8,
        "wall_seconds": round(wall, 1),
        "setup_seconds": round(setup_seconds, 1),
        "polls": meter.polls,
        "delivered": len(mail.accepted),
        "refused_5xx": mail.refused,
        "workers_killed": meter.kills,
        "events_redelivered": meter.duplicates_injected,
        "sends_by_status": all_statuses,
        "evaluations": evaluations,
        "evaluations_per_second": round(
            evaluations / max(meter.dispatch_seconds + meter.scan_seconds, 1e-9), 1
        ),
        "sends_per_second": round(len(mail.accepted) / max(meter.deliver_seconds, 1e-9), 1),
        "engine_seconds": {
            "dispatch": round(meter.dispatch_seconds, 1),
            "runs": round(meter.run_seconds, 1),
            "deliver": round(meter.deliver_seconds, 1),
            "scan": round(meter.scan_seconds, 1),
            "total": round(work_seconds, 1),
        },
        "timer_delay_seconds": {
            "p50": statistics.median(delays),
            "p99": p99,
            "max": delays[-1],
            "timers": len(meter.delays),
        },
        "marketing_sends": marketing_total,
        "dropped": dropped,
        "unknown_after_kill": unknown,
    }
    checks = {
        "no_duplicate_sends": duplicates == 0,
        "no_sends_in_quiet_hours": quiet == 0,
        "no_sends_on_public_holidays": holiday == 0,
        "caps_never_exceeded": gap_breaches == 0 and week_breaches == 0,
        "at_most_1pct_deferrable_dropped": dropped <= 0.01 * max(marketing_total, 1),
        "p99_timer_delay_at_most_60s": p99 <= 60,
        "loops_stopped_at_depth_limit": bool(loop_runs)
        and all(n == MAX_CHAIN_DEPTH for n in loop_runs.values())
        and loops_stopped == len(loop_runs)
        and bool(alert),
    }
    figures["violations"] = {
        "duplicates": duplicates,
        "quiet_hours": quiet,
        "holidays": holiday,
        "gap": gap_breaches,
        "week": week_breaches,
    }
    return {"figures": figures, "checks": checks}


def _window():  # type: ignore[no-untyped-def]
    from loyaldesk.journeys.rules.delivery_window import Window

    return Window(QUIET_START, QUIET_END, True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file")
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--kill-rate", type=float, default=0.001)
    parser.add_argument("--fail-rate", type=float, default=0.02)
    parser.add_argument("--duplicate-rate", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    url = args.database_url
    if url is None:
        url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'sim.db'}"
    elif url.startswith("postgresql"):
        from sqlalchemy import create_engine, text

        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    upgrade_to_head(url)
    result = simulate(
        url,
        customers=args.customers,
        days=args.days,
        workers=args.workers,
        kill_rate=args.kill_rate,
        fail_rate=args.fail_rate,
        duplicate_rate=args.duplicate_rate,
        seed=args.seed,
        progress=True,
    )
    result["machine"] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "backend": url.split(":", 1)[0],
        "date": datetime.now(UTC).date().isoformat(),
    }
    print(json.dumps(result, indent=2, default=str))
    if not all(result["checks"].values()):
        sys.exit("a check failed: " + ", ".join(name for name, ok in result["checks"].items() if not ok))


if __name__ == "__main__":
    main()
