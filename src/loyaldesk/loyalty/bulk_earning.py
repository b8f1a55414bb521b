"""The fast lane of ``reconcile_orders``: many orders that simply earn, in a handful of statements.

Most order events of a busy store say one thing: "this order reached the earning stage". For those, the
general path (one ledger call per order, each with its own reads, savepoint and flushes) costs a few
milliseconds per order. Here, the same entries, postings, lots, balance changes and ``PointsChanged``
events are computed in Python for the whole batch and written with one bulk insert per table.

An order takes the fast lane only when nothing else can be going on (``fast_lane_reason`` says why
not): it was not earned before, is not cancelled, carries no reward code of ours, buys no membership,
is not a referred friend's order, wins no surprise, and its member is not in debt. Everything else takes
the general path. ``credit_in_bulk`` also credits sign-up rewards in bulk (``handlers``). The two lanes
write exactly the same rows (a test compares them), and the batch runs inside the dispatcher's
transaction with every member of the batch locked first, so the ledger's guarantees (balanced entries,
one outcome per key, no overdraft) are the general path's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from loyaldesk import commerce
from loyaldesk.kernel.bulk import bulk_insert
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.ids import reserve_ids
from loyaldesk.kernel.money import format_money
from loyaldesk.loyalty.events import PointsChanged
from loyaldesk.loyalty.ledger import LedgerTerms, request_hash
from loyaldesk.loyalty.models import LedgerEntry, LedgerPosting, Member, PointLot
from loyaldesk.loyalty.rules import earning
from loyaldesk.loyalty.rules.expiry import lot_expiry
from loyaldesk.loyalty.rules.ledger import Account

SYSTEM_LABEL = "loyaldesk"


@dataclass(frozen=True)
class Credit:
    """Points to credit to a member as a new lot: what ``ledger.earn`` would be asked to do. A pending
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
    """What an order earns, as ``orders._earn`` asks the ledger for it."""
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


def credit_in_bulk(uow: UnitOfWork, credits: list[Credit], terms: LedgerTerms) -> list[int]:
    """Write every credit (and the unlocking of those already due), in their order, updating the members'
    cached balances as the general path would; returns the credits' entry ids. Members must not be in
    debt (the general path settles debts) and must be locked by the caller."""
    credits = [credit for credit in credits if credit.points > 0]
    if not credits:
        return []
    now = uow.now()
    uow.session.flush()  # the ORM's pending rows first: the ids reserved below must follow theirs
    due = sum(
        1 for credit in credits if credit.pending and credit.pending_until and credit.pending_until <= now
    )
    entry_ids = iter(reserve_ids(uow, LedgerEntry.__table__, len(credits) + due))
    lot_ids = iter(reserve_ids(uow, PointLot.__table__, len(credits)))
    entries: list[dict[str, Any]] = []
    postings: list[dict[str, Any]] = []
    lots: list[dict[str, Any]] = []
    credited: list[int] = []
    for credit in credits:
        member, points = credit.member, credit.points
        if member.available_points < 0:
            raise ValueError(f"member {member.id} owes points: credit them through the ledger")
        entry_id, lot_id = next(entry_ids), next(lot_ids)
        credited.append(entry_id)
        bucket = Account.PENDING if credit.pending else Account.AVAILABLE
        description = credit.description[:300]
        entries.append(
            _entry(
                entry_id,
                member,
                kind="earn",
                key=credit.key,
                fingerprint=credit.fingerprint,
                points=points,
                description=description,
                order_id=credit.order_id,
                details=credit.details,
                now=now,
            )
        )
        postings += [
            _posting(entry_id, member, Account.ISSUED, -points, mine=False),
            _posting(entry_id, member, bucket, points, mine=True),
        ]
        if credit.pending:
            member.pending_points += points
        else:
            member.available_points += points
        member.lifetime_earned_points += points
        earned = min(credit.earned_at, now)
        member.last_activity_at = max(member.last_activity_at or earned, earned)
        _announce(uow, member, entry_id, "earn", points, description)
        unlocked = credit.pending and credit.pending_until is not None and credit.pending_until <= now
        if unlocked:
            unlock_id = next(entry_ids)
            entries.append(
                _entry(
                    unlock_id,
                    member,
                    kind="unlock",
                    key=f"lot:{lot_id}:unlock",
                    fingerprint=request_hash(kind="unlock", lot=lot_id),
                    points=0,
                    description=f"{points} points from your order are now available",
                    order_id=credit.order_id,
                    details={},
                    now=now,
                )
            )
            postings += [
                _posting(unlock_id, member, Account.PENDING, -points, mine=True),
                _posting(unlock_id, member, Account.AVAILABLE, points, mine=True),
            ]
            member.pending_points -= points
            member.available_points += points
            _announce(uow, member, unlock_id, "unlock", 0, entries[-1]["description"])
        still_pending = credit.pending and not unlocked
        lots.append(
            {
                "id": lot_id,
                "store_id": member.store_id,
                "member_id": member.id,
                "entry_id": entry_id,
                "order_id": credit.order_id,
                "source": credit.source,
                "points": points,
                "remaining": points,
                "status": "pending" if still_pending else "available",
                "earned_at": earned,
                "pending_until": credit.pending_until if still_pending else None,
                "expires_at": lot_expiry(terms.expiry_policy, terms.expiry_amount, earned, terms.timezone),
                "line_points": credit.line_points,
            }
        )
    bulk_insert(uow, LedgerEntry.__table__, entries)
    bulk_insert(uow, LedgerPosting.__table__, postings)
    bulk_insert(uow, PointLot.__table__, lots)
    return credited


def _entry(
    entry_id: int,
    member: Member,
    *,
    kind: str,
    key: str,
    fingerprint: str,
    points: int,
    description: str,
    order_id: int | None,
    details: dict[str, Any],
    now: datetime,
) -> dict[str, Any]:
    return {
        "id": entry_id,
        "store_id": member.store_id,
        "member_id": member.id,
        "kind": kind,
        "idempotency_key": key,
        "request_hash": fingerprint,
        "points": points,
        "description": description,
        "reason_code": None,
        "order_id": order_id,
        "reward_code_id": None,
        "actor_label": SYSTEM_LABEL,
        "details": details,
        "created_at": now,
    }


def _posting(entry_id: int, member: Member, account: Account, amount: int, *, mine: bool) -> dict[str, Any]:
    return {
        "entry_id": entry_id,
        "store_id": member.store_id,
        "member_id": member.id if mine else None,
        "account": account.value,
        "amount": amount,
    }


def _announce(
    uow: UnitOfWork, member: Member, entry_id: int, kind: str, points: int, description: str
) -> None:
    uow.emit(
        PointsChanged(
            store_id=member.store_id,
            customer_id=member.customer_id,
            member_id=member.id,
            entry_id=entry_id,
            kind=kind,
            points=points,
            available=member.available_points,
            pending=member.pending_points,
            description=description,
        )
    )


def pending_until_of(unlock_from: datetime | None, pending_days: int) -> datetime | None:
    return unlock_from + timedelta(days=pending_days) if unlock_from else None


def unlock_in_bulk(uow: UnitOfWork, lots: list[PointLot], members: dict[int, Member]) -> None:
    """Unlock these pending lots (their members, by id, locked by the caller and not in debt) as
    ``ledger.unlock`` would, one entry each, in a few statements."""
    if not lots:
        return
    from loyaldesk.loyalty.unlocking import unlock_description

    now = uow.now()
    uow.session.flush()
    entry_ids = reserve_ids(uow, LedgerEntry.__table__, len(lots))
    entries: list[dict[str, Any]] = []
    postings: list[dict[str, Any]] = []
    for entry_id, lot in zip(entry_ids, lots, strict=True):
        member = members[lot.member_id]
        if member.available_points < 0 or lot.status != "pending":
            raise ValueError(f"lot {lot.id} must be unlocked through the ledger")
        points = lot.remaining
        description = unlock_description(lot)
        entries.append(
            _entry(
                entry_id,
                member,
                kind="unlock",
                key=f"lot:{lot.id}:unlock",
                fingerprint=request_hash(kind="unlock", lot=lot.id),
                points=0,
                description=description,
                order_id=lot.order_id,
                details={},
                now=now,
            )
        )
        postings += [
            _posting(entry_id, member, Account.PENDING, -points, mine=True),
            _posting(entry_id, member, Account.AVAILABLE, points, mine=True),
        ]
        member.pending_points -= points
        member.available_points += points
        lot.status = "available" if points > 0 else "spent"
        lot.pending_until = None
        _announce(uow, member, entry_id, "unlock", 0, description)
    bulk_insert(uow, LedgerEntry.__table__, entries)
    bulk_insert(uow, LedgerPosting.__table__, postings)
