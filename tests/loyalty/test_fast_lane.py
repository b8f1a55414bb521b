"""The fast lane (bulk earning and bulk sign-ups) writes exactly what the general path writes.

Two stores of one database get the same program, customers and orders at the same (fake) time; one is
processed normally, the other with the fast lane refused for every order and sign-ups handled one by one
through ``join``-style actions, as before the fast lane existed. Their ledgers, lots, balances, tiers,
badges and events must be the same, row for row, once the stores' own ids are read through the store's
own names (order numbers, customer ids, line positions).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import TypeAdapter
from sqlalchemy import select

from loyaldesk.commerce.actions import ingest_orders
from loyaldesk.commerce.models import Order, OrderLine
from loyaldesk.commerce.schemas import OrderIn
from loyaldesk.customers import Customer
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database, UnitOfWork
from loyaldesk.kernel.dispatcher import dispatch_until_idle
from loyaldesk.kernel.events import EventRecord
from loyaldesk.loyalty.actions import configure_program as program_actions
from loyaldesk.loyalty.actions import reconcile_orders as loyalty_orders
from loyaldesk.loyalty.actions import welcome_members as signups
from loyaldesk.loyalty.actions.delight_members import record_action
from loyaldesk.loyalty.actions.enrol_members import enroll
from loyaldesk.loyalty.actions.unlock_and_expire import unlock_due_lots
from loyaldesk.loyalty.models import (
    EarningRule,
    LedgerEntry,
    LedgerPosting,
    Member,
    MemberBadge,
    PointLot,
    Tier,
)
from loyaldesk.loyalty.program import ensure_program
from loyaldesk.loyalty.queries.check_ledger import check_ledger
from loyaldesk.loyalty.schemas import ProgramSettingsPatch, RuleIn, TierIn
from tests.factories import make_store

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def history() -> list[dict[str, Any]]:
    """Orders of eight customers: delivered long ago (points unlock at once), paid today (pending),
    gift cards only (no points), several per customer in one batch, big ones that reach a tier."""
    orders = []
    for number in range(40):
        customer = f"c{number % 8}"
        placed = NOW - timedelta(days=200 - number * 5)
        status = "delivered" if number < 25 or number >= 37 else "paid"  # the last ones unlock later
        lines = [
            {
                "external_id": "a",
                "sku": "POT",
                "title": "Pot",
                "category": "Garden",
                "quantity": 1 + number % 3,
                "unit_price": 1999,
            },
            {
                "external_id": "b",
                "sku": "GC",
                "title": "Gift card",
                "category": "Gift cards",
                "quantity": 1,
                "unit_price": 2500,
            },
        ]
        if number % 7 == 0:
            lines = lines[1:]  # gift card only: earns nothing
        if number % 5 == 0:
            lines.append(
                {
                    "external_id": "c",
                    "sku": "SOFA",
                    "title": "Sofa",
                    "category": "Home",
                    "quantity": 1,
                    "unit_price": 40_000,
                }
            )
        order: dict[str, Any] = {
            "external_id": f"o{number}",
            "number": f"#{1000 + number}",
            "customer": {"external_id": customer, "email": f"{customer}@example.com"},
            "currency": "EUR",
            "lines": lines,
            "status": status,
            "placed_at": placed.isoformat(),
            "paid_at": placed.isoformat(),
        }
        if status == "delivered":
            order["fulfilled_at"] = (placed + timedelta(days=1)).isoformat()
            order["delivered_at"] = (placed + timedelta(days=3)).isoformat()
        orders.append(order)
    return orders


def set_up(db: Database, slug: str) -> int:
    store = make_store(db, slug)
    actor = store.actor
    # The program has run for a year: the history below is placed within it, so it earns.
    db.write(
        program_actions.update_program,
        actor,
        store.id,
        ProgramSettingsPatch(pending_days=14, starts_at=NOW - timedelta(days=365)),
    )
    db.write(program_actions.save_tier, actor, store.id, TierIn(name="Bronze", rank=0, threshold=0))
    db.write(
        program_actions.save_tier,
        actor,
        store.id,
        TierIn(name="Silver", rank=1, threshold=60_000, earn_multiplier="1.5", entry_reward_points=150),
    )
    rules = [
        {
            "name": "No gift cards",
            "purchase": {"kind": "base_exclusion", "excluded_categories": ["Gift cards"]},
        },
        {
            "name": "Garden x2",
            "purchase": {"kind": "campaign", "multiplier": "2", "only_categories": ["Garden"]},
        },
        {"name": "Welcome", "action": {"action": "signup", "points": 50}},
    ]
    for rule in rules:
        db.write(program_actions.save_rule, actor, store.id, RuleIn.model_validate(rule))
    orders = TypeAdapter(list[OrderIn]).validate_python(history())
    for start in (0, 15):
        with db.transaction() as uow:
            ingest_orders(
                uow, actor, store.id, orders[start : start + 15 if start == 0 else None], source="api"
            )
    return store.id


def one_by_one(uow: UnitOfWork, store_id: int, joined: dict[int, datetime]) -> int:
    """Sign-ups as the per-event handler did them before the fast lane."""
    program = ensure_program(uow, store_id)
    if not (program.enabled and program.auto_enroll):
        return 0
    for customer_id, at in sorted(joined.items()):
        member, _ = enroll(uow, store_id, customer_id, at=at)
        record_action(uow, member, "signup", None, signups.signup_key(customer_id))
    return len(joined)


def picture(db: Database, store_id: int) -> dict[str, Any]:
    """The store's loyalty state in the store's own words (no database ids)."""
    with db.read() as session:
        orders = {
            order.id: order.number
            for order in session.scalars(select(Order).where(Order.store_id == store_id))
        }
        positions = {
            line.id: line.position
            for line in session.scalars(select(OrderLine).where(OrderLine.order_id.in_(orders)))
        }
        customers = {
            c.id: c.external_id
            for c in session.scalars(select(Customer).where(Customer.store_id == store_id))
        }
        members = {m.id: m for m in session.scalars(select(Member).where(Member.store_id == store_id))}
        tiers = {
            tier.id: tier.name for tier in session.scalars(select(Tier).where(Tier.store_id == store_id))
        }
        rules = {
            rule.id: rule.name
            for rule in session.scalars(select(EarningRule).where(EarningRule.store_id == store_id))
        }
        who = {member_id: customers[member.customer_id] for member_id, member in members.items()}
        lots = list(
            session.scalars(select(PointLot).where(PointLot.store_id == store_id).order_by(PointLot.id))
        )
        lot_names = {
            lot.id: (who[lot.member_id], orders.get(lot.order_id), lot.source, index)
            for index, lot in enumerate(lots)
        }
        entries = list(
            session.scalars(
                select(LedgerEntry).where(LedgerEntry.store_id == store_id).order_by(LedgerEntry.id)
            )
        )
        entry_names = {}
        ledger = []
        for entry in entries:
            key = entry.idempotency_key
            for order_id, number in orders.items():
                key = key.replace(f"order:{order_id}:", f"order:{number}:")
            if key.startswith("action:"):
                key = f"action:{rules[int(key.split(':')[1])]}:" + ":".join(key.split(":")[2:])
            if key.startswith("lot:"):
                key = f"lot:{lot_names[int(key.split(':')[1])]}:unlock"
            if key.startswith("tier:"):
                key = f"tier:{who[entry.member_id]}:{tiers[int(key.split(':')[2])]}:entry"
            key = key.replace(
                f"signup:{next((c for c in customers if f'signup:{c}' in key), -1)}", "signup:*"
            )
            entry_names[entry.id] = key
            postings = sorted(
                (p.account, p.amount, p.member_id is not None)
                for p in session.scalars(select(LedgerPosting).where(LedgerPosting.entry_id == entry.id))
            )
            ledger.append(
                (
                    who[entry.member_id],
                    key,
                    entry.kind,
                    entry.points,
                    entry.description,
                    orders.get(entry.order_id),
                    entry.details,
                    postings,
                )
            )
        lot_rows = [
            (
                lot_names[lot.id],
                lot.points,
                lot.remaining,
                lot.status,
                lot.earned_at,
                lot.pending_until,
                lot.expires_at,
                {positions[int(line)]: points for line, points in lot.line_points.items()},
                entry_names[lot.entry_id],
            )
            for lot in lots
        ]
        member_rows = sorted(
            (
                who[m.id],
                m.available_points,
                m.pending_points,
                m.lifetime_earned_points,
                tiers.get(m.tier_id),
                m.tier_retained_until,
                m.tier_review_at,
                m.last_activity_at,
                m.enrolled_at,
            )
            for m in members.values()
        )
        badges = sorted(
            (who[b.member_id], b.badge_code, b.level)
            for b in session.scalars(select(MemberBadge).where(MemberBadge.member_id.in_(members)))
        )
        events = sorted(
            (record.event_type, customers.get(record.customer_id), _words(record.payload))
            for record in session.scalars(
                select(EventRecord).where(
                    EventRecord.store_id == store_id, EventRecord.event_type.like("loyalty.%")
                )
            )
        )
        assert check_ledger(session, store_id) == []
    return {"ledger": ledger, "lots": lot_rows, "members": member_rows, "badges": badges, "events": events}


def _words(payload: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    ids = {"entry_id", "member_id", "from_tier_id", "to_tier_id"}
    return tuple(sorted((key, value) for key, value in payload.items() if key not in ids))


@pytest.fixture
def clock_now(clock: FakeClock) -> FakeClock:
    clock.set(NOW)
    return clock


def live(db: Database, clock: FakeClock, slug: str) -> tuple[int, dict[str, Any], dict[str, Any]]:
    """Set the store up and let its orders earn; then, three weeks later, let the unlock job run.
    Returns the store and its pictures after each step."""
    clock.set(NOW)
    store_id = set_up(db, slug)
    dispatch_until_idle(db)
    earned = picture(db, store_id)
    clock.set(NOW + timedelta(days=21))
    with db.transaction() as uow:
        unlock_due_lots(uow)
    dispatch_until_idle(db)
    return store_id, earned, picture(db, store_id)


def test_fast_lane_and_general_path_write_the_same_ledger(
    db: Database, clock_now: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fast_store, fast, fast_unlocked = live(db, clock_now, "fast")

    refusals: list[str] = []

    def always_general(*args: Any) -> str:
        refusals.append("forced")
        return "forced"

    monkeypatch.setattr(loyalty_orders, "fast_lane_refusal", always_general)
    monkeypatch.setattr("loyaldesk.loyalty.actions.unlock_and_expire.bulk_unlock_refusal", always_general)
    monkeypatch.setattr("loyaldesk.loyalty.handlers.welcome_customers", one_by_one)
    _general_store, general, general_unlocked = live(db, clock_now, "general")

    assert len(refusals) > 40, "the general path was not taken"  # 40 orders, then the unlocks
    assert len(fast["ledger"]) > 60 and any(row[2] == "unlock" for row in fast["ledger"])
    assert any(row[3] == "pending" for row in fast["lots"]) and any(
        row[3] == "available" for row in fast["lots"]
    )
    pending = [
        sum(1 for row in lots if row[3] == "pending") for lots in (fast["lots"], fast_unlocked["lots"])
    ]
    assert pending[0] > pending[1] > 0  # the job unlocked the due ones; the undelivered wait
    for part in ("ledger", "lots", "members", "badges", "events"):
        assert fast[part] == general[part], part
        assert fast_unlocked[part] == general_unlocked[part], f"{part} after unlocking"
