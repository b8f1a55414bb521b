"""Enrolling customers in the program (idempotently): one, many, or a shopper joining by themselves."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from loyaldesk.customers import Customer
from loyaldesk.kernel.actors import Actor, system_for
from loyaldesk.kernel.bulk import bulk_insert
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import NotFound, PermissionDenied
from loyaldesk.kernel.ids import reserve_ids
from loyaldesk.loyalty.events import MemberEnrolled
from loyaldesk.loyalty.models import Member
from loyaldesk.loyalty.queries.members import base_tier_id, member_of_customer
from loyaldesk.loyalty.rules.referrals import new_referral_code
from loyaldesk.stores import Permission, authorize


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
            tier_id=base_tier_id(uow.session, store_id),
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


def join_program(uow: UnitOfWork, actor: Actor, store_id: int, customer_id: int) -> tuple[Member, bool]:
    """A customer joins the program (asked by the store, or by the shopper themself on the member page),
    with the sign-up reward the first time. ``(member, joined_now)``; joining twice changes nothing."""
    if actor.kind == "customer":
        if actor.store_id != store_id or actor.id != customer_id:
            raise PermissionDenied("shoppers can only join the program themselves")
    else:
        authorize(actor, store_id, scope="loyalty:write", permission=Permission.EDIT_CUSTOMERS)
    from loyaldesk.loyalty.actions.delight_members import record_action  # delight builds on members

    member, created = enroll(uow, store_id, customer_id)
    if created:
        record_action(uow, member, "signup", None, f"signup:{customer_id}")
    return member, created


def join_as_shopper(uow: UnitOfWork, store_id: int, external_id: str) -> Member:
    """A verified shopper joins from the member page. One the store has not told loyaldesk about yet
    becomes a customer known by the store's id alone (the store's next sync fills in the rest)."""
    from loyaldesk.customers import CustomerProfile, upsert_customer

    customer = uow.session.scalar(
        select(Customer).where(Customer.store_id == store_id, Customer.external_id == external_id)
    )
    if customer is None:
        created = upsert_customer(
            uow,
            system_for(store_id, "member page"),
            store_id,
            external_id,
            CustomerProfile(),
            source="member_page",
        )
        customer = created.customer
    shopper = Actor(kind="customer", id=customer.id, store_id=store_id, label=f"shopper {external_id}")
    return join_program(uow, shopper, store_id, customer.id)[0]


# Built once: runs on every pass of the single-order lane.
_MEMBERS_AMONG = select(Member.customer_id).where(
    Member.store_id == bindparam("store_id"),
    Member.customer_id.in_(bindparam("customer_ids", expanding=True)),
)


def enroll_many(uow: UnitOfWork, store_id: int, joined: dict[int, datetime]) -> int:
    """Enrol, in one insert, those of these customers (customer id -> when they joined) who are not members
    yet; they must belong to the store. Returns how many joined. Like ``enroll``, announces each."""
    if not joined:
        return 0
    existing = set(uow.session.scalars(_MEMBERS_AMONG, {"store_id": store_id, "customer_ids": list(joined)}))
    missing = sorted(customer_id for customer_id in joined if customer_id not in existing)
    if not missing:
        return 0
    uow.session.flush()
    now = uow.now()
    base = base_tier_id(uow.session, store_id)
    ids = reserve_ids(uow, Member.__table__, len(missing))
    rows: list[dict[str, Any]] = [
        {
            "id": member_id,
            "store_id": store_id,
            "customer_id": customer_id,
            "tier_id": base,
            "enrolled_at": min(joined[customer_id], now),
            "available_points": 0,
            "pending_points": 0,
            "lifetime_earned_points": 0,
            "lifetime_redeemed_points": 0,
            # 31^8 codes: a collision fails the insert and the batch is retried event by event
            "referral_code": new_referral_code(secrets.token_bytes(16)),
        }
        for member_id, customer_id in zip(ids, missing, strict=True)
    ]
    bulk_insert(uow, Member.__table__, rows)
    for row in rows:
        uow.emit(
            MemberEnrolled(
                store_id=store_id,
                customer_id=row["customer_id"],
                member_id=row["id"],
                occurred_at=row["enrolled_at"],
            )
        )
    return len(rows)
