"""The points ledger's operations: earn, unlock, spend, give back, expire and take back points.

Contract of every operation here:

* it runs inside the caller's unit of work and prepares one entry that ``post_entries.post`` writes (the
  ledger's one writer: postings that sum to zero, balances that follow them, lots);
* it carries an idempotency key, unique per store: the same key again returns the first entry unchanged
  (``created`` False); the same key for a different change raises ``Conflict``;
* the member's row is locked first (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite writers are already
  serialised by ``BEGIN IMMEDIATE``), so concurrent spends of one balance cannot overdraw it;
* a member's available balance never goes below zero unless the program allows negative balances.

Spending takes points from the oldest lots first. Points arriving on a negative balance pay the debt
first (the new lot starts partly consumed), so that the available lots always add up to the available
balance when it is positive, and to nothing when it is not.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict, Invalid
from loyaldesk.loyalty.actions.lot_rows import LotRow, available_lot_rows
from loyaldesk.loyalty.actions.post_entries import (
    EntryDraft,
    EntryResult,
    InsufficientPoints,
    LedgerTerms,
    LotDraft,
    LotTake,
    find_entry,
    lock_member,
    post,
    replay,
    request_hash,
)
from loyaldesk.loyalty.models import LedgerEntry, Member, PointLot
from loyaldesk.loyalty.rules.expiry import lot_expiry
from loyaldesk.loyalty.rules.ledger import (
    EARNED_ADJUSTMENT_REASONS,
    Account,
    LotBalance,
    NegativeBalancePolicy,
    Posting,
    plan_clawback,
    take_oldest_first,
)

__all__ = [
    "EntryResult",
    "InsufficientPoints",
    "LedgerTerms",
    "available_lots_of",
    "earn",
    "expire",
    "find_entry",
    "lock_member",
    "lock_members",
    "request_hash",
    "return_points",
    "reverse_order_points",
    "spend",
    "spend_draft",
    "unlock",
]


def lock_members(uow: UnitOfWork, member_ids: list[int]) -> dict[int, Member]:
    """The rows of ``member_ids`` that exist, locked for this transaction in id order (``FOR UPDATE`` on
    PostgreSQL, so that two batches never deadlock; SQLite writers are serialised by ``BEGIN IMMEDIATE``)
    and freshly read: ``lock_member`` for many members in one statement."""
    query = (
        select(Member)
        .where(Member.id.in_(sorted(set(member_ids))))
        .order_by(Member.id)
        .execution_options(populate_existing=True)
    )
    if uow.is_postgresql:
        query = query.with_for_update()
    return {member.id: member for member in uow.session.scalars(query)}


def _posted(uow: UnitOfWork, draft: EntryDraft) -> EntryResult:
    (entry_id,) = post(uow, [draft])
    entry = uow.session.get(LedgerEntry, entry_id)
    assert entry is not None
    return EntryResult(entry, created=True)


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
    replayed = replay(uow, member.store_id, key, fingerprint)
    if replayed is not None:
        return replayed
    now = uow.now()
    earned = min(earned_at, now) if earned_at else now
    bucket = Account.PENDING if pending else Account.AVAILABLE
    counts_as_earned = account == Account.ISSUED or reason_code in EARNED_ADJUSTMENT_REASONS
    return _posted(
        uow,
        EntryDraft(
            member=member,
            kind="earn" if account == Account.ISSUED else "adjust",
            key=key,
            fingerprint=fingerprint,
            postings=[Posting(account, -points, member=False), Posting(bucket, points, member=True)],
            description=description,
            may_overdraw=terms.negative_balance_policy == NegativeBalancePolicy.ALLOW_NEGATIVE,
            reason_code=reason_code,
            order_id=order_id,
            actor_label=actor_label,
            details=details or {},
            new_lot=LotDraft(
                source=source,
                points=points,
                pending=pending,
                earned_at=earned,
                expires_at=lot_expiry(terms.expiry_policy, terms.expiry_amount, earned, terms.timezone),
                pending_until=pending_until,
                order_id=order_id,
                line_points=line_points or {},
            ),
            # goodwill is earned too (see EARNED_ADJUSTMENT_REASONS)
            lifetime_earned=points if counts_as_earned else 0,
            active_at=earned,
        ),
    )


def unlock(uow: UnitOfWork, lot: PointLot, terms: LedgerTerms, *, key: str, description: str) -> EntryResult:
    """Make a pending lot's remaining points available."""
    fingerprint = request_hash(kind="unlock", lot=lot.id)
    member = lock_member(uow, lot.member_id)
    replayed = replay(uow, lot.store_id, key, fingerprint)
    if replayed is not None:
        return replayed
    lot = uow.session.get(PointLot, lot.id, populate_existing=True) or lot
    if lot.status != "pending":
        raise Conflict(f"lot {lot.id} is {lot.status}, not pending")
    points = lot.remaining
    return _posted(
        uow,
        EntryDraft(
            member=member,
            kind="unlock",
            key=key,
            fingerprint=fingerprint,
            postings=[
                Posting(Account.PENDING, -points, member=True),
                Posting(Account.AVAILABLE, points, member=True),
            ],
            description=description,
            may_overdraw=terms.negative_balance_policy == NegativeBalancePolicy.ALLOW_NEGATIVE,
            order_id=lot.order_id,
            unlocks=lot,
        ),
    )


def available_lots_of(uow: UnitOfWork, member_ids: list[int]) -> dict[int, list[LotRow]]:
    """The available lots with points left of each of ``member_ids``, oldest first, as ``LotRow``s (one
    query; the members are locked by the caller). Members without any map to an empty list."""
    return available_lot_rows(uow, member_ids)


def oldest_first(lots: Sequence[PointLot | LotRow], points: int, kind: str) -> list[LotTake]:
    """What taking ``points`` from ``lots`` (oldest first) takes; short lots are simply emptied."""
    by_id = {lot.id: lot for lot in lots}
    takes, _shortfall = take_oldest_first([LotBalance(lot.id, lot.remaining) for lot in lots], points)
    emptied = "expired" if kind == "expire" else "spent"
    return [LotTake(by_id[lot_id], taken, kind, emptied) for lot_id, taken in takes]


def spend_fingerprint(
    member_id: int,
    points: int,
    account: Account = Account.REDEEMED,
    reward_code_id: int | None = None,
    reason_code: str | None = None,
) -> str:
    """What a spend's idempotency key stands for (see ``replay``)."""
    return request_hash(
        kind="spend",
        member=member_id,
        points=points,
        account=account.value,
        reward_code=reward_code_id,
        reason=reason_code,
    )


def spend_draft(
    member: Member,
    lots: Sequence[PointLot | LotRow],
    *,
    points: int,
    key: str,
    description: str,
    now: datetime,
    taken: dict[int, int] | None = None,
    account: Account = Account.REDEEMED,
    may_overdraw: bool = False,
    reward_code_id: int | None = None,
    reason_code: str | None = None,
    actor_label: str = "loyaldesk",
    details: dict[str, Any] | None = None,
) -> EntryDraft:
    """The entry that debits ``points`` from ``member``'s available balance, oldest of ``lots`` first.

    No I/O and no balance check: the caller has locked the member, found no entry with ``key``, and made
    sure the balance covers ``points`` unless ``may_overdraw``. ``taken`` (lot id -> points) says what
    drafts prepared earlier in the same ``post`` already take from these lots; it is updated with this
    draft's takes, so that several spends of one member in one batch never take the same points twice.
    """
    already = taken if taken is not None else {}
    balances = [LotBalance(lot.id, lot.remaining - already.get(lot.id, 0)) for lot in lots]
    by_id = {lot.id: lot for lot in lots}
    takes, _shortfall = take_oldest_first(balances, points)
    for lot_id, amount in takes:
        already[lot_id] = already.get(lot_id, 0) + amount
    return EntryDraft(
        member=member,
        kind="redeem" if account == Account.REDEEMED else "adjust",
        key=key,
        fingerprint=spend_fingerprint(member.id, points, account, reward_code_id, reason_code),
        postings=[
            Posting(Account.AVAILABLE, -points, member=True),
            Posting(account, points, member=False),
        ],
        description=description,
        may_overdraw=may_overdraw,
        reward_code_id=reward_code_id,
        reason_code=reason_code,
        actor_label=actor_label,
        details=details or {},
        takes=[LotTake(by_id[lot_id], amount, "spend", "spent") for lot_id, amount in takes],
        lifetime_redeemed=points if account == Account.REDEEMED else 0,
        active_at=now,
    )


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
) -> EntryResult:
    """Debit ``points`` from the available balance, oldest lots first. ``InsufficientPoints`` if short
    (manual adjustments may overdraw only when the program allows negative balances). Redemptions of
    rewards prepare the same entry with ``spend_draft``, several members at a time."""
    if points <= 0:
        raise Invalid.field("points", "must be a positive number of points")
    fingerprint = spend_fingerprint(member.id, points, account, reward_code_id, reason_code)
    member = lock_member(uow, member.id)  # first: a retry racing the original waits for it here
    replayed = replay(uow, member.store_id, key, fingerprint)
    if replayed is not None:
        return replayed
    may_overdraw = (
        account == Account.ADJUSTMENT
        and terms.negative_balance_policy == NegativeBalancePolicy.ALLOW_NEGATIVE
    )
    if member.available_points < points and not may_overdraw:
        raise InsufficientPoints(
            f"{points} points are needed but only {member.available_points} are available"
        )
    draft = spend_draft(
        member,
        available_lots_of(uow, [member.id])[member.id],
        points=points,
        key=key,
        description=description,
        now=uow.now(),
        account=account,
        may_overdraw=may_overdraw,
        reward_code_id=reward_code_id,
        reason_code=reason_code,
        actor_label=actor_label,
        details=details,
    )
    return _posted(uow, draft)


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
    replayed = replay(uow, member.store_id, key, fingerprint)
    if replayed is not None:
        return replayed
    now = uow.now()
    return _posted(
        uow,
        EntryDraft(
            member=member,
            kind="return",
            key=key,
            fingerprint=fingerprint,
            postings=[
                Posting(Account.REDEEMED, -points, member=False),
                Posting(Account.AVAILABLE, points, member=True),
            ],
            description=description,
            may_overdraw=terms.negative_balance_policy == NegativeBalancePolicy.ALLOW_NEGATIVE,
            reward_code_id=reward_code_id,
            order_id=order_id,
            new_lot=LotDraft(
                source="returned",
                points=points,
                pending=False,
                earned_at=now,
                expires_at=lot_expiry(terms.expiry_policy, terms.expiry_amount, now, terms.timezone),
                order_id=order_id,
            ),
            lifetime_redeemed=-points,
        ),
    )


def expire(
    uow: UnitOfWork, member: Member, terms: LedgerTerms, lots: list[PointLot], *, key: str, description: str
) -> EntryResult | None:
    """Expire what is left of ``lots`` (available ones). Returns None when nothing was left to expire."""
    fingerprint = request_hash(kind="expire", member=member.id, lots=sorted(lot.id for lot in lots))
    member = lock_member(uow, member.id)  # first: a retry racing the original waits for it here
    replayed = replay(uow, member.store_id, key, fingerprint)
    if replayed is not None:
        return replayed
    fresh = [uow.session.get(PointLot, lot.id, populate_existing=True) or lot for lot in lots]
    live = [lot for lot in fresh if lot.status == "available" and lot.remaining > 0]
    draft = expiry_draft(member, live, key=key, fingerprint=fingerprint, description=description)
    if draft is None:
        return None
    return _posted(uow, draft)


def expiry_draft(
    member: Member, lots: list[PointLot], *, key: str, fingerprint: str, description: str
) -> EntryDraft | None:
    """The entry that expires all that is left of ``lots`` (available, the member's), or None if nothing
    is left; the expiry job prepares its batches with it too."""
    points = sum(lot.remaining for lot in lots)
    if points == 0:
        return None
    return EntryDraft(
        member=member,
        kind="expire",
        key=key,
        fingerprint=fingerprint,
        postings=[
            Posting(Account.AVAILABLE, -points, member=True),
            Posting(Account.EXPIRED, points, member=False),
        ],
        description=description,
        may_overdraw=True,  # the lots hold the points: the balance cannot go below what they leave
        takes=[LotTake(lot, lot.remaining, "expire", "expired") for lot in lots],
    )


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
    replayed = replay(uow, member.store_id, key, fingerprint)
    if replayed is not None:
        return replayed
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
    takes: list[LotTake] = []
    from_pending = from_available_lot = 0
    left = plan.from_lot
    for lot in order_lots:  # how much of plan.from_lot comes out of pending vs available lots
        take = min(lot.remaining, left)
        if take <= 0:
            continue
        left -= take
        takes.append(LotTake(lot, take, "reverse", "reversed"))
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
    if plan.from_balance:
        reversed_ids = {take.lot.id for take in takes}
        # The lots the clawback may take from, as they will be once the order's lots are reversed.
        others = [lot for lot in available_lots_of(uow, [member.id])[member.id] if lot.id not in reversed_ids]
        takes += oldest_first(others, plan.from_balance, "clawback")
    return _posted(
        uow,
        EntryDraft(
            member=member,
            kind=kind,
            key=key,
            fingerprint=fingerprint,
            postings=postings,
            description=description,
            may_overdraw=True,
            order_id=order_id,
            details={**(details or {}), "written_off": plan.written_off},
            takes=takes,
            lifetime_earned=-points,
        ),
    )
