"""Expiry catches up with everything due at once, in bounded batches (one transaction each), writing what
the ledger's own ``expire`` writes; a lot that unlocks after its expiry date is never spendable."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from loyaldesk.customers.actions import CustomerRef, resolve_customers
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database, UnitOfWork
from loyaldesk.kernel.jobs import jobs
from loyaldesk.loyalty.actions import move_points as ledger
from loyaldesk.loyalty.actions import unlock_and_expire as unlocking
from loyaldesk.loyalty.actions.earn_in_bulk import Credit, credit_in_bulk
from loyaldesk.loyalty.actions.enrol_members import enroll_many
from loyaldesk.loyalty.models import LedgerEntry, LedgerPosting, LotMovement, Member, PointLot
from loyaldesk.loyalty.program import ensure_program, terms_of
from loyaldesk.loyalty.queries.check_ledger import check_ledger
from loyaldesk.loyalty.rules.ledger import Account
from tests.factories import StoreHandle
from tests.loyalty.shop import Shop


def _members_with_lots(db: Database, store_id: int, members: int, lots_each: int, points: int = 5) -> None:
    """``members`` members with ``lots_each`` available lots of ``points`` each, earned now (bulk)."""

    def create(uow: UnitOfWork) -> None:
        ids = resolve_customers(
            uow, store_id, [CustomerRef(external_id=f"m{i}") for i in range(members)], source="test"
        )
        enroll_many(uow, store_id, {customer_id: uow.now() for customer_id in ids if customer_id})
        rows = uow.session.scalars(
            select(Member).where(Member.store_id == store_id).order_by(Member.id)
        ).all()
        credits = [
            Credit(
                member=member,
                key=f"gift:{member.id}:{number}",
                fingerprint=ledger.request_hash(kind="gift", member=member.id, number=number),
                points=points,
                description=f"{points} points",
                source="adjustment",
                earned_at=uow.now(),
                pending=False,
            )
            for member in rows
            for number in range(lots_each)
        ]
        credit_in_bulk(uow, credits, terms_of(ensure_program(uow, store_id), "UTC"))

    db.write(create)


def test_twenty_thousand_due_lots_expire_in_one_run_of_bounded_batches(
    db: Database, store: StoreHandle, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    _members_with_lots(db, store.id, members=2000, lots_each=10)
    clock.advance(timedelta(days=366))  # the default program: points expire 365 days after earning
    batches: list[int] = []
    one_batch = unlocking.expire_due_lots

    def counted(uow: UnitOfWork, limit: int = unlocking.EXPIRY_BATCH, **more: Any) -> int:
        done = one_batch(uow, limit, **more)
        batches.append(done)
        return done

    monkeypatch.setattr(unlocking, "expire_due_lots", counted)
    started = time.perf_counter()
    expired = unlocking.catch_up_expiry(db, batch=2000)
    seconds = time.perf_counter() - started
    print(f"expired {expired} lots in {seconds:.2f} s: {expired / seconds:,.0f} lots/s")
    assert expired == 20_000
    assert batches == [2000] * 10 + [0]  # one transaction per batch, none larger than asked
    with db.read() as session:
        assert session.scalar(select(func.sum(Member.available_points))) == 0
        statuses = dict(
            session.execute(select(PointLot.status, func.count()).group_by(PointLot.status)).all()
        )
        assert statuses == {"expired": 20_000}
        assert session.scalar(select(func.count()).where(LedgerEntry.kind == "expire")) == 2000
        assert check_ledger(session) == []
    assert unlocking.catch_up_expiry(db) == 0
    job = next(job for job in jobs.all() if job.name == "loyalty.expire_due_lots")
    assert job.every_seconds == 60 and not job.in_transaction  # each run opens its own transactions


def _rows(db: Database, member_id: int) -> dict[str, Any]:
    """A member's expiry as the ledger holds it, without ids or keys."""
    with db.read() as session:
        entries = session.scalars(
            select(LedgerEntry).where(LedgerEntry.member_id == member_id, LedgerEntry.kind == "expire")
        ).all()
        entry_ids = [entry.id for entry in entries]
        lots = session.scalars(
            select(PointLot).where(PointLot.member_id == member_id).order_by(PointLot.id)
        ).all()
        return {
            "entries": [
                (e.kind, e.points, e.description, e.reason_code, e.order_id, e.actor_label, e.details)
                for e in entries
            ],
            "postings": sorted(
                (p.account, p.amount, p.member_id is not None)
                for p in session.scalars(select(LedgerPosting).where(LedgerPosting.entry_id.in_(entry_ids)))
            ),
            "movements": [
                (lots.index(next(lot for lot in lots if lot.id == m.lot_id)), m.points, m.kind)
                for m in session.scalars(
                    select(LotMovement)
                    .where(LotMovement.entry_id.in_(entry_ids))
                    .order_by(LotMovement.lot_id)
                )
            ],
            "lots": [(lot.points, lot.remaining, lot.status) for lot in lots],
            "member": session.execute(
                select(Member.available_points, Member.pending_points, Member.lifetime_earned_points).where(
                    Member.id == member_id
                )
            ).one(),
        }


def test_the_bulk_expiry_writes_what_the_ledger_writes(
    db: Database, store: StoreHandle, clock: FakeClock
) -> None:
    _members_with_lots(db, store.id, members=2, lots_each=3, points=20)

    def spend_some(uow: UnitOfWork) -> list[int]:
        terms = terms_of(ensure_program(uow, store.id), "UTC")
        members = uow.session.scalars(select(Member).order_by(Member.id)).all()
        for member in members:  # both spend 25: the first lot is spent, the second is left with 15
            ledger.spend(uow, member, terms, points=25, key=f"spend:{member.id}", description="spent")
        return [member.id for member in members]

    by_ledger, in_bulk = db.write(spend_some)
    clock.advance(timedelta(days=366))

    def through_the_ledger(uow: UnitOfWork) -> None:
        member = uow.session.get(Member, by_ledger)
        assert member is not None
        lots = list(
            uow.session.scalars(
                select(PointLot)
                .where(PointLot.member_id == by_ledger, PointLot.status == "available")
                .order_by(PointLot.id)
            )
        )
        ledger.expire(
            uow,
            member,
            terms_of(ensure_program(uow, store.id), "UTC"),
            lots,
            key=f"expire:{by_ledger}:{lots[0].id}-{lots[-1].id}",
            description=f"{sum(lot.remaining for lot in lots)} points expired",
        )

    db.write(through_the_ledger)
    assert unlocking.catch_up_expiry(db) == 2  # the other member's two lots with points left
    assert _rows(db, by_ledger) == _rows(db, in_bulk)
    assert _rows(db, in_bulk)["postings"] == [
        (Account.AVAILABLE.value, -35, True),
        (Account.EXPIRED.value, 35, False),
    ]
    with db.read() as session:
        assert check_ledger(session) == []


def test_points_unlocked_after_their_expiry_date_are_never_spendable(shop: Shop, clock: FakeClock) -> None:
    shop.settings(pending_days=60, expiry_amount=30, unlock_after_status="fulfilled")
    order = shop.order("late", [("TEE", "Apparel", 1, 4000)])
    shop.move(order["id"], "fulfilled")
    assert shop.balance("late") == (0, 40)
    clock.advance(timedelta(days=61))
    shop.run_jobs("loyalty.unlock_due_lots")  # unlocked and expired in one transaction
    assert shop.balance("late") == (0, 0)
    assert [entry["description"] for entry in shop.history("late")][:2] == [
        "40 points expired",
        "40 points from your order are now available",
    ]
    shop.assert_ledger_clean()


def test_points_of_an_order_delivered_after_their_expiry_date_are_never_spendable(
    shop: Shop, clock: FakeClock
) -> None:
    shop.settings(pending_days=0, expiry_amount=30, unlock_after_status="delivered")
    order = shop.order("slow", [("TEE", "Apparel", 1, 4000)])
    assert shop.balance("slow") == (0, 40)
    clock.advance(timedelta(days=40))
    shop.move(order["id"], "delivered")  # unlocks now, 10 days after the points' expiry date
    assert shop.balance("slow") == (0, 0)
    assert shop.history("slow")[0]["description"] == "40 points expired"
    shop.assert_ledger_clean()
