"""Program membership: enrolling customers (idempotently) and finding members."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from loyaldesk.customers import Customer
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import NotFound
from loyaldesk.loyalty.events import MemberEnrolled
from loyaldesk.loyalty.models import Member
from loyaldesk.loyalty.rules.referrals import new_referral_code


def member_of_customer(session: Session, store_id: int, customer_id: int) -> Member | None:
    return session.scalar(
        select(Member).where(Member.store_id == store_id, Member.customer_id == customer_id)
    )


def get_member(session: Session, store_id: int, member_id: int) -> Member:
    member = session.scalar(select(Member).where(Member.id == member_id, Member.store_id == store_id))
    if member is None:
        raise NotFound(f"no member {member_id} in this store")
    return member


def enroll(
    uow: UnitOfWork, store_id: int, customer_id: int, *, at: datetime | None = None
) -> tuple[Member, bool]:
    """The customer's membership, created if they are not a member yet: ``(member, created)``."""
    existing = member_of_customer(uow.session, store_id, customer_id)
    if existing is not None:
        return existing, False
    customer = uow.session.get(Customer, customer_id)
    if customer is None or customer.store_id != store_id:
        raise NotFound(f"no customer {customer_id} in this store")
    enrolled_at = min(at, uow.now()) if at else uow.now()
    for _attempt in range(
        5
    ):  # 31^8 codes: collisions happen in big stores; the unique constraint catches them
        savepoint = uow.session.begin_nested()
        member = Member(
            store_id=store_id,
            customer_id=customer_id,
            enrolled_at=enrolled_at,
            available_points=0,
            pending_points=0,
            lifetime_earned_points=0,
            lifetime_redeemed_points=0,
            referral_code=new_referral_code(secrets.token_bytes(16)),
        )
        uow.session.add(member)
        try:
            savepoint.commit()
        except IntegrityError:
            savepoint.rollback()
            continue
        uow.emit(
            MemberEnrolled(
                store_id=store_id, customer_id=customer_id, member_id=member.id, occurred_at=enrolled_at
            )
        )
        return member, True
    raise RuntimeError("could not find a free referral code")
