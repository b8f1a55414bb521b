"""The points ledger on a real database: every operation, idempotency, and the invariants after each."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database, UnitOfWork
from loyaldesk.kernel.errors import Conflict
from loyaldesk.loyalty.actions import move_points as ledger
from loyaldesk.loyalty.actions.move_points import InsufficientPoints
from loyaldesk.loyalty.models import LedgerEntry, Member, PointLot
from loyaldesk.loyalty.program import ensure_program, terms_of
from loyaldesk.loyalty.queries.check_ledger import check_ledger
from loyaldesk.loyalty.rules.ledger import Account
from tests.factories import StoreHandle, make_member


def _run(db: Database, store: StoreHandle, member_id: int, operation, **kwargs):  # type: ignore[no-untyped-def]
    def unit(uow: UnitOfWork):  # type: ignore[no-untyped-def]
        terms = terms_of(ensure_program(uow, store.id), "Europe/Amsterdam")
        member = uow.session.get(Member, member_id)
        return operation(uow, member, terms, **kwargs)

    return db.write(unit)


def _balances(db: Database, member_id: int) -> tuple[int, int]:
    with db.read() as session:
        member = session.get(Member, member_id)
        assert member is not None
        return member.available_points, member.pending_points


def _clean(db: Database) -> None:
    with db.read() as session:
        assert check_ledger(session) == []


def _lots(db: Database, member_id: int) -> list[tuple[int, int, str]]:
    with db.read() as session:
        return [
            (lot.points, lot.remaining, lot.status)
            for lot in session.scalars(
                select(PointLot).where(PointLot.member_id == member_id).order_by(PointLot.id)
            )
        ]


def test_earn_unlock_spend_oldest_first(db: Database, store: StoreHandle) -> None:
    member = make_member(db, store)
    _run(
        db,
        store,
        member,
        ledger.earn,
        points=100,
        key="a",
        description="Order #1",
        source="order",
        pending=True,
        order_id=1,
    )
    _run(db, store, member, ledger.earn, points=50, key="b", description="Signed up", source="action")
    assert _balances(db, member) == (50, 100)

    def unlock_first(uow: UnitOfWork, member_row: Member, terms):  # type: ignore[no-untyped-def]
        lot = uow.session.scalars(select(PointLot).where(PointLot.status == "pending")).one()
        return ledger.unlock(uow, lot, terms, key="u", description="Order #1 points unlocked")

    db.write(lambda uow: unlock_first(uow, None, terms_of(ensure_program(uow, store.id), "UTC")))
    assert _balances(db, member) == (150, 0)
    _run(db, store, member, ledger.spend, points=120, key="r", description="Redeemed a voucher")
    assert _balances(db, member) == (30, 0)
    # The order lot is older than the sign-up lot: it was used up first.
    assert _lots(db, member) == [(100, 0, "spent"), (50, 30, "available")]
    _clean(db)


def test_same_key_replays_and_a_different_change_is_refused(db: Database, store: StoreHandle) -> None:
    member = make_member(db, store)
    first = _run(db, store, member, ledger.earn, points=10, key="k", description="x", source="action")
    again = _run(db, store, member, ledger.earn, points=10, key="k", description="x", source="action")
    assert first.created and not again.created and again.entry.id == first.entry.id
    with pytest.raises(Conflict, match="already used for a different change"):
        _run(db, store, member, ledger.earn, points=11, key="k", description="x", source="action")
    assert _balances(db, member) == (10, 0)
    _clean(db)


def test_spending_more_than_available_is_refused_and_changes_nothing(
    db: Database, store: StoreHandle
) -> None:
    member = make_member(db, store)
    _run(db, store, member, ledger.earn, points=40, key="e", description="x", source="action")
    with pytest.raises(InsufficientPoints):
        _run(db, store, member, ledger.spend, points=41, key="s", description="too much")
    assert _balances(db, member) == (40, 0)
    with db.read() as session:
        assert session.scalar(select(LedgerEntry).where(LedgerEntry.idempotency_key == "s")) is None
    _clean(db)


@pytest.mark.parametrize("policy", ["floor_at_zero", "allow_negative"])
def test_refund_reverses_unspent_points_then_claws_back_spent_ones(
    db: Database, store: StoreHandle, policy: str
) -> None:
    member = make_member(db, store, negative_balance_policy=policy)
    _run(
        db,
        store,
        member,
        ledger.earn,
        points=100,
        key="o",
        description="Order #7",
        source="order",
        order_id=7,
    )
    _run(db, store, member, ledger.spend, points=80, key="r", description="Voucher")
    result = _run(
        db,
        store,
        member,
        ledger.reverse_order_points,
        order_id=7,
        points=60,
        key="ref",
        description="Refund on order #7",
    )
    # 20 were still in the order's lot; 40 had been spent.
    if policy == "floor_at_zero":
        assert _balances(db, member) == (0, 0)
        assert result.entry.details["written_off"] == 40
    else:
        assert _balances(db, member) == (-40, 0)
        # New points pay the debt first.
        _run(
            db,
            store,
            member,
            ledger.earn,
            points=50,
            key="later",
            description="Order #8",
            source="order",
            order_id=8,
        )
        assert _balances(db, member) == (10, 0)
        assert _lots(db, member)[-1] == (50, 10, "available")
    _clean(db)


def test_expiry_and_returned_points(db: Database, store: StoreHandle, clock: FakeClock) -> None:
    member = make_member(db, store)
    _run(db, store, member, ledger.earn, points=30, key="e1", description="x", source="action")
    clock.advance(timedelta(days=10))
    _run(db, store, member, ledger.earn, points=20, key="e2", description="y", source="action")
    _run(db, store, member, ledger.spend, points=10, key="s", description="Voucher")

    def expire_oldest(uow: UnitOfWork, member_row: Member, terms):  # type: ignore[no-untyped-def]
        lot = uow.session.scalars(
            select(PointLot).where(PointLot.member_id == member_row.id).order_by(PointLot.id)
        ).first()
        return ledger.expire(uow, member_row, terms, [lot], key="x", description="Points expired")

    _run(db, store, member, expire_oldest)
    assert _balances(db, member) == (20, 0)
    _run(db, store, member, ledger.return_points, points=10, key="back", description="Voucher cancelled")
    assert _balances(db, member) == (30, 0)
    with db.read() as session:
        expiring = session.scalars(select(PointLot.expires_at).where(PointLot.member_id == member)).all()
    assert all(moment is not None for moment in expiring)  # default policy: 365 days after earning
    _clean(db)


def test_check_ledger_finds_tampering(db: Database, store: StoreHandle, ledger_left_broken: None) -> None:
    member = make_member(db, store)
    _run(db, store, member, ledger.earn, points=10, key="e", description="x", source="action")
    with db.transaction() as uow:
        uow.session.execute(text("UPDATE loyalty_members SET available_points = 999"))
    with db.read() as session:
        kinds = {violation.invariant for violation in check_ledger(session)}
    assert {"balances equal postings", "lots match balances"} <= kinds


def test_postings_and_entries_cannot_be_changed(db: Database, store: StoreHandle) -> None:
    member = make_member(db, store)
    _run(db, store, member, ledger.earn, points=10, key="e", description="x", source="action")
    for statement in (
        "UPDATE loyalty_postings SET amount = 0",
        "DELETE FROM loyalty_entries",
        "UPDATE loyalty_entries SET points = 5",
        "DELETE FROM loyalty_postings",
    ):
        with pytest.raises(DBAPIError), db.transaction() as uow:
            uow.session.execute(text(statement))
    _clean(db)
    assert Account.ISSUED.value == "issued"
