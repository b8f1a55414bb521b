"""Pending points becoming available after the return window, and points running out (expiry).

Both run as scheduled jobs (``loyaldesk worker`` or the server's background runner), in batches, each lot
or member with its own idempotency key, so that two workers or a retry never do it twice.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.loyalty import ledger
from loyaldesk.loyalty.bulk_earning import unlock_in_bulk
from loyaldesk.loyalty.ledger import LedgerTerms
from loyaldesk.loyalty.models import Member, PointLot, Referral
from loyaldesk.loyalty.program import ensure_program, terms_of
from loyaldesk.loyalty.rules.expiry import ExpiryPolicy, inactivity_deadline
from loyaldesk.stores import store_by_id

BATCH = 500


def unlock_description(lot: PointLot) -> str:
    """The history line of an unlocking (the fast lane writes the same words)."""
    if lot.order_id is None:
        return f"{lot.remaining} points are now available"
    return f"{lot.remaining} points from your order are now available"


def unlock_lot(uow: UnitOfWork, terms: LedgerTerms, lot: PointLot) -> None:
    """Unlock one pending lot now, and tell referrals that this order's points are in."""
    ledger.unlock(uow, lot, terms, key=f"lot:{lot.id}:unlock", description=unlock_description(lot))
    if lot.order_id is not None:
        from loyaldesk.loyalty.referral_actions import on_order_points_unlocked

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
    """Orders whose unlocking rewards a referrer (see ``referral_actions.on_order_points_unlocked``)."""
    if not order_ids:
        return set()
    return set(
        uow.session.scalars(
            select(Referral.qualified_order_id).where(
                Referral.qualified_order_id.in_(sorted(order_ids)), Referral.status == "qualified"
            )
        )
    )


def expire_due_lots(uow: UnitOfWork) -> int:
    """Expire what is left of lots past their expiry date, one entry per member. Returns lots expired."""
    query = (
        select(PointLot)
        .where(
            PointLot.status == "available",
            PointLot.expires_at.is_not(None),
            PointLot.expires_at <= uow.now(),
            PointLot.remaining > 0,
        )
        .order_by(PointLot.member_id, PointLot.id)
        .limit(BATCH)
    )
    if uow.is_postgresql:
        query = query.with_for_update(skip_locked=True)
    by_member: dict[int, list[PointLot]] = {}
    for lot in uow.session.scalars(query):
        by_member.setdefault(lot.member_id, []).append(lot)
    terms: dict[int, LedgerTerms] = {}
    for member_id, lots in by_member.items():
        member = uow.session.get(Member, member_id)
        assert member is not None
        points = sum(lot.remaining for lot in lots)
        ledger.expire(
            uow,
            member,
            _terms(uow, terms, member.store_id),
            lots,
            key=f"expire:{member_id}:{min(lot.id for lot in lots)}-{max(lot.id for lot in lots)}",
            description=f"{points} points expired",
        )
    return sum(len(lots) for lots in by_member.values())


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
