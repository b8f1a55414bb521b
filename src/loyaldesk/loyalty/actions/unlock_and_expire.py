"""Pending points becoming available after the return window, and points running out (expiry).

Both run as scheduled jobs (``loyaldesk worker`` or the server's background runner), in batches, each lot
or member with its own idempotency key, so that two workers or a retry never do it twice.

Expiry catches up with everything due at once: ``catch_up_expiry`` expires due lots a bounded batch per
transaction (``EXPIRY_BATCH``) and goes on until none is left, so that the points of a long downtime, a
changed policy or a big import expire within a run instead of 500 lots every five minutes; each batch is
written in a handful of bulk statements (``expire_due_lots``), the same rows ``move_points.expire`` writes.
A lot that unlocks after its expiry date expires in the same transaction: it is never spendable.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from loyaldesk.kernel.db import Database, UnitOfWork
from loyaldesk.loyalty.actions import move_points as ledger
from loyaldesk.loyalty.actions.earn_in_bulk import unlock_in_bulk
from loyaldesk.loyalty.actions.move_points import LedgerTerms, request_hash
from loyaldesk.loyalty.actions.post_entries import post
from loyaldesk.loyalty.models import LedgerEntry, Member, PointLot, Referral
from loyaldesk.loyalty.program import ensure_program, terms_of
from loyaldesk.loyalty.rules.expiry import ExpiryPolicy, inactivity_deadline
from loyaldesk.stores import store_by_id

BATCH = 500
# Lots expired per transaction: large enough that catching up with 20,000 lots takes ten transactions,
# small enough that no transaction holds the writer for more than a moment.
EXPIRY_BATCH = 2000


def unlock_description(lot: PointLot) -> str:
    """The history line of an unlocking (the fast lane writes the same words)."""
    if lot.order_id is None:
        return f"{lot.remaining} points are now available"
    return f"{lot.remaining} points from your order are now available"


def unlock_lot(uow: UnitOfWork, terms: LedgerTerms, lot: PointLot) -> None:
    """Unlock one pending lot now, and tell referrals that this order's points are in."""
    ledger.unlock(uow, lot, terms, key=f"lot:{lot.id}:unlock", description=unlock_description(lot))
    if lot.order_id is not None:
        from loyaldesk.loyalty.actions.reward_referrals import on_order_points_unlocked

        on_order_points_unlocked(uow, lot.store_id, lot.member_id, lot.order_id)


def _terms(uow: UnitOfWork, cache: dict[int, LedgerTerms], store_id: int) -> LedgerTerms:
    if store_id not in cache:
        cache[store_id] = terms_of(ensure_program(uow, store_id), store_by_id(uow.session, store_id).timezone)
    return cache[store_id]


def unlock_due_lots(uow: UnitOfWork) -> int:
    """Unlock pending lots whose return window has passed. Returns how many were unlocked."""
    query = (
        select(PointLot)
        .where(
            PointLot.status == "pending",
            PointLot.pending_until.is_not(None),
            PointLot.pending_until <= uow.now(),
        )
        .order_by(PointLot.id)
        .limit(BATCH)
    )
    if uow.is_postgresql:
        query = query.with_for_update(skip_locked=True)
    terms: dict[int, LedgerTerms] = {}
    lots = list(uow.session.scalars(query))
    members = _lock_members(uow, {lot.member_id for lot in lots})
    qualifying = _qualifying_orders(uow, {lot.order_id for lot in lots if lot.order_id is not None})
    simple = [lot for lot in lots if bulk_unlock_refusal(lot, members[lot.member_id], qualifying) is None]
    unlock_in_bulk(uow, simple, members)
    for lot in lots:
        if lot.status == "pending":
            unlock_lot(uow, _terms(uow, terms, lot.store_id), lot)
    # Unlocked after their expiry date (an order delivered very late): they expire now, before anyone
    # could spend them.
    late = {lot.id for lot in lots if lot.expires_at is not None and lot.expires_at <= uow.now()}
    if late:
        uow.session.flush()
        expire_due_lots(uow, len(late), only_lots=late)
    return len(lots)


def bulk_unlock_refusal(lot: PointLot, member: Member, qualifying_orders: set[int]) -> str | None:
    """Why this lot must be unlocked through the ledger one by one, or None when it can go in bulk."""
    if member.available_points < 0:
        return "the member owes points"
    if lot.order_id in qualifying_orders:
        return "its order qualifies a referral"
    return None


def _lock_members(uow: UnitOfWork, member_ids: set[int]) -> dict[int, Member]:
    if not member_ids:
        return {}
    query = (
        select(Member)
        .where(Member.id.in_(sorted(member_ids)))
        .order_by(Member.id)
        .execution_options(populate_existing=True)
    )
    if uow.is_postgresql:
        query = query.with_for_update()
    return {member.id: member for member in uow.session.scalars(query)}


def _qualifying_orders(uow: UnitOfWork, order_ids: set[int]) -> set[int]:
    """Orders whose unlocking rewards a referrer (see ``reward_referrals.on_order_points_unlocked``)."""
    if not order_ids:
        return set()
    return set(
        uow.session.scalars(
            select(Referral.qualified_order_id).where(
                Referral.qualified_order_id.in_(sorted(order_ids)), Referral.status == "qualified"
            )
        )
    )


def catch_up_expiry(database: Database, *, batch: int = EXPIRY_BATCH) -> int:
    """Expire every lot due now, ``batch`` lots per transaction, until none is left. Returns lots
    expired. Several workers may run it at once (PostgreSQL: each batch skips lots another has locked)."""
    total = 0
    while True:
        done = database.write(expire_due_lots, batch)
        total += done
        if done < batch:
            return total


def expire_due_lots(uow: UnitOfWork, limit: int = EXPIRY_BATCH, *, only_lots: set[int] | None = None) -> int:
    """Expire what is left of up to ``limit`` lots past their expiry date (of ``only_lots``, if given),
    one entry per member, written in bulk. Returns the lots expired."""
    query = select(PointLot).where(
        PointLot.status == "available",
        PointLot.expires_at.is_not(None),
        PointLot.expires_at <= uow.now(),
        PointLot.remaining > 0,
    )
    if only_lots is not None:
        query = query.where(PointLot.id.in_(sorted(only_lots)))
    query = query.order_by(PointLot.member_id, PointLot.id).limit(limit)
    if uow.is_postgresql:
        query = query.with_for_update(skip_locked=True)
    by_member: dict[int, list[PointLot]] = {}
    for lot in uow.session.scalars(query):
        by_member.setdefault(lot.member_id, []).append(lot)
    if not by_member:
        return 0
    members = _lock_members(uow, set(by_member))
    keys = {member_id: _expiry_key(member_id, lots) for member_id, lots in by_member.items()}
    done_before = set(
        uow.session.scalars(
            select(LedgerEntry.idempotency_key).where(
                LedgerEntry.store_id.in_(sorted({member.store_id for member in members.values()})),
                LedgerEntry.idempotency_key.in_(sorted(keys.values())),
            )
        )
    )
    simple: dict[int, list[PointLot]] = {}
    terms: dict[int, LedgerTerms] = {}
    for member_id, lots in by_member.items():
        member = members[member_id]
        if keys[member_id] in done_before or member.available_points < sum(lot.remaining for lot in lots):
            # Replays and the unexpected (a balance below its lots) go through the ledger one by one.
            ledger.expire(
                uow,
                member,
                _terms(uow, terms, member.store_id),
                lots,
                key=keys[member_id],
                description=f"{sum(lot.remaining for lot in lots)} points expired",
            )
        else:
            simple[member_id] = lots
    _expire_in_bulk(uow, simple, members)
    return sum(len(lots) for lots in by_member.values())


def _expiry_key(member_id: int, lots: list[PointLot]) -> str:
    return f"expire:{member_id}:{min(lot.id for lot in lots)}-{max(lot.id for lot in lots)}"


def _expire_in_bulk(
    uow: UnitOfWork, by_member: dict[int, list[PointLot]], members: dict[int, Member]
) -> None:
    """Expire each member's lots (all of what is left of them) as ``move_points.expire`` would, for every
    member at once, through the ledger's writer."""
    drafts = []
    for member_id, lots in by_member.items():
        member = members[member_id]
        draft = ledger.expiry_draft(
            member,
            lots,
            key=_expiry_key(member_id, lots),
            fingerprint=request_hash(kind="expire", member=member.id, lots=sorted(lot.id for lot in lots)),
            description=f"{sum(lot.remaining for lot in lots)} points expired",
        )
        if draft is not None:
            drafts.append(draft)
    post(uow, drafts, keys_checked=True)
    uow.session.flush()


def expire_inactive_members(uow: UnitOfWork) -> int:
    """Under the inactivity policy, expire the points of members who did nothing for N months."""
    from loyaldesk.loyalty.models import LoyaltyProgram

    done = 0
    programs = uow.session.scalars(
        select(LoyaltyProgram).where(
            LoyaltyProgram.expiry_policy == ExpiryPolicy.INACTIVITY.value, LoyaltyProgram.enabled.is_(True)
        )
    )
    for program in programs:
        terms = terms_of(program, store_by_id(uow.session, program.store_id).timezone)
        # Months are 28 to 31 days: select everyone quiet for at least 28 days a month (a few too many,
        # checked exactly below), so that the active members never fill the batch.
        quiet_since = uow.now() - timedelta(days=28 * terms.expiry_amount)
        members = uow.session.scalars(
            select(Member)
            .where(
                Member.store_id == program.store_id,
                Member.available_points > 0,
                Member.last_activity_at <= quiet_since,
            )
            .order_by(Member.last_activity_at, Member.id)
            .limit(BATCH)
        )
        for member in members:
            deadline = inactivity_deadline(terms.expiry_policy, terms.expiry_amount, member.last_activity_at)
            if deadline is None or deadline > uow.now():
                continue
            lots = list(
                uow.session.scalars(
                    select(PointLot).where(
                        PointLot.member_id == member.id,
                        PointLot.status == "available",
                        PointLot.remaining > 0,
                    )
                )
            )
            assert member.last_activity_at is not None
            ledger.expire(
                uow,
                member,
                terms,
                lots,
                key=f"inactive:{member.id}:{member.last_activity_at:%Y%m%d%H%M%S}",
                description=f"Points expired after {terms.expiry_amount} months without activity",
            )
            done += 1
    return done
