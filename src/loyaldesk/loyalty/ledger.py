"""The points ledger: the only code that writes entries, postings, lots and members' balances.

Contract of every operation here:

* it runs inside the caller's unit of work and writes one entry with postings that sum to zero;
* it carries an idempotency key, unique per store: the same key again returns the first entry unchanged
  (``created`` False); the same key for a different change raises ``Conflict``;
* the member's row is locked first (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite writers are already
  serialised by ``BEGIN IMMEDIATE``), so concurrent spends of one balance cannot overdraw it;
* a member's available balance never goes below zero unless the program allows negative balances;
* the member's cached balances change by exactly the member postings of the entry.

Spending takes points from the oldest lots first. Points arriving on a negative balance pay the debt
first (the new lot starts partly consumed), so that the available lots always add up to the available
balance when it is positive, and to nothing when it is not.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict, Invalid, NotFound
from loyaldesk.loyalty.events import PointsChanged
from loyaldesk.loyalty.models import LedgerEntry, LedgerPosting, LotMovement, Member, PointLot
from loyaldesk.loyalty.rules.expiry import ExpiryPolicy, lot_expiry
from loyaldesk.loyalty.rules.ledger import (
    EARNED_ADJUSTMENT_REASONS,
    Account,
    LotBalance,
    NegativeBalancePolicy,
    Posting,
    balanced,
    debt_settled_by,
    plan_clawback,
    take_oldest_first,
)


class InsufficientPoints(Conflict):
    """The member does not have the points this needs (HTTP 409)."""

    code = "insufficient_points"


@dataclass(frozen=True)
class LedgerTerms:
    """The program settings the ledger needs: expiry and what happens to negative balances."""

    expiry_policy: ExpiryPolicy
    expiry_amount: int
    negative_balance_policy: NegativeBalancePolicy
    timezone: str


@dataclass(frozen=True)
class EntryResult:
    entry: LedgerEntry
    created: bool


def request_hash(**facts: Any) -> str:
    """A fingerprint of what an entry is meant to do, to refuse a reused key with other facts."""
    return hashlib.sha256(json.dumps(facts, sort_keys=True, default=str).encode()).hexdigest()


def lock_member(uow: UnitOfWork, member_id: int) -> Member:
    query = select(Member).where(Member.id == member_id).execution_options(populate_existing=True)
    if uow.is_postgresql:
        query = query.with_for_update()
    member = uow.session.scalar(query)
    if member is None:
        raise NotFound(f"no member {member_id}")
    return member


def find_entry(uow: UnitOfWork, store_id: int, key: str) -> LedgerEntry | None:
    return uow.session.scalar(
        select(LedgerEntry).where(LedgerEntry.store_id == store_id, LedgerEntry.idempotency_key == key)
    )


def _replay(uow: UnitOfWork, store_id: int, key: str, fingerprint: str) -> EntryResult | None:
    if not key or len(key) > 200:
        raise Invalid.field("idempotency_key", "give a key of 1-200 characters")
    existing = find_entry(uow, store_id, key)
    if existing is None:
        return None
    if existing.request_hash != fingerprint:
        raise Conflict(f"the idempotency key {key!r} was already used for a different change")
    return EntryResult(existing, created=False)


def _post(
    uow: UnitOfWork,
    member: Member,
    *,
    kind: str,
    key: str,
    fingerprint: str,
    postings: list[Posting],
    description: str,
    terms: LedgerTerms,
    reason_code: str | None = None,
    order_id: int | None = None,
    reward_code_id: int | None = None,
    actor_label: str = "loyaldesk",
    details: dict[str, Any] | None = None,
) -> LedgerEntry:
    if not balanced(postings):
        raise AssertionError(f"unbalanced entry {kind}: {postings}")
    member_delta = {Account.AVAILABLE: 0, Account.PENDING: 0}
    for posting in postings:
        if posting.member:
            member_delta[posting.account] += posting.amount
    new_available = member.available_points + member_delta[Account.AVAILABLE]
    if (
        new_available < 0
        and member_delta[Account.AVAILABLE] < 0
        and terms.negative_balance_policy != NegativeBalancePolicy.ALLOW_NEGATIVE
    ):
        raise InsufficientPoints(f"only {member.available_points} points are available")
    entry = LedgerEntry(
        store_id=member.store_id,
        member_id=member.id,
        kind=kind,
        idempotency_key=key,
        request_hash=fingerprint,
        points=member_delta[Account.AVAILABLE] + member_delta[Account.PENDING],
        description=description[:300],
        reason_code=reason_code,
        order_id=order_id,
        reward_code_id=reward_code_id,
        actor_label=actor_label[:320],
        details=details or {},
        created_at=uow.now(),
    )
    savepoint = uow.session.begin_nested()
    uow.session.add(entry)
    try:
        savepoint.commit()
    except IntegrityError:
        savepoint.rollback()
        raise Conflict(f"the idempotency key {key!r} was used by a concurrent change; retry") from None
    uow.session.add_all(
        LedgerPosting(
            entry_id=entry.id,
            store_id=member.store_id,
            member_id=member.id if posting.member else None,
            account=posting.account.value,
            amount=posting.amount,
        )
        for posting in postings
    )
    member.available_points = new_available
    member.pending_points += member_delta[Account.PENDING]
    uow.emit(
        PointsChanged(
            store_id=member.store_id,
            customer_id=member.customer_id,
            member_id=member.id,
            entry_id=entry.id,
            kind=kind,
            points=entry.points,
            available=member.available_points,
            pending=member.pending_points,
            description=entry.description,
        )
    )
    return entry


def _settle_debt(uow: UnitOfWork, lot: PointLot, entry: LedgerEntry, available_before: int) -> None:
    """Points arriving on a negative balance pay the debt first: consume them from the new lot."""
    paid = debt_settled_by(available_before, lot.remaining)
    if paid:
        lot.remaining -= paid
        lot.status = "spent" if lot.remaining == 0 else lot.status
        uow.session.add(LotMovement(lot_id=lot.id, entry_id=entry.id, points=-paid, kind="debt"))


def _new_lot(
    uow: UnitOfWork,
    member: Member,
    entry: LedgerEntry,
    *,
    points: int,
    source: str,
    pending: bool,
    earned_at: datetime,
    terms: LedgerTerms,
    pending_until: datetime | None = None,
    order_id: int | None = None,
    line_points: dict[str, int] | None = None,
) -> PointLot:
    lot = PointLot(
        store_id=member.store_id,
        member_id=member.id,
        entry_id=entry.id,
        order_id=order_id,
        source=source,
        points=points,
        remaining=points,
        status="pending" if pending else "available",
        earned_at=earned_at,
        pending_until=pending_until if pending else None,
        expires_at=lot_expiry(terms.expiry_policy, terms.expiry_amount, earned_at, terms.timezone),
        line_points=line_points or {},
    )
    uow.session.add(lot)
    uow.session.flush()
    return lot


def earn(
    uow: UnitOfWork,
    member: Member,
    terms: LedgerTerms,
    *,
    points: int,
    key: str,
    description: str,
    source: str,
    pending: bool = False,
    pending_until: datetime | None = None,
    order_id: int | None = None,
    line_points: dict[str, int] | None = None,
    account: Account = Account.ISSUED,
    reason_code: str | None = None,
    actor_label: str = "loyaldesk",
    details: dict[str, Any] | None = None,
    earned_at: datetime | None = None,
) -> EntryResult:
    """Credit ``points`` to the member, pending or available, as a new lot.

    ``earned_at`` (default now; never later than now) dates the lot, from which its expiry is counted:
    points for an order imported a year late expire as if earned when the order was paid.
    """
    if points <= 0:
        raise Invalid.field("points", "must be a positive number of points")
    fingerprint = request_hash(kind="earn", member=member.id, points=points, source=source, order=order_id)
    member = lock_member(uow, member.id)  # first: a retry racing the original waits for it here
    replay = _replay(uow, member.store_id, key, fingerprint)
    if replay is not None:
        return replay
    available_before = member.available_points
    bucket = Account.PENDING if pending else Account.AVAILABLE
    entry = _post(
        uow,
        member,
        kind="earn" if account == Account.ISSUED else "adjust",
        key=key,
        fingerprint=fingerprint,
        postings=[Posting(account, -points, member=False), Posting(bucket, points, member=True)],
        description=description,
        terms=terms,
        reason_code=reason_code,
        order_id=order_id,
        actor_label=actor_label,
        details=details,
    )
    now = uow.now()
    earned = min(earned_at, now) if earned_at else now
    lot = _new_lot(
        uow,
        member,
        entry,
        points=points,
        source=source,
        pending=pending,
        earned_at=earned,
        terms=terms,
        pending_until=pending_until,
        order_id=order_id,
        line_points=line_points,
    )
    if not pending:
        _settle_debt(uow, lot, entry, available_before)
    if account == Account.ISSUED or reason_code in EARNED_ADJUSTMENT_REASONS:
        member.lifetime_earned_points += points  # goodwill is earned too (see EARNED_ADJUSTMENT_REASONS)
    member.last_activity_at = max(member.last_activity_at or earned, earned)
    return EntryResult(entry, created=True)


def unlock(uow: UnitOfWork, lot: PointLot, terms: LedgerTerms, *, key: str, description: str) -> EntryResult:
    """Make a pending lot's remaining points available."""
    fingerprint = request_hash(kind="unlock", lot=lot.id)
    member = lock_member(uow, lot.member_id)
    replay = _replay(uow, lot.store_id, key, fingerprint)
    if replay is not None:
        return replay
    lot = uow.session.get(PointLot, lot.id, populate_existing=True) or lot
    if lot.status != "pending":
        raise Conflict(f"lot {lot.id} is {lot.status}, not pending")
    points = lot.remaining
    available_before = member.available_points
    entry = _post(
        uow,
        member,
        kind="unlock",
        key=key,
        fingerprint=fingerprint,
        postings=[
            Posting(Account.PENDING, -points, member=True),
            Posting(Account.AVAILABLE, points, member=True),
        ],
        description=description,
        terms=terms,
        order_id=lot.order_id,
    )
    lot.status = "available" if lot.remaining > 0 else "spent"
    lot.pending_until = None
    _settle_debt(uow, lot, entry, available_before)
    return EntryResult(entry, created=True)


def _available_lots(uow: UnitOfWork, member_id: int, excluding: int | None = None) -> list[PointLot]:
    query = select(PointLot).where(
        PointLot.member_id == member_id, PointLot.status == "available", PointLot.remaining > 0
    )
    if excluding is not None:
        query = query.where(PointLot.id != excluding)
    return list(uow.session.scalars(query.order_by(PointLot.id)))


def _consume(uow: UnitOfWork, lots: list[PointLot], points: int, entry: LedgerEntry, kind: str) -> int:
    """Take ``points`` from ``lots`` oldest first; returns what the lots could not cover."""
    by_id = {lot.id: lot for lot in lots}
    takes, shortfall = take_oldest_first([LotBalance(lot.id, lot.remaining) for lot in lots], points)
    for lot_id, taken in takes:
        lot = by_id[lot_id]
        lot.remaining -= taken
        if lot.remaining == 0:
            lot.status = "spent" if kind != "expire" else "expired"
        uow.session.add(LotMovement(lot_id=lot_id, entry_id=entry.id, points=-taken, kind=kind))
    return shortfall


def spend(
    uow: UnitOfWork,
    member: Member,
    terms: LedgerTerms,
    *,
    points: int,
    key: str,
    description: str,
    account: Account = Account.REDEEMED,
    reward_code_id: int | None = None,
    reason_code: str | None = None,
    actor_label: str = "loyaldesk",
    details: dict[str, Any] | None = None,
    locked: bool = False,
) -> EntryResult:
    """Debit ``points`` from the available balance, oldest lots first. ``InsufficientPoints`` if short
    (manual adjustments may overdraw only when the program allows negative balances). ``locked``: the
    caller has already locked ``member`` (``lock_member``) and found no entry with ``key``."""
    if points <= 0:
        raise Invalid.field("points", "must be a positive number of points")
    fingerprint = request_hash(
        kind="spend",
        member=member.id,
        points=points,
        account=account.value,
        reward_code=reward_code_id,
        reason=reason_code,
    )
    if not locked:
        member = lock_member(uow, member.id)  # first: a retry racing the original waits for it here
        replay = _replay(uow, member.store_id, key, fingerprint)
        if replay is not None:
            return replay
    may_overdraw = (
        account == Account.ADJUSTMENT
        and terms.negative_balance_policy == NegativeBalancePolicy.ALLOW_NEGATIVE
    )
    if member.available_points < points and not may_overdraw:
        raise InsufficientPoints(
            f"{points} points are needed but only {member.available_points} are available"
        )
    effective = LedgerTerms(
        terms.expiry_policy,
        terms.expiry_amount,
        NegativeBalancePolicy.ALLOW_NEGATIVE if may_overdraw else NegativeBalancePolicy.FLOOR_AT_ZERO,
        terms.timezone,
    )
    entry = _post(
        uow,
        member,
        kind="redeem" if account == Account.REDEEMED else "adjust",
        key=key,
        fingerprint=fingerprint,
        postings=[Posting(Account.AVAILABLE, -points, member=True), Posting(account, points, member=False)],
        description=description,
        terms=effective,
        reward_code_id=reward_code_id,
        reason_code=reason_code,
        actor_label=actor_label,
        details=details,
    )
    _consume(uow, _available_lots(uow, member.id), points, entry, "spend")
    if account == Account.REDEEMED:
        member.lifetime_redeemed_points += points
    member.last_activity_at = uow.now()
    return EntryResult(entry, created=True)


def return_points(
    uow: UnitOfWork,
    member: Member,
    terms: LedgerTerms,
    *,
    points: int,
    key: str,
    description: str,
    reward_code_id: int | None = None,
    order_id: int | None = None,
) -> EntryResult:
    """Give redeemed points back (a cancelled reward code): a new available lot, expiring per policy."""
    if points <= 0:
        raise Invalid.field("points", "must be a positive number of points")
    fingerprint = request_hash(kind="return", member=member.id, points=points, reward_code=reward_code_id)
    member = lock_member(uow, member.id)  # first: a retry racing the original waits for it here
    replay = _replay(uow, member.store_id, key, fingerprint)
    if replay is not None:
        return replay
    available_before = member.available_points
    entry = _post(
        uow,
        member,
        kind="return",
        key=key,
        fingerprint=fingerprint,
        postings=[
            Posting(Account.REDEEMED, -points, member=False),
            Posting(Account.AVAILABLE, points, member=True),
        ],
        description=description,
        terms=terms,
        reward_code_id=reward_code_id,
        order_id=order_id,
    )
    lot = _new_lot(
        uow, member, entry, points=points, source="returned", pending=False, earned_at=uow.now(), terms=terms
    )
    _settle_debt(uow, lot, entry, available_before)
    member.lifetime_redeemed_points -= points
    return EntryResult(entry, created=True)


def expire(
    uow: UnitOfWork, member: Member, terms: LedgerTerms, lots: list[PointLot], *, key: str, description: str
) -> EntryResult | None:
    """Expire what is left of ``lots`` (available ones). Returns None when nothing was left to expire."""
    fingerprint = request_hash(kind="expire", member=member.id, lots=sorted(lot.id for lot in lots))
    member = lock_member(uow, member.id)  # first: a retry racing the original waits for it here
    replay = _replay(uow, member.store_id, key, fingerprint)
    if replay is not None:
        return replay
    fresh = [uow.session.get(PointLot, lot.id, populate_existing=True) or lot for lot in lots]
    live = [lot for lot in fresh if lot.status == "available" and lot.remaining > 0]
    points = sum(lot.remaining for lot in live)
    if points == 0:
        return None
    entry = _post(
        uow,
        member,
        kind="expire",
        key=key,
        fingerprint=fingerprint,
        postings=[
            Posting(Account.AVAILABLE, -points, member=True),
            Posting(Account.EXPIRED, points, member=False),
        ],
        description=description,
        terms=terms,
    )
    _consume(uow, live, points, entry, "expire")
    for lot in live:
        lot.status = "expired"
    return EntryResult(entry, created=True)


def reverse_order_points(
    uow: UnitOfWork,
    member: Member,
    terms: LedgerTerms,
    *,
    order_id: int,
    points: int,
    key: str,
    description: str,
    kind: str = "reverse",
    details: dict[str, Any] | None = None,
) -> EntryResult | None:
    """Take back ``points`` earned on an order: from the order's own lots first (pending or still
    available), then, for points already spent, from the member's balance (down to zero, or below when
    the program allows negative balances); whatever cannot be recovered is written off."""
    if points <= 0:
        return None
    fingerprint = request_hash(kind=kind, member=member.id, order=order_id, points=points)
    member = lock_member(uow, member.id)  # first: a retry racing the original waits for it here
    replay = _replay(uow, member.store_id, key, fingerprint)
    if replay is not None:
        return replay
    order_lots = list(
        uow.session.scalars(
            select(PointLot)
            .where(
                PointLot.member_id == member.id,
                PointLot.order_id == order_id,
                PointLot.source == "order",
                PointLot.status.in_(("pending", "available")),
                PointLot.remaining > 0,
            )
            .order_by(PointLot.id)
            .execution_options(populate_existing=True)
        )
    )
    in_lots = sum(lot.remaining for lot in order_lots)
    # What the member holds outside this order's own available lots (those are reversed first).
    elsewhere = member.available_points - sum(
        lot.remaining for lot in order_lots if lot.status == "available"
    )
    plan = plan_clawback(points, in_lots, elsewhere, terms.negative_balance_policy)
    postings: list[Posting] = []
    from_pending = from_available_lot = 0
    left = plan.from_lot
    for lot in order_lots:  # how much of plan.from_lot comes out of pending vs available lots
        take = min(lot.remaining, left)
        left -= take
        if lot.status == "pending":
            from_pending += take
        else:
            from_available_lot += take
    if from_pending:
        postings.append(Posting(Account.PENDING, -from_pending, member=True))
    available_out = from_available_lot + plan.from_balance
    if available_out:
        postings.append(Posting(Account.AVAILABLE, -available_out, member=True))
    postings.append(Posting(Account.ISSUED, points, member=False))
    if plan.written_off:
        postings.append(Posting(Account.WRITTEN_OFF, -plan.written_off, member=False))
    entry = _post(
        uow,
        member,
        kind=kind,
        key=key,
        fingerprint=fingerprint,
        postings=postings,
        description=description,
        terms=LedgerTerms(
            terms.expiry_policy, terms.expiry_amount, NegativeBalancePolicy.ALLOW_NEGATIVE, terms.timezone
        ),
        order_id=order_id,
        details={**(details or {}), "written_off": plan.written_off},
    )
    _consume_from_order_lots(uow, order_lots, plan.from_lot, entry)
    if plan.from_balance:
        _consume(uow, _available_lots(uow, member.id), plan.from_balance, entry, "clawback")
    member.lifetime_earned_points -= points
    return EntryResult(entry, created=True)


def _consume_from_order_lots(uow: UnitOfWork, lots: list[PointLot], points: int, entry: LedgerEntry) -> None:
    left = points
    for lot in lots:
        take = min(lot.remaining, left)
        if take <= 0:
            continue
        left -= take
        lot.remaining -= take
        if lot.remaining == 0:
            lot.status = "reversed"
        uow.session.add(LotMovement(lot_id=lot.id, entry_id=entry.id, points=-take, kind="reverse"))
