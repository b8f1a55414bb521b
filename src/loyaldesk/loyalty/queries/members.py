"""Finding members of the program (reads only)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyaldesk.kernel.errors import NotFound
from loyaldesk.loyalty.models import Member, Tier


def member_of_customer(session: Session, store_id: int, customer_id: int) -> Member | None:
    return session.scalar(
        select(Member).where(Member.store_id == store_id, Member.customer_id == customer_id)
    )


def members_of_customers(session: Session, store_id: int, customer_ids: list[int]) -> dict[int, int]:
    """The member id of each of ``customer_ids`` that is a member of ``store_id``'s program."""
    if not customer_ids:
        return {}
    rows = session.execute(
        select(Member.customer_id, Member.id).where(
            Member.store_id == store_id, Member.customer_id.in_(customer_ids)
        )
    )
    return {customer_id: member_id for customer_id, member_id in rows}


def get_member(session: Session, store_id: int, member_id: int) -> Member:
    member = session.scalar(select(Member).where(Member.id == member_id, Member.store_id == store_id))
    if member is None:
        raise NotFound(f"no member {member_id} in this store")
    return member


def base_tier_id(session: Session, store_id: int) -> int | None:
    """The tier every member starts in (the lowest rank), if the store has tiers."""
    return session.scalar(select(Tier.id).where(Tier.store_id == store_id).order_by(Tier.rank).limit(1))
