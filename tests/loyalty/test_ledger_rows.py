"""``post_entries.post`` writes members' and lots' balances with its own UPDATE statements, not the ORM's
flush: the loaded objects say what the rows say, the session has nothing left to flush for them, a lot
loaded as an ORM object follows a spend made through its ``LotRow``, and a rolled-back savepoint
expires the objects it changed (as after a flush), so nothing stale is read or written again."""

from __future__ import annotations

from sqlalchemy import select

from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.loyalty.actions import move_points as ledger
from loyaldesk.loyalty.actions.post_entries import post
from loyaldesk.loyalty.models import Member, PointLot
from tests.loyalty.shop import Shop


def _member_id(shop: Shop, customer: str) -> int:
    return int(shop.member(customer)["member_id"])


def _spend(uow: UnitOfWork, member_id: int, points: int, key: str) -> None:
    [member] = ledger.lock_members(uow, [member_id]).values()
    draft = ledger.spend_draft(
        member,
        ledger.available_lots_of(uow, [member_id])[member_id],
        points=points,
        key=key,
        description="test spend",
        now=uow.now(),
    )
    post(uow, [draft])


def test_objects_say_what_the_rows_say_with_nothing_left_to_flush(shop: Shop) -> None:
    shop.order("alice", [("A", None, 1, 100)])  # joins the program (its points stay pending)
    shop.adjust("alice", 500, key="fund")
    member_id = _member_id(shop, "alice")
    assert shop.balance("alice")[0] == 500

    def spend_and_look(uow: UnitOfWork) -> tuple[int, int, int, int, bool]:
        loaded_lot = uow.session.scalars(
            select(PointLot).where(PointLot.member_id == member_id, PointLot.status == "available")
        ).one()
        _spend(uow, member_id, 120, "spend-1")
        member = uow.session.get(Member, member_id)
        assert member is not None
        nothing_to_flush = not uow.session.dirty
        row = uow.session.execute(
            select(Member.available_points, PointLot.remaining)
            .join(PointLot, PointLot.member_id == Member.id)
            .where(Member.id == member_id, PointLot.id == loaded_lot.id)
            .execution_options(autoflush=False)
        ).one()
        return member.available_points, loaded_lot.remaining, row[0], row[1], nothing_to_flush

    available, lot_remaining, row_available, row_remaining, nothing_to_flush = shop.db.write(spend_and_look)
    assert (available, lot_remaining) == (380, 380) == (row_available, row_remaining)
    assert nothing_to_flush
    assert shop.balance("alice")[0] == 380
    shop.assert_ledger_clean()


def test_a_rolled_back_savepoint_expires_what_post_changed(shop: Shop) -> None:
    shop.order("bob", [("A", None, 1, 100)])
    shop.adjust("bob", 300, key="fund")
    member_id = _member_id(shop, "bob")
    assert shop.balance("bob")[0] == 300

    def spend_then_roll_back(uow: UnitOfWork) -> tuple[int, int]:
        [member] = ledger.lock_members(uow, [member_id]).values()
        savepoint = uow.session.begin_nested()
        _spend(uow, member_id, 100, "rolled-back")
        assert member.available_points == 200
        savepoint.rollback()
        after_rollback = member.available_points  # expired: read again from the row
        _spend(uow, member_id, 50, "kept")
        return after_rollback, member.available_points

    after_rollback, after_second_spend = shop.db.write(spend_then_roll_back)
    assert (after_rollback, after_second_spend) == (300, 250)
    assert shop.balance("bob")[0] == 250
    shop.assert_ledger_clean()
