"""Points for a store's imported history: none by default, awarded only when the store asks for it.

A store that imports years of orders (``loyaldesk import orders``) wants them for its analytics and its
customers' pictures, not to owe every past buyer points it never promised. So orders placed before the
program's start date (``LoyaltyProgram.starts_at``) earn nothing, and their customers are not enrolled by
them (``reconcile_orders`` and ``welcome_members`` apply this to every order and customer, however they
arrive).

``award_history`` is the deliberate exception (``--award-points``): each imported order earns as if the
program had run when it was placed. Its points are dated by when the order reached the earning stage,
unlock if its return window has passed, and expire by the program's rule counted from then; points that
would already have expired are not credited at all, so nothing of the distant past becomes spendable.
Customers of orders that earn join the program (where it enrols everyone), dated by their first order.
It runs after the import has written every order and refund, oldest first, so that refunds are taken
into account at once and the inactivity rule sees each customer's whole history.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loyaldesk import commerce
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import Database, UnitOfWork
from loyaldesk.loyalty.actions.reconcile_orders import earning_context, reconcile_in_context
from loyaldesk.loyalty.events import MemberEnrolled
from loyaldesk.loyalty.program import program_of_store
from loyaldesk.stores import Permission, authorize, record_audit

AWARD_BATCH = 1000  # orders per transaction: a few seconds of work at most, then others may write


@dataclass(frozen=True)
class HistoryAward:
    """What awarding history did: orders and points credited, orders whose points had already expired
    (not credited), and customers who joined the program on the way."""

    orders_credited: int = 0
    points_credited: int = 0
    orders_expired: int = 0
    members_enrolled: int = 0

    def __add__(self, other: HistoryAward) -> HistoryAward:
        return HistoryAward(
            self.orders_credited + other.orders_credited,
            self.points_credited + other.points_credited,
            self.orders_expired + other.orders_expired,
            self.members_enrolled + other.members_enrolled,
        )


def award_history(uow: UnitOfWork, actor: Actor, store_id: int, order_ids: Sequence[int]) -> HistoryAward:
    """Credit these orders' points as if the program had run when they were placed, whatever the start
    date (see the module). Idempotent: an order earns once (its ledger key), however often this runs."""
    authorize(actor, store_id, scope="loyalty:write", permission=Permission.MANAGE_STORE_SETTINGS)
    context = earning_context(uow, store_id)
    context.award_history = True
    mark = len(uow.events)
    reconcile_in_context(uow, context, list(order_ids))
    enrolled = sum(1 for event in uow.events[mark:] if isinstance(event, MemberEnrolled))
    result = HistoryAward(context.credited_orders, context.credited_points, context.expired_orders, enrolled)
    if actor.is_person and result.orders_credited:
        record_audit(
            uow,
            actor,
            "loyalty.history_awarded",
            store_id=store_id,
            target_type="loyalty_program",
            target_id=context.program.id,
            details={"orders": result.orders_credited, "points": result.points_credited},
        )
    return result


def award_history_in_batches(
    database: Database,
    actor: Actor,
    store_id: int,
    order_ids: Sequence[int],
    *,
    batch: int = AWARD_BATCH,
    progress: Callable[[int, int], None] | None = None,
) -> HistoryAward:
    """``award_history`` over many orders (give them oldest first), ``batch`` per transaction, with
    ``progress(done, total)`` after each."""
    total = HistoryAward()
    for start in range(0, len(order_ids), batch):
        chunk = order_ids[start : start + batch]
        total = total + database.write(award_history, actor, store_id, chunk)
        if progress is not None:
            progress(start + len(chunk), len(order_ids))
    return total


@dataclass(frozen=True)
class HistorySplit:
    """Of some orders: how many were placed before the program's start date and how many since."""

    starts_at: datetime
    before_start: int
    since_start: int


def history_split(session: Session, store_id: int, order_ids: Sequence[int]) -> HistorySplit:
    """How these orders fall either side of the program's start date (what an import earns by default)."""
    starts_at = program_of_store(session, store_id).starts_at
    before = since = 0
    for start in range(0, len(order_ids), 5000):
        chunk = commerce.Order.id.in_(order_ids[start : start + 5000])
        of_store = commerce.Order.store_id == store_id
        since += int(
            session.scalar(select(func.count()).where(of_store, chunk, commerce.Order.placed_at >= starts_at))
            or 0
        )
        before += int(
            session.scalar(select(func.count()).where(of_store, chunk, commerce.Order.placed_at < starts_at))
            or 0
        )
    return HistorySplit(starts_at, before, since)
