"""Random sequences of ledger operations against a simple model, with every invariant checked after each step.

The model is a list of lots and two balances, written from the rules in words (oldest lots first, refunds
from the order's own lot first, clawbacks down to zero or below when allowed, debts paid first), not from
the implementation.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from loyaldesk.kernel.db import Database, UnitOfWork
from loyaldesk.kernel.errors import Conflict
from loyaldesk.loyalty.actions import move_points as ledger
from loyaldesk.loyalty.models import Member, PointLot
from loyaldesk.loyalty.program import ensure_program, terms_of
from loyaldesk.loyalty.queries.check_ledger import check_ledger
from tests.factories import StoreHandle, make_member

_members = itertools.count()


@dataclass
class ModelLot:
    lot_id: int
    order_id: int | None
    status: str
    remaining: int


def run_machine(db: Database, store: StoreHandle, policy: str) -> None:
    class LedgerMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.member_id = make_member(db, store, f"sm-{next(_members)}", negative_balance_policy=policy)
            self.available = 0
            self.pending = 0
            self.lots: list[ModelLot] = []
            self.done: list[tuple[str, dict[str, Any]]] = []  # (operation, arguments) for retries
            self.counter = itertools.count()
            self.prefix = f"m{self.member_id}"  # keys are unique per store: keep each run's apart

        # -- helpers -------------------------------------------------------------------------------
        def _call(self, operation: str, **kwargs: Any) -> Any:
            def unit(uow: UnitOfWork) -> Any:
                terms = terms_of(ensure_program(uow, store.id), "UTC")
                member = uow.session.get(Member, self.member_id)
                if operation in ("unlock", "expire"):
                    lot = uow.session.get(PointLot, kwargs["lot_id"])
                    if operation == "unlock":
                        return ledger.unlock(uow, lot, terms, key=kwargs["key"], description="unlocked")
                    return ledger.expire(uow, member, terms, [lot], key=kwargs["key"], description="expired")
                return getattr(ledger, operation)(uow, member, terms, **kwargs)

            return db.write(unit)

        def _add_available(self, lot: ModelLot) -> None:
            if self.available < 0:
                paid = min(-self.available, lot.remaining)
                lot.remaining -= paid
                if lot.remaining == 0:
                    lot.status = "spent"
            self.available += lot.points_added  # type: ignore[attr-defined]

        def _take_oldest(self, points: int, kind: str) -> int:
            for lot in sorted(self.lots, key=lambda item: item.lot_id):
                if points == 0:
                    break
                if lot.status == "available" and lot.remaining > 0:
                    take = min(lot.remaining, points)
                    lot.remaining -= take
                    points -= take
                    if lot.remaining == 0:
                        lot.status = "expired" if kind == "expire" else "spent"
            return points

        def _new_lot_id(self, entry_id: int) -> int:
            with db.read() as session:
                return session.scalars(select(PointLot.id).where(PointLot.entry_id == entry_id)).one()

        # -- rules -----------------------------------------------------------------------------------
        @rule(points=st.integers(1, 300), pending=st.booleans(), with_order=st.booleans())
        def earn(self, points: int, pending: bool, with_order: bool) -> None:
            order_id = self.member_id * 100_000 + next(self.counter) if with_order else None
            key = f"{self.prefix}-earn-{next(self.counter)}"
            args = {
                "points": points,
                "key": key,
                "description": "earned",
                "source": "order" if order_id else "action",
                "pending": pending,
                "order_id": order_id,
            }
            result = self._call("earn", **args)
            self.done.append(("earn", args))
            lot = ModelLot(
                self._new_lot_id(result.entry.id), order_id, "pending" if pending else "available", points
            )
            self.lots.append(lot)
            if pending:
                self.pending += points
            else:
                lot.points_added = points  # type: ignore[attr-defined]
                self._add_available(lot)

        @precondition(lambda self: any(lot.status == "pending" for lot in self.lots))
        @rule(data=st.data())
        def unlock(self, data: st.DataObject) -> None:
            lot = data.draw(st.sampled_from([lot for lot in self.lots if lot.status == "pending"]))
            args = {"lot_id": lot.lot_id, "key": f"{self.prefix}-unlock-{lot.lot_id}"}
            self._call("unlock", **args)
            self.done.append(("unlock", args))
            self.pending -= lot.remaining
            lot.status = "available" if lot.remaining > 0 else "spent"
            lot.points_added = lot.remaining  # type: ignore[attr-defined]
            self._add_available(lot)

        @rule(points=st.integers(1, 400))
        def redeem(self, points: int) -> None:
            args = {
                "points": points,
                "key": f"{self.prefix}-redeem-{next(self.counter)}",
                "description": "voucher",
            }
            if self.available >= points:
                self._call("spend", **args)
                self.done.append(("spend", args))
                self.available -= points
                assert self._take_oldest(points, "spend") == 0
            else:
                with pytest.raises(ledger.InsufficientPoints):
                    self._call("spend", **args)

        @precondition(lambda self: any(lot.order_id for lot in self.lots))
        @rule(data=st.data(), points=st.integers(1, 300))
        def refund(self, data: st.DataObject, points: int) -> None:
            order_lot = data.draw(st.sampled_from([lot for lot in self.lots if lot.order_id]))
            args = {
                "order_id": order_lot.order_id,
                "points": points,
                "key": f"{self.prefix}-refund-{next(self.counter)}",
                "description": "refund",
            }
            self._call("reverse_order_points", **args)
            self.done.append(("reverse_order_points", args))
            left = points
            if order_lot.status in ("pending", "available"):
                take = min(order_lot.remaining, left)
                order_lot.remaining -= take
                left -= take
                if order_lot.status == "pending":
                    self.pending -= take
                else:
                    self.available -= take
                if order_lot.remaining == 0:
                    order_lot.status = "reversed"
            elsewhere = max(self.available, 0)
            from_balance = left if policy == "allow_negative" else min(left, elsewhere)
            self._take_oldest(min(from_balance, elsewhere), "clawback")
            self.available -= from_balance

        @precondition(lambda self: any(lot.status == "available" and lot.remaining > 0 for lot in self.lots))
        @rule(data=st.data())
        def expire(self, data: st.DataObject) -> None:
            lot = data.draw(
                st.sampled_from([lot for lot in self.lots if lot.status == "available" and lot.remaining > 0])
            )
            args = {"lot_id": lot.lot_id, "key": f"{self.prefix}-expire-{next(self.counter)}"}
            self._call("expire", **args)
            self.done.append(("expire", args))
            self.available -= lot.remaining
            lot.remaining = 0
            lot.status = "expired"

        @rule(points=st.integers(1, 200))
        def give_back(self, points: int) -> None:
            args = {
                "points": points,
                "key": f"{self.prefix}-return-{next(self.counter)}",
                "description": "cancelled voucher",
            }
            result = self._call("return_points", **args)
            self.done.append(("return_points", args))
            lot = ModelLot(self._new_lot_id(result.entry.id), None, "available", points)
            lot.points_added = points  # type: ignore[attr-defined]
            self.lots.append(lot)
            self._add_available(lot)

        @precondition(lambda self: bool(self.done))
        @rule(data=st.data())
        def retry_with_the_same_key(self, data: st.DataObject) -> None:
            operation, args = data.draw(st.sampled_from(self.done))
            try:
                result = self._call(operation, **args)
            except Conflict:
                pytest.fail("a retry with the same key and facts must replay, not conflict")
            if result is not None:
                assert result.created is False

        # -- invariants --------------------------------------------------------------------------------
        @invariant()
        def ledger_matches_the_model(self) -> None:
            with db.read() as session:
                member = session.get(Member, self.member_id)
                assert member is not None
                assert (member.available_points, member.pending_points) == (self.available, self.pending)
                lots = {
                    lot.id: (lot.status, lot.remaining)
                    for lot in session.scalars(select(PointLot).where(PointLot.member_id == self.member_id))
                }
                assert lots == {lot.lot_id: (lot.status, lot.remaining) for lot in self.lots}
                assert check_ledger(session, store.id) == []
                if policy == "floor_at_zero":
                    assert member.available_points >= 0

    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=25, stateful_step_count=25, deadline=None, suppress_health_check=list(HealthCheck)
        ),
    )


@pytest.mark.parametrize("policy", ["floor_at_zero", "allow_negative"])
def test_random_ledger_histories_keep_every_invariant(db: Database, store: StoreHandle, policy: str) -> None:
    run_machine(db, store, policy)
