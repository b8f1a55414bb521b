"""The fast lane of ``reconcile_orders``: many orders that simply earn, in a handful of statements.

Most order events of a busy store say one thing: "this order reached the earning stage". For those, the
general path (one ledger call per order, each with its own reads and locks) costs a few milliseconds per
order. Here, the entries are prepared for the whole batch (``EntryDraft``s, exactly what ``move_points.earn``
would prepare) and handed at once to the ledger's one writer, ``post_entries.post``, which writes them
with one bulk insert per table.

An order takes the fast lane only when nothing else can be going on (``fast_lane_reason`` says why
not): it was not earned before, is not cancelled, carries no reward code of ours, buys no membership,
is not a referred friend's order, wins no surprise, and its member is not in debt. Everything else takes
the general path. ``credit_in_bulk`` also credits sign-up rewards in bulk (``handlers``). The two lanes
write exactly the same rows (one writer; a test compares them), and the batch runs inside the dispatcher's
transaction with every member of the batch locked first, so the ledger's guarantees (balanced entries,
one outcome per key, no overdraft) are the general path's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from loyaldesk import commerce
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.money import format_money
from loyaldesk.loyalty.actions.post_entries import (
    SYSTEM_LABEL,
    EntryDraft,
    LedgerTerms,
    LotDraft,
    post,
    request_hash,
)
from loyaldesk.loyalty.models import Member, PointLot
from loyaldesk.loyalty.rules import earning
from loyaldesk.loyalty.rules.expiry import lot_expiry
from loyaldesk.loyalty.rules.ledger import Account, Posting

__all__ = ["SYSTEM_LABEL", "Credit", "credit_in_bulk", "earn_description", "order_credit", "unlock_in_bulk"]


@dataclass(frozen=True)
class Credit:
    """Points to credit to a member as a new lot: what ``move_points.earn`` would be asked to do. A pending
    credit whose ``pending_until`` has passed is unlocked at once, as the general path does."""

    member: Member
    key: str
    fingerprint: str
    points: int
    description: str
    source: str
    earned_at: datetime
    pending: bool
    pending_until: datetime | None = None
    order_id: int | None = None
    line_points: dict[str, int] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)


def order_credit(
    member: Member,
    order: commerce.OrderFacts,
    points: earning.OrderPoints,
    earned_at: datetime,
    pending_until: datetime | None,
) -> Credit:
    """What an order earns, as ``reconcile_one_order`` asks the ledger for it."""
    return Credit(
        member=member,
        key=f"order:{order.id}:earn",
        fingerprint=request_hash(
            kind="earn", member=member.id, points=points.total, source="order", order=order.id
        ),
        points=points.total,
        description=earn_description(order, points.total, pending_until),
        source="order",
        earned_at=earned_at,
        pending=True,
        pending_until=pending_until,
        order_id=order.id,
        line_points={str(line): share for line, share in points.by_line.items()},
        details=earn_details(order, points),
    )


def earn_details(order: commerce.OrderFacts, points: earning.OrderPoints) -> dict[str, Any]:
    """The details of an order's earning (both lanes write the same): the explanation, and for an order
    edited before it earned, the revision its lines are at (``order_edits`` adjusts later ones only)."""
    details: dict[str, Any] = {"explanation": list(points.explanation)}
    if order.revision:
        details["revision"] = order.revision
    return details


def earn_description(order: commerce.OrderFacts, points: int, pending_until: datetime | None) -> str:
    """The history line of an order's points (the general path writes the same words)."""
    when = f"pending until {pending_until:%d %b %Y}" if pending_until else "pending until the order arrives"
    return f"Order {order.number} ({format_money(order.total, order.currency)}): {points} points, {when}"


def credit_draft(credit: Credit, terms: LedgerTerms, now: datetime) -> EntryDraft:
    """The ledger entry of one credit, as ``move_points.earn`` would prepare it (and, when its pending
    time has passed, its unlocking at once)."""
    member, points = credit.member, credit.points
    bucket = Account.PENDING if credit.pending else Account.AVAILABLE
    earned = min(credit.earned_at, now)
    due = credit.pending and credit.pending_until is not None and credit.pending_until <= now
    return EntryDraft(
        member=member,
        kind="earn",
        key=credit.key,
        fingerprint=credit.fingerprint,
        postings=[Posting(Account.ISSUED, -points, member=False), Posting(bucket, points, member=True)],
        description=credit.description,
        order_id=credit.order_id,
        details=credit.details,
        new_lot=LotDraft(
            source=credit.source,
            points=points,
            pending=credit.pending,
            earned_at=earned,
            expires_at=lot_expiry(terms.expiry_policy, terms.expiry_amount, earned, terms.timezone),
            pending_until=credit.pending_until,
            order_id=credit.order_id,
            line_points=credit.line_points,
            unlock_description=f"{points} points from your order are now available" if due else None,
        ),
        lifetime_earned=points,
        active_at=earned,
    )


def credit_in_bulk(uow: UnitOfWork, credits: list[Credit], terms: LedgerTerms) -> list[int]:
    """Write every credit (and the unlocking of those already due), in their order, through the ledger's
    writer; returns the credits' entry ids. The caller locked the members and checked that no credit's
    key was used before."""
    credits = [credit for credit in credits if credit.points > 0]
    now = uow.now()
    return post(uow, [credit_draft(credit, terms, now) for credit in credits], keys_checked=True)


def pending_until_of(unlock_from: datetime | None, pending_days: int) -> datetime | None:
    return unlock_from + timedelta(days=pending_days) if unlock_from else None


def unlock_in_bulk(uow: UnitOfWork, lots: list[PointLot], members: dict[int, Member]) -> None:
    """Unlock these pending lots (their members, by id, locked by the caller) as ``move_points.unlock`` would,
    one entry each, through the ledger's writer."""
    from loyaldesk.loyalty.actions.unlock_and_expire import unlock_description

    drafts = []
    for lot in lots:
        if lot.status != "pending":
            raise ValueError(f"lot {lot.id} must be unlocked through the ledger")
        drafts.append(
            EntryDraft(
                member=members[lot.member_id],
                kind="unlock",
                key=f"lot:{lot.id}:unlock",
                fingerprint=request_hash(kind="unlock", lot=lot.id),
                postings=[
                    Posting(Account.PENDING, -lot.remaining, member=True),
                    Posting(Account.AVAILABLE, lot.remaining, member=True),
                ],
                description=unlock_description(lot),
                order_id=lot.order_id,
                unlocks=lot,
            )
        )
    post(uow, drafts, keys_checked=True)
