"""Paying for a service with points, giving them back and charging a penalty: what other domains (expert
sessions) do with a member's balance, through the ledger's own operations (``move_points``).

Contract: each call is one ledger entry under the caller's ``key`` (unique per store): the same key again
changes nothing and returns what the first call did, so a replayed request or job pays, refunds or charges
exactly once. A payment never overdraws (``InsufficientPoints``); a refund gives back exactly what the
payment under ``paid_key`` took, never more, at most once; a penalty takes at most what is available.
"""

from __future__ import annotations

from sqlalchemy import select

from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict
from loyaldesk.loyalty.actions import move_points as ledger
from loyaldesk.loyalty.models import LedgerEntry, Member
from loyaldesk.loyalty.program import ensure_program, terms_of
from loyaldesk.loyalty.rules.ledger import Account
from loyaldesk.stores import store_by_id


def _member(uow: UnitOfWork, store_id: int, customer_id: int) -> Member:
    member = uow.session.scalar(
        select(Member).where(Member.store_id == store_id, Member.customer_id == customer_id)
    )
    if member is None:
        raise Conflict("this customer is not a member of the loyalty program")
    return member


def _entry(uow: UnitOfWork, store_id: int, key: str) -> LedgerEntry | None:
    return uow.session.scalar(
        select(LedgerEntry).where(LedgerEntry.store_id == store_id, LedgerEntry.idempotency_key == key)
    )


def pay_with_points(
    uow: UnitOfWork, *, store_id: int, customer_id: int, points: int, key: str, description: str
) -> int:
    """Take ``points`` (> 0) from the customer's available balance as a redemption under ``key``; the
    points taken (a replay: the first call's). ``InsufficientPoints`` when short, ``Conflict`` when the
    customer is no member."""
    member = _member(uow, store_id, customer_id)
    terms = terms_of(ensure_program(uow, store_id), store_by_id(uow.session, store_id).timezone)
    ledger.spend(
        uow, member, terms, points=points, key=key, description=description, account=Account.REDEEMED
    )
    return points


def refund_points(
    uow: UnitOfWork, *, store_id: int, customer_id: int, paid_key: str, key: str, description: str
) -> int:
    """Give back what the payment under ``paid_key`` took, under ``key``: the points given back, 0 when
    nothing was paid under ``paid_key``. A replay returns the first refund's points."""
    paid = _entry(uow, store_id, paid_key)
    if paid is None:
        return 0
    done = _entry(uow, store_id, key)
    if done is not None:
        return int(done.points)
    member = _member(uow, store_id, customer_id)
    terms = terms_of(ensure_program(uow, store_id), store_by_id(uow.session, store_id).timezone)
    points = abs(int(paid.points))
    ledger.return_points(uow, member, terms, points=points, key=key, description=description)
    return points


def charge_points(
    uow: UnitOfWork, *, store_id: int, customer_id: int, points: int, key: str, description: str
) -> int:
    """A penalty of up to ``points`` under ``key``: takes what is available (never overdraws), once; the
    points taken (0 when the customer is no member or has none)."""
    done = _entry(uow, store_id, key)
    if done is not None:
        return abs(int(done.points))
    member = uow.session.scalar(
        select(Member).where(Member.store_id == store_id, Member.customer_id == customer_id)
    )
    if member is None or points <= 0:
        return 0
    member = ledger.lock_member(uow, member.id)
    taken = min(points, member.available_points)
    if taken <= 0:
        return 0
    terms = terms_of(ensure_program(uow, store_id), store_by_id(uow.session, store_id).timezone)
    ledger.spend(
        uow, member, terms, points=taken, key=key, description=description, account=Account.ADJUSTMENT
    )
    return taken
