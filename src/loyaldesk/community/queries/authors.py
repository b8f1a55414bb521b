"""Who wrote what, as shoppers see it: a member's chosen display name (else first name and last
initial; never their email; "Deleted member" once erased) and their tier's name, or a staff member's
name marked as staff. One statement per kind of author for a whole page (no N+1)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyaldesk.community.models import CommunityMember
from loyaldesk.community.queries.views import AuthorView
from loyaldesk.community.rules.words import DELETED_MEMBER, default_display_name
from loyaldesk.customers import Customer
from loyaldesk.loyalty import Member, Tier
from loyaldesk.stores import StaffAccount

STAFF_FALLBACK = "Staff"


def member_authors(session: Session, store_id: int, customer_ids: Iterable[int]) -> dict[int, AuthorView]:
    """The author view of each customer of ``customer_ids`` (unknown or erased ones: "Deleted member")."""
    wanted = sorted({int(customer_id) for customer_id in customer_ids})
    if not wanted:
        return {}
    rows = session.execute(
        select(
            Customer.id,
            Customer.first_name,
            Customer.last_name,
            Customer.erased_at,
            CommunityMember.display_name,
            Tier.name,
        )
        .outerjoin(
            CommunityMember,
            (CommunityMember.customer_id == Customer.id) & (CommunityMember.store_id == store_id),
        )
        .outerjoin(Member, Member.customer_id == Customer.id)
        .outerjoin(Tier, Tier.id == Member.tier_id)
        .where(Customer.id.in_(wanted), Customer.store_id == store_id)
    ).all()
    views = {
        customer_id: AuthorView(
            display_name=chosen
            if chosen and erased_at is None
            else default_display_name(first, last, erased=erased_at is not None),
            tier_name=tier if erased_at is None else None,
            customer_id=customer_id,
        )
        for customer_id, first, last, erased_at, chosen, tier in rows
    }
    for customer_id in wanted:
        views.setdefault(customer_id, AuthorView(DELETED_MEMBER, customer_id=customer_id))
    return views


def staff_authors(session: Session, staff_ids: Iterable[int]) -> dict[int, AuthorView]:
    wanted = sorted({int(staff_id) for staff_id in staff_ids})
    if not wanted:
        return {}
    names = dict(
        session.execute(select(StaffAccount.id, StaffAccount.name).where(StaffAccount.id.in_(wanted))).all()
    )
    return {
        staff_id: AuthorView(display_name=names.get(staff_id) or STAFF_FALLBACK, is_staff=True)
        for staff_id in wanted
    }


class Authors:
    """Author views for a page: collect the ids, then ``load`` once and ``of`` each row."""

    def __init__(self) -> None:
        self._customers: set[int] = set()
        self._staff: set[int] = set()
        self._members: dict[int, AuthorView] = {}
        self._staff_views: dict[int, AuthorView] = {}

    def want(self, customer_id: int | None, staff_id: int | None) -> None:
        if customer_id is not None:
            self._customers.add(customer_id)
        elif staff_id is not None:
            self._staff.add(staff_id)

    def load(self, session: Session, store_id: int) -> Authors:
        self._members = member_authors(session, store_id, self._customers)
        self._staff_views = staff_authors(session, self._staff)
        return self

    def of(self, customer_id: int | None, staff_id: int | None, is_staff: bool) -> AuthorView:
        if customer_id is not None:
            return self._members.get(customer_id) or AuthorView(DELETED_MEMBER, customer_id=customer_id)
        if staff_id is not None:
            return self._staff_views.get(staff_id) or AuthorView(STAFF_FALLBACK, is_staff=True)
        return AuthorView(STAFF_FALLBACK if is_staff else DELETED_MEMBER, is_staff=is_staff)
