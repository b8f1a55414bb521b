"""Points follow an order's edits: when lines the order earned on change, their points are recomputed and the
difference earned or taken back through the ledger's own actions (postings are never edited).

Contract:
- Only an order that already earned is adjusted; an order edited before it earns simply earns on its lines
  as they are then (its earning records the revision it was computed on).
- The lines re-priced are those an edit changed since the last revision the order's points account for
  (``LineFacts.revision``), and those an edit removed (points still held for a line the order no longer
  has). Lines an edit did not touch keep their points, even if the program changed since.
- A changed line's points are what it earns now, computed exactly as earning computes them
  (``order_earning_context.order_points``: the order's lines after their discounts, the store's rate
  and rules, the member's tier).
- Per revision, at most one credit (key ``order:<id>:revision:<n>:earn``: a new pending lot holding the
  lines' extra points, unlocking with the order) and one reversal (``order:<id>:revision:<n>:reverse``,
  whose details keep each line's points taken back, so that a later refund of the line takes back the
  right share). A revision that changes no points writes nothing.
- A cancelled or fully refunded order is not adjusted: its points are taken back in full anyway.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from loyaldesk import commerce
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.loyalty.actions import move_points as ledger
from loyaldesk.loyalty.actions.earn_in_bulk import pending_until_of
from loyaldesk.loyalty.models import LedgerEntry, Member, PointLot

if TYPE_CHECKING:
    from loyaldesk.loyalty.actions.reconcile_orders import EarningContext


def _order_entries(uow: UnitOfWork, member_id: int, order_id: int) -> list[LedgerEntry]:
    return list(
        uow.session.scalars(
            select(LedgerEntry)
            .where(
                LedgerEntry.member_id == member_id,
                LedgerEntry.order_id == order_id,
                LedgerEntry.kind.in_(("earn", "reverse")),
            )
            .order_by(LedgerEntry.id)
        )
    )


def line_points_held(
    uow: UnitOfWork, member_id: int, order: commerce.OrderFacts, lots: list[PointLot] | None = None
) -> dict[int, int]:
    """Points an order's lines earned, per line: its lots' shares, less what edits took back (refunds
    are not subtracted: they are counted per unit against the line's quantity)."""
    if lots is None:
        lots = list(
            uow.session.scalars(
                select(PointLot).where(
                    PointLot.member_id == member_id, PointLot.order_id == order.id, PointLot.source == "order"
                )
            )
        )
    held: dict[int, int] = {}
    for lot in lots:
        for line_key, points in (lot.line_points or {}).items():
            held[int(line_key)] = held.get(int(line_key), 0) + points
    if order.revision:
        for entry in _order_entries(uow, member_id, order.id):
            if entry.kind == "reverse" and "revision" in (entry.details or {}):
                for line_key, points in (entry.details.get("line_points") or {}).items():
                    held[int(line_key)] = held.get(int(line_key), 0) + int(points)
    return held


def follow_edits(
    uow: UnitOfWork,
    context: EarningContext,
    member: Member,
    order: commerce.OrderFacts,
    segments: frozenset[str],
) -> None:
    """Bring the points of an edited order's changed lines in line with what they earn now (see above)."""
    from loyaldesk.loyalty.actions.reconcile_orders import order_points, stage_time

    if order.revision == 0 or order.status == "cancelled" or order.refund_status == "full":
        return
    entries = _order_entries(uow, member.id, order.id)
    if not any(entry.idempotency_key == f"order:{order.id}:earn" for entry in entries):
        return
    handled = max(int((entry.details or {}).get("revision", 0)) for entry in entries)
    if handled >= order.revision:
        return
    held = line_points_held(uow, member.id, order)
    target = order_points(context, order, member, segments).by_line
    titles = {line.id: line.title for line in order.lines}
    changed = [line.id for line in order.lines if line.revision > handled]
    deltas = {line_id: target.get(line_id, 0) - held.get(line_id, 0) for line_id in changed}
    for line_id, points in held.items():
        if line_id not in titles and points:
            deltas[line_id] = -points  # the line was removed
    gains = {line_id: points for line_id, points in deltas.items() if points > 0}
    losses = {line_id: -points for line_id, points in deltas.items() if points < 0}

    def explained(parts: dict[int, int], sign: str) -> list[str]:
        return [
            f"{titles.get(line_id, f'line {line_id} (removed)')}: {sign}{points} points"
            for line_id, points in sorted(parts.items())
        ]

    key = f"order:{order.id}:revision:{order.revision}"
    if gains:
        points = sum(gains.values())
        unlock_from = stage_time(order, context.program.unlock_after_status)
        pending_until = pending_until_of(unlock_from, context.program.pending_days)
        ledger.earn(
            uow,
            member,
            context.terms,
            points=points,
            key=f"{key}:earn",
            description=f"Order {order.number} was edited: {points} more points",
            source="order",
            pending=True,
            pending_until=pending_until,
            order_id=order.id,
            line_points={str(line_id): share for line_id, share in gains.items()},
            details={"revision": order.revision, "explanation": explained(gains, "+")},
        )
    if losses:
        points = sum(losses.values())
        ledger.reverse_order_points(
            uow,
            member,
            context.terms,
            order_id=order.id,
            points=points,
            key=f"{key}:reverse",
            description=f"Order {order.number} was edited: {points} points taken back",
            details={
                "revision": order.revision,
                "line_points": {str(line_id): -share for line_id, share in losses.items()},
                "explanation": explained(losses, "-"),
            },
        )
