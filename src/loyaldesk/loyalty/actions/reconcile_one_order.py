"""The general path of ``reconcile_orders``: one order at a time, through the ledger's operations, for
whatever the fast lane cannot take (reversals, cancellations, memberships, surprises, members in debt)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import func, select

from loyaldesk import commerce
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.loyalty.actions import move_points as ledger
from loyaldesk.loyalty.actions.earn_in_bulk import (
    earn_description,
    earn_details,
    pending_until_of,
)
from loyaldesk.loyalty.actions.order_earning_context import EarningContext, order_points, stage_time
from loyaldesk.loyalty.models import (
    LedgerEntry,
    LedgerPosting,
    LoyaltyProgram,
    Member,
    PointLot,
)
from loyaldesk.loyalty.rules.ledger import reversal_for_lines


def reconcile_one_order(
    uow: UnitOfWork,
    context: EarningContext,
    member: Member,
    order: commerce.OrderFacts,
    present: set[str],
    segments: frozenset[str],
    *,
    earns: bool = True,
) -> None:
    """The general path for one order. ``earns`` False: placed before the program started (and not
    awarded as history), so it earns nothing now, but what it earned before is still kept in line."""
    program = context.program
    earned_at = stage_time(order, program.earn_on_status)
    unlock_from = stage_time(order, program.unlock_after_status)
    if (
        earns
        and f"order:{order.id}:earn" not in present
        and order.status != "cancelled"
        and earned_at is not None
    ):
        _earn(uow, context, member, order, unlock_from, segments)
        from loyaldesk.loyalty.actions.reward_referrals import on_order_earned

        on_order_earned(uow, context.store_id, member.customer_id, order.id)
    if earns and order.status != "cancelled" and earned_at is not None:
        _grant_memberships(uow, context, member, order, earned_at)
    if earns and order.revision:
        from loyaldesk.loyalty.actions.adjust_edited_orders import follow_edits

        follow_edits(uow, context, member, order, segments)
    lots = list(
        uow.session.scalars(
            select(PointLot)
            .where(PointLot.order_id == order.id, PointLot.source == "order", PointLot.member_id == member.id)
            .order_by(PointLot.id)
        )
    )
    if lots and unlock_from is not None:
        _schedule_unlock(uow, context, lots, unlock_from)
    if lots:
        _reverse_refunds(uow, context, member, order, lots, present)
        if order.status == "cancelled" and f"order:{order.id}:cancel" not in present:
            _take_back_rest(
                uow, context, member, order, f"order:{order.id}:cancel", f"Order {order.number} was cancelled"
            )
        elif order.refund_status == "full" and f"order:{order.id}:refunded" not in present:
            _take_back_rest(
                uow,
                context,
                member,
                order,
                f"order:{order.id}:refunded",
                f"Order {order.number} was fully refunded",
            )
    if order.status == "cancelled":
        from loyaldesk.loyalty.actions.redeem_rewards import cancel_codes_of_order

        cancel_codes_of_order(uow, context.terms, member, order.id, order.number)
    elif order.discount_codes:
        from loyaldesk.loyalty.actions.redeem_rewards import mark_codes_used

        mark_codes_used(uow, context.store_id, order.discount_codes, order.id)
    context.touched_members.add(member.id)


def _earn(
    uow: UnitOfWork,
    context: EarningContext,
    member: Member,
    order: commerce.OrderFacts,
    unlock_from: datetime | None,
    segments: frozenset[str],
) -> None:
    earned_at = stage_time(order, context.program.earn_on_status)
    assert earned_at is not None
    if context.dead_on_arrival(order, earned_at, uow.now()):
        context.expired_orders += 1
        return
    result = order_points(context, order, member, segments)
    if result.total <= 0:
        return
    pending_until = pending_until_of(unlock_from, context.program.pending_days)
    context.credited_orders += 1
    context.credited_points += result.total
    ledger.earn(
        uow,
        member,
        context.terms,
        points=result.total,
        key=f"order:{order.id}:earn",
        description=earn_description(order, result.total, pending_until),
        source="order",
        pending=True,
        pending_until=pending_until,
        order_id=order.id,
        line_points={str(line_id): points for line_id, points in result.by_line.items()},
        details=earn_details(order, result),
        earned_at=earned_at,
    )
    _surprise(uow, context, member, order, earned_at)


def _grant_memberships(
    uow: UnitOfWork, context: EarningContext, member: Member, order: commerce.OrderFacts, paid_at: datetime
) -> None:
    """A membership product in the order buys its tier (once per order: remembered by an action record)."""
    by_sku = {tier.membership_sku: tier for tier in context.tiers.values() if tier.membership_sku}
    bought = [by_sku[line.sku] for line in order.lines if line.sku in by_sku]
    if not bought:
        return
    from loyaldesk.loyalty.actions.change_tiers import grant_membership
    from loyaldesk.loyalty.actions.delight_members import record_action

    for tier in bought:
        new, _ = record_action(
            uow, member, "custom", "membership_purchase", f"membership:{order.id}:{tier.id}"
        )
        if new:
            grant_membership(uow, member, tier, paid_at)


def _schedule_unlock(
    uow: UnitOfWork, context: EarningContext, lots: list[PointLot], unlock_from: datetime
) -> None:
    from loyaldesk.loyalty.actions.unlock_and_expire import expire_due_lots, unlock_lot

    late: set[int] = set()
    for lot in lots:
        if lot.status == "pending" and lot.pending_until is None:
            lot.pending_until = unlock_from + timedelta(days=context.program.pending_days)
        if lot.status == "pending" and lot.pending_until is not None and lot.pending_until <= uow.now():
            unlock_lot(uow, context.terms, lot)
            if lot.expires_at is not None and lot.expires_at <= uow.now():
                late.add(lot.id)
    if late:  # unlocked after their expiry date (delivered very late): expired before anyone can spend them
        uow.session.flush()
        expire_due_lots(uow, len(late), only_lots=late)


def _reverse_refunds(
    uow: UnitOfWork,
    context: EarningContext,
    member: Member,
    order: commerce.OrderFacts,
    lots: list[PointLot],
    present: set[str],
) -> None:
    from loyaldesk.loyalty.actions.adjust_edited_orders import line_points_held

    line_points = line_points_held(uow, member.id, order, lots)
    quantities = {line.id: line.quantity for line in order.lines}
    refunded_before: dict[int, int] = {}
    for refund in order.refunds:  # oldest first: each refund takes its share on top of the earlier ones
        now = {line_id: quantity for line_id, quantity in refund.lines}
        key = f"refund:{refund.id}:reverse"
        if key not in present:
            points = reversal_for_lines(line_points, quantities, refunded_before, now)
            if points > 0:
                what = "Return" if refund.kind == "return" else "Refund"
                ledger.reverse_order_points(
                    uow,
                    member,
                    context.terms,
                    order_id=order.id,
                    points=points,
                    key=key,
                    description=f"{what} on order {order.number}: {points} points taken back",
                    details={"refund_id": refund.id},
                )
        for line_id, quantity in now.items():
            refunded_before[line_id] = refunded_before.get(line_id, 0) + quantity


def points_still_held(uow: UnitOfWork, member_id: int, order_id: int) -> int:
    """What an order's earning minus everything already taken back amounts to."""
    earned = (
        uow.session.scalar(
            select(func.coalesce(func.sum(PointLot.points), 0)).where(
                PointLot.member_id == member_id, PointLot.order_id == order_id, PointLot.source == "order"
            )
        )
        or 0
    )
    # Reversals credit ``issued`` with everything they take back, written-off parts included.
    taken = (
        uow.session.scalar(
            select(func.coalesce(func.sum(LedgerPosting.amount), 0))
            .join(LedgerEntry, LedgerEntry.id == LedgerPosting.entry_id)
            .where(
                LedgerEntry.member_id == member_id,
                LedgerEntry.order_id == order_id,
                LedgerEntry.kind.in_(("reverse", "cancel")),
                LedgerPosting.account == "issued",
            )
        )
        or 0
    )
    return int(earned) - int(taken)


def _take_back_rest(
    uow: UnitOfWork,
    context: EarningContext,
    member: Member,
    order: commerce.OrderFacts,
    key: str,
    description: str,
) -> None:
    uow.session.flush()
    rest = points_still_held(uow, member.id, order.id)
    ledger.reverse_order_points(
        uow,
        member,
        context.terms,
        order_id=order.id,
        points=max(rest, 0),
        key=key,
        description=f"{description}: {rest} points taken back",
        kind="cancel",
    )


def surprise_due(program: LoyaltyProgram, order: commerce.OrderFacts) -> bool:
    """Whether this order wins the program's surprise: one order in N over a value, chosen by a hash of the
    order, so that the same order always gets the same answer."""
    if (
        program.surprise_one_in <= 0
        or program.surprise_points <= 0
        or order.total < program.surprise_min_order_total
    ):
        return False
    draw = int.from_bytes(
        hashlib.sha256(f"surprise:{order.store_id}:{order.id}".encode()).digest()[:8], "big"
    )
    return draw % program.surprise_one_in == 0


def _surprise(
    uow: UnitOfWork, context: EarningContext, member: Member, order: commerce.OrderFacts, earned_at: datetime
) -> None:
    """A surprise bonus on one order in N over a value; chosen by a hash of the order, so it is repeatable.
    Dated like the order's own points (the caller checked that those are not expired)."""
    program = context.program
    if not surprise_due(program, order):
        return
    ledger.earn(
        uow,
        member,
        context.terms,
        points=program.surprise_points,
        key=f"order:{order.id}:surprise",
        description=f"Surprise! {program.surprise_points} bonus points with order {order.number}",
        source="bonus",
        order_id=None,
        earned_at=earned_at,
    )
