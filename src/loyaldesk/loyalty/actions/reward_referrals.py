"""Referrals: recording one (with the fraud checks), rewarding the friend and the referrer, and a manager's
decision on a referral the checks rejected.

A referral is recorded when a new customer signs up with a member's code. The friend is rewarded on
signup or on their first order (program setting); the referrer when the points of that first order
unlock, that is once it can no longer be returned.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from loyaldesk import commerce
from loyaldesk.customers import Customer
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict, NotFound
from loyaldesk.loyalty.actions import move_points as ledger
from loyaldesk.loyalty.actions.enrol_members import enroll
from loyaldesk.loyalty.events import ReferralRecorded
from loyaldesk.loyalty.models import Member, PointLot, Referral
from loyaldesk.loyalty.program import ensure_program, terms_of
from loyaldesk.loyalty.queries.members import member_of_customer
from loyaldesk.loyalty.rules.referrals import (
    PersonFacts,
    ReferralCandidate,
    ReferralPolicy,
    check_referral,
    normalise_code,
)
from loyaldesk.stores import Permission, authorize, record_audit, store_by_id


def _facts(uow: UnitOfWork, customer: Customer) -> PersonFacts:
    return PersonFacts(
        customer_id=customer.id,
        email=customer.email,
        phone=customer.phone,
        addresses=commerce.shipping_addresses_of_customer(uow.session, customer.id),
        created_at=customer.created_at,
    )


def record_referral(uow: UnitOfWork, actor: Actor, store_id: int, code: str, customer_id: int) -> Referral:
    """Record that ``customer_id`` was referred by the member whose code this is; judged by the fraud
    checks at once. One referral per referred customer: recording it again returns the first."""
    authorize(actor, store_id, scope="loyalty:write", permission=Permission.EDIT_CUSTOMERS)
    normalised = normalise_code(code)
    existing = uow.session.scalar(select(Referral).where(Referral.referred_customer_id == customer_id))
    if existing is not None:
        if existing.store_id != store_id:
            raise NotFound(f"no customer {customer_id} in this store")
        return existing
    referrer = uow.session.scalar(
        select(Member).where(Member.store_id == store_id, Member.referral_code == normalised)
    )
    if referrer is None:
        raise NotFound(f"no member has the referral code {normalised}")
    referred = uow.session.get(Customer, customer_id)
    if referred is None or referred.store_id != store_id:
        raise NotFound(f"no customer {customer_id} in this store")
    referrer_customer = uow.session.get(Customer, referrer.customer_id)
    assert referrer_customer is not None
    program = ensure_program(uow, store_id)
    now = uow.now()
    period = timedelta(days=program.referral_period_days)
    recent = list(
        uow.session.scalars(
            select(Referral.created_at).where(
                Referral.referrer_member_id == referrer.id,
                Referral.status != "rejected",
                Referral.created_at >= now - period,
            )
        )
    )
    verdict = check_referral(
        ReferralCandidate(
            referrer=_facts(uow, referrer_customer),
            referred=_facts(uow, referred),
            now=now,
            referrer_recent_referral_times=recent,
        ),
        ReferralPolicy(
            max_referrals=program.referral_max_per_period,
            per_period=period,
            new_member_window=timedelta(days=program.referral_new_customer_days),
        ),
    )
    referral = Referral(
        store_id=store_id,
        referrer_member_id=referrer.id,
        referred_customer_id=customer_id,
        code=normalised,
        status="pending" if verdict.accepted else "rejected",
        reasons=list(verdict.reasons),
        created_at=now,
    )
    uow.session.add(referral)
    uow.session.flush()
    uow.emit(
        ReferralRecorded(
            store_id=store_id,
            customer_id=referrer.customer_id,
            member_id=referrer.id,
            referral_id=referral.id,
            referred_customer_id=customer_id,
            status=referral.status,
        )
    )
    if verdict.accepted and program.referral_friend_on == "signup":
        _reward_friend(uow, store_id, referral)
    return referral


def _reward_friend(uow: UnitOfWork, store_id: int, referral: Referral) -> None:
    program = ensure_program(uow, store_id)
    if referral.friend_rewarded_at is not None or program.referral_friend_points <= 0:
        return
    member = member_of_customer(uow.session, store_id, referral.referred_customer_id)
    if member is None:
        member, _ = enroll(uow, store_id, referral.referred_customer_id)
    terms = terms_of(program, store_by_id(uow.session, store_id).timezone)
    ledger.earn(
        uow,
        member,
        terms,
        points=program.referral_friend_points,
        key=f"referral:{referral.id}:friend",
        description=f"Welcome gift for joining through a friend: {program.referral_friend_points} points",
        source="action",
    )
    referral.friend_rewarded_at = uow.now()


def on_order_earned(uow: UnitOfWork, store_id: int, customer_id: int, order_id: int) -> None:
    """A referred customer's first order earned points: the referral qualifies (friend rewarded if due)."""
    referral = uow.session.scalar(
        select(Referral).where(Referral.referred_customer_id == customer_id, Referral.store_id == store_id)
    )
    if referral is None or referral.status != "pending":
        return
    referral.status, referral.qualified_order_id = "qualified", order_id
    if ensure_program(uow, store_id).referral_friend_on == "first_order":
        _reward_friend(uow, store_id, referral)


def on_order_points_unlocked(uow: UnitOfWork, store_id: int, member_id: int, order_id: int) -> None:
    """The qualifying order's points unlocked: it can no longer be returned, so the referrer is rewarded."""
    referral = uow.session.scalar(
        select(Referral).where(Referral.qualified_order_id == order_id, Referral.status == "qualified")
    )
    if referral is None:
        return
    program = ensure_program(uow, store_id)
    referrer = uow.session.get(Member, referral.referrer_member_id)
    if referrer is not None and program.referral_referrer_points > 0:
        terms = terms_of(program, store_by_id(uow.session, store_id).timezone)
        ledger.earn(
            uow,
            referrer,
            terms,
            points=program.referral_referrer_points,
            key=f"referral:{referral.id}:referrer",
            description=f"A friend you referred made their first order: "
            f"{program.referral_referrer_points} points",
            source="action",
        )
    referral.status, referral.referrer_rewarded_at = "rewarded", uow.now()


def _catch_up(uow: UnitOfWork, store_id: int, referral: Referral) -> None:
    """A referral approved after the friend already ordered: their first earning order qualifies it now,
    and if that order's points are already unlocked, the referrer is rewarded now too."""
    first = uow.session.execute(
        select(PointLot.order_id, PointLot.status)
        .join(Member, Member.id == PointLot.member_id)
        .where(
            Member.customer_id == referral.referred_customer_id,
            PointLot.source == "order",
            PointLot.order_id.is_not(None),
        )
        .order_by(PointLot.id)
        .limit(1)
    ).first()
    if first is None:
        return
    order_id, status = first
    assert order_id is not None  # the query keeps order lots only
    on_order_earned(uow, store_id, referral.referred_customer_id, order_id)
    if status != "pending":
        member = member_of_customer(uow.session, store_id, referral.referred_customer_id)
        assert member is not None
        on_order_points_unlocked(uow, store_id, member.id, order_id)


def decide_referral(
    uow: UnitOfWork, actor: Actor, store_id: int, referral_id: int, *, approve: bool
) -> Referral:
    """A manager overrides the checks: approve a rejected referral, or reject one not yet rewarded."""
    authorize(actor, store_id, scope="loyalty:write", permission=Permission.MANAGE_STORE_SETTINGS)
    referral = uow.session.scalar(
        select(Referral).where(Referral.id == referral_id, Referral.store_id == store_id)
    )
    if referral is None:
        raise NotFound(f"no referral {referral_id} in this store")
    if approve and referral.status == "rejected":
        referral.status = "pending"
        if ensure_program(uow, store_id).referral_friend_on == "signup":
            _reward_friend(uow, store_id, referral)
        _catch_up(uow, store_id, referral)
    elif not approve and referral.status in ("pending", "qualified"):
        referral.status = "rejected"
    elif referral.status == "rewarded" and not approve:
        raise Conflict("this referral was already rewarded")
    referral.decided_by = actor.label
    record_audit(
        uow,
        actor,
        "loyalty.referral_approved" if approve else "loyalty.referral_rejected",
        store_id=store_id,
        target_type="referral",
        target_id=referral.id,
    )
    return referral
