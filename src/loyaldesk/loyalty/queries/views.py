"""Reads of the loyalty program: a member's picture (balance, pending, expiring, tier progress, badges,
offers), their history in words, the referrals list, and the program overview with its liability."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from loyaldesk.customers import Customer
from loyaldesk.kernel.i18n import chosen_language, format_day
from loyaldesk.kernel.money import format_money
from loyaldesk.kernel.pagination import page_of
from loyaldesk.loyalty.actions.redeem_rewards import Offer, offer_for
from loyaldesk.loyalty.models import (
    LedgerEntry,
    LedgerPosting,
    LoyaltyProgram,
    Member,
    MemberBadge,
    PointLot,
    Referral,
    Reward,
    RewardCode,
    Tier,
)
from loyaldesk.loyalty.rules import badges as badge_rules
from loyaldesk.loyalty.rules import tiers as tier_rules
from loyaldesk.loyalty.rules.ledger import EARNED_ADJUSTMENT_REASONS
from loyaldesk.stores import Store

EXPIRING_SOON = timedelta(days=30)


@dataclass(frozen=True)
class PendingPoints:
    points: int
    unlocks_at: datetime | None  # None: waiting for the order to arrive
    description: str


@dataclass(frozen=True)
class ExpiringPoints:
    points: int
    expires_at: datetime


@dataclass(frozen=True)
class MemberPicture:
    member: Member
    tier: Tier | None
    pending: list[PendingPoints]
    expiring: list[ExpiringPoints]
    progress_sentences: list[str]
    progress: tier_rules.TierProgress | None
    badges: list[badge_rules.BadgeProgress]
    offers: list[Offer]
    codes: list[tuple[RewardCode, str]]  # (code, reward name)


def member_picture(session: Session, store: Store, member: Member, now: datetime) -> MemberPicture:
    """Everything a member (or an agent looking at them) wants to know about their points."""
    from loyaldesk.kernel.clock import FakeClock
    from loyaldesk.kernel.db import UnitOfWork
    from loyaldesk.loyalty.actions.change_tiers import _state, activities_of, ladder_of, policy_of
    from loyaldesk.loyalty.actions.delight_members import badge_metrics, held_badges
    from loyaldesk.loyalty.program import program_of

    # The helpers read through a unit of work; this one is only ever read from.
    reader = UnitOfWork(session=session, clock=FakeClock(now), backend=session.get_bind().dialect.name)
    tier = session.get(Tier, member.tier_id) if member.tier_id else None
    lots = list(
        session.scalars(
            select(PointLot)
            .where(
                PointLot.member_id == member.id,
                PointLot.remaining > 0,
                PointLot.status.in_(("pending", "available")),
            )
            .order_by(PointLot.id)
        )
    )
    descriptions = (
        dict(
            session.execute(
                select(LedgerEntry.id, LedgerEntry.description).where(
                    LedgerEntry.id.in_([lot.entry_id for lot in lots])
                )
            ).all()
        )
        if lots
        else {}
    )
    pending = [
        PendingPoints(lot.remaining, lot.pending_until, descriptions.get(lot.entry_id, ""))
        for lot in lots
        if lot.status == "pending"
    ]
    expiring = [
        ExpiringPoints(lot.remaining, lot.expires_at)
        for lot in lots
        if lot.status == "available" and lot.expires_at is not None and lot.expires_at <= now + EXPIRING_SOON
    ]
    sentences: list[str] = []
    progress = None
    ladder = ladder_of(reader, store.id)
    program = program_of(session, store.id)
    if ladder is not None and program is not None:
        progress = tier_rules.progress(
            ladder,
            policy_of(program, store.timezone),
            activities_of(reader, member),
            _state(ladder, member),
            now,
        )
        # A shopper's page reads in their language (``use_language``); staff read the store's locale.
        language = chosen_language()
        sentences = tier_rules.progress_sentences(
            progress,
            lambda amount: format_money(amount, store.currency, (language or store.locale).replace("-", "_")),
            *([lambda day: format_day(day, language=language)] if language else []),
        )
        if tier is None or tier.id != progress.tier.id:
            # The tier in effect now, as the sentences describe it (the stored one lags a review that is
            # due until the review job runs, and is empty for a member never evaluated).
            tier = session.get(Tier, progress.tier.id) or tier
    badges = badge_rules.badge_progress(
        badge_rules.default_badge_catalogue(), badge_metrics(reader, member), held_badges(reader, member.id)
    )
    customer = session.get(Customer, member.customer_id)
    segments = frozenset(customer.tags or []) if customer else frozenset()
    rewards = session.scalars(
        select(Reward)
        .where(Reward.store_id == store.id, Reward.active.is_(True))
        .order_by(Reward.points_cost)
    )
    offers = [offer_for(reward, member, tier, segments, now) for reward in rewards]
    codes = [
        (code, name)
        for code, name in session.execute(
            select(RewardCode, Reward.name)
            .join(Reward, Reward.id == RewardCode.reward_id)
            .where(RewardCode.member_id == member.id)
            .order_by(RewardCode.id.desc())
            .limit(20)
        )
    ]
    return MemberPicture(member, tier, pending, expiring, sentences, progress, badges, offers, codes)


def history(
    session: Session, member_id: int, *, before_id: int | None = None, limit: int = 50
) -> tuple[list[LedgerEntry], str | None]:
    """The member's entries, newest first, each with its plain-language description."""
    query = select(LedgerEntry).where(LedgerEntry.member_id == member_id)
    if before_id is not None:
        query = query.where(LedgerEntry.id < before_id)
    rows = list(session.scalars(query.order_by(LedgerEntry.id.desc()).limit(limit + 1)))
    return page_of(rows, limit, lambda entry: entry.id)


def referrals(
    session: Session, store_id: int, status: str | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """Referrals with who referred whom (names as the customers page shows them), newest first."""
    referrer = select(Member.id, Member.customer_id).subquery()
    query = (
        select(Referral, referrer.c.customer_id)
        .join(referrer, referrer.c.id == Referral.referrer_member_id)
        .where(Referral.store_id == store_id)
    )
    if status:
        query = query.where(Referral.status == status)
    rows = session.execute(query.order_by(Referral.id.desc()).limit(limit)).all()
    customer_ids = {row[1] for row in rows} | {row[0].referred_customer_id for row in rows}
    names = (
        {
            customer.id: customer.display_name
            for customer in session.scalars(select(Customer).where(Customer.id.in_(customer_ids)))
        }
        if customer_ids
        else {}
    )
    return [
        {
            "referral": referral,
            "referrer_customer_id": referrer_customer,
            "referrer_name": names.get(referrer_customer, "?"),
            "referred_name": names.get(referral.referred_customer_id, "?"),
        }
        for referral, referrer_customer in rows
    ]


@dataclass(frozen=True)
class Overview:
    members: int
    active_members: int
    points_issued: int
    points_adjusted: int
    points_redeemed: int
    points_expired: int
    points_outstanding: int
    points_pending: int
    redemption_rate: float
    tier_mix: list[tuple[str, int]]
    liability_minor: int
    currency: str
    point_value_minor: int
    expected_breakage_percent: int
    points_goodwill: int = 0  # given by hand as goodwill or service recovery (part of points_adjusted)

    @property
    def points_earned(self) -> int:
        """What members earned: by the rules (net of reversals) and as goodwill; the sum of every
        member's "earned in all"."""
        return self.points_issued + self.points_goodwill

    @property
    def points_corrected(self) -> int:
        """The net of the other adjustments by hand (corrections, carried-over points, removals)."""
        return self.points_adjusted - self.points_goodwill


def overview(session: Session, store: Store, program: LoyaltyProgram, now: datetime) -> Overview:
    """The program in numbers. Liability = outstanding points x cost per point x (1 - expected breakage).
    Issued counts points earned by the rules; adjusted, the net of manual adjustments, of which goodwill
    the points given as goodwill or service recovery (earned = issued + goodwill, as each member's "earned
    in all" counts them); the redemption rate is points redeemed over points given (issued plus net
    positive adjustments)."""
    members, active, available, pending = session.execute(
        select(
            func.count(Member.id),
            func.count(case((Member.last_activity_at >= now - timedelta(days=90), 1))),
            func.coalesce(func.sum(case((Member.available_points > 0, Member.available_points), else_=0)), 0),
            func.coalesce(func.sum(Member.pending_points), 0),
        ).where(Member.store_id == store.id)
    ).one()
    sums = dict(
        session.execute(
            select(LedgerPosting.account, func.coalesce(func.sum(LedgerPosting.amount), 0))
            .where(LedgerPosting.store_id == store.id, LedgerPosting.member_id.is_(None))
            .group_by(LedgerPosting.account)
        ).all()
    )
    issued = -int(sums.get("issued", 0))
    adjusted = -int(sums.get("adjustment", 0))  # net points given (positive) or taken by hand
    redeemed = int(sums.get("redeemed", 0))
    expired = int(sums.get("expired", 0))
    goodwill = session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.points), 0)).where(
            LedgerEntry.store_id == store.id,
            LedgerEntry.kind == "adjust",
            LedgerEntry.points > 0,
            LedgerEntry.reason_code.in_(sorted(EARNED_ADJUSTMENT_REASONS)),
        )
    )
    tiers: list[tuple[str, int]] = [
        (name, int(count))
        for name, count in session.execute(
            select(Tier.name, func.count(Member.id))
            .outerjoin(Member, (Member.tier_id == Tier.id) & (Member.store_id == store.id))
            .where(Tier.store_id == store.id)
            .group_by(Tier.id, Tier.name, Tier.rank)
            .order_by(Tier.rank)
        )
    ]
    untiered = (
        session.scalar(
            select(func.count(Member.id)).where(Member.store_id == store.id, Member.tier_id.is_(None))
        )
        or 0
    )
    if untiered and tiers:
        tiers = [(tiers[0][0], tiers[0][1] + untiered), *tiers[1:]]
    outstanding = int(available) + int(pending)
    liability = (
        Decimal(outstanding) * program.point_value_minor * (100 - program.expected_breakage_percent) / 100
    )
    return Overview(
        members=int(members),
        active_members=int(active),
        points_issued=issued,
        points_adjusted=adjusted,
        points_redeemed=redeemed,
        points_expired=expired,
        points_outstanding=outstanding,
        points_pending=int(pending),
        redemption_rate=redeemed / (issued + max(adjusted, 0)) if issued + max(adjusted, 0) > 0 else 0.0,
        tier_mix=[(name, int(count)) for name, count in tiers],
        liability_minor=int(liability.to_integral_value()),
        currency=store.currency,
        point_value_minor=program.point_value_minor,
        expected_breakage_percent=program.expected_breakage_percent,
        points_goodwill=int(goodwill or 0),
    )


def badge_rows(session: Session, member_id: int) -> list[MemberBadge]:
    return list(
        session.scalars(
            select(MemberBadge).where(MemberBadge.member_id == member_id).order_by(MemberBadge.awarded_at)
        )
    )


# -- reads for the console (appended; the functions above are shared with the API) ----------------


def rules_of(session: Session, store_id: int) -> list[Any]:
    """The store's earning rules: purchase rules first, then action rules, each in creation order."""
    from loyaldesk.loyalty.models import EarningRule

    return list(
        session.scalars(
            select(EarningRule)
            .where(EarningRule.store_id == store_id)
            .order_by(EarningRule.kind.desc(), EarningRule.id)
        )
    )


def rule_of(session: Session, store_id: int, rule_id: int) -> Any:
    """One rule of the store, or ``NotFound``."""
    from loyaldesk.kernel.errors import NotFound
    from loyaldesk.loyalty.models import EarningRule

    rule = session.scalar(
        select(EarningRule).where(EarningRule.id == rule_id, EarningRule.store_id == store_id)
    )
    if rule is None:
        raise NotFound(f"no rule {rule_id} in this store")
    return rule


def tiers_of(session: Session, store_id: int) -> list[Tier]:
    """The store's tier ladder, lowest rank first."""
    return list(session.scalars(select(Tier).where(Tier.store_id == store_id).order_by(Tier.rank)))


def tier_member_counts(session: Session, store_id: int) -> dict[int, int]:
    """How many members hold each tier now (tier id -> count; tiers nobody holds are absent)."""
    rows = session.execute(
        select(Member.tier_id, func.count(Member.id))
        .where(Member.store_id == store_id, Member.tier_id.is_not(None))
        .group_by(Member.tier_id)
    ).all()
    return {int(tier_id): int(count) for tier_id, count in rows if tier_id is not None}


def rewards_of(session: Session, store_id: int) -> list[Reward]:
    """The rewards catalogue: active rewards first, cheapest first."""
    return list(
        session.scalars(
            select(Reward)
            .where(Reward.store_id == store_id)
            .order_by(Reward.active.desc(), Reward.points_cost, Reward.id)
        )
    )


def reward_of(session: Session, store_id: int, reward_id: int) -> Reward:
    """One reward of the store, or ``NotFound``."""
    from loyaldesk.kernel.errors import NotFound

    reward = session.scalar(select(Reward).where(Reward.id == reward_id, Reward.store_id == store_id))
    if reward is None:
        raise NotFound(f"no reward {reward_id} in this store")
    return reward


@dataclass(frozen=True)
class MemberRow:
    member: Member
    name: str
    email: str | None
    tier_name: str | None


MEMBER_SORTS = ("newest", "balance", "balance_low", "name")


def member_rows(
    session: Session,
    store_id: int,
    *,
    query: str | None = None,
    sort: str = "newest",
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[MemberRow], bool]:
    """Members of the store with their customer's name, email and tier; every word of ``query`` must
    match a first name, last name or email. ``sort`` is one of ``MEMBER_SORTS``. Returns the page and
    whether there is a next one."""
    statement = (
        select(Member, Customer, Tier.name)
        .join(Customer, Customer.id == Member.customer_id)
        .outerjoin(Tier, Tier.id == Member.tier_id)
        .where(Member.store_id == store_id)
    )
    for term in (query or "").split()[:5]:
        escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{escaped}%"
        statement = statement.where(
            Customer.email.ilike(like, escape="\\")
            | Customer.first_name.ilike(like, escape="\\")
            | Customer.last_name.ilike(like, escape="\\")
        )
    order = {
        "balance": (Member.available_points.desc(), Member.id.desc()),
        "balance_low": (Member.available_points.asc(), Member.id.desc()),
        "name": (
            func.lower(func.coalesce(Customer.last_name, "")),
            func.lower(func.coalesce(Customer.first_name, "")),
            Member.id,
        ),
    }.get(sort, (Member.id.desc(),))
    page = max(page, 1)
    rows = session.execute(statement.order_by(*order).offset((page - 1) * per_page).limit(per_page + 1)).all()
    # A member whose tier was never evaluated holds the base tier (as the overview counts them).
    base = session.scalar(select(Tier.name).where(Tier.store_id == store_id).order_by(Tier.rank).limit(1))
    found = [
        MemberRow(
            member, customer.display_name, customer.email if not customer.erased_at else None, tier or base
        )
        for member, customer, tier in rows
    ]
    return found[:per_page], len(found) > per_page


def member_card(session: Session, store_id: int, customer_id: int) -> tuple[Member, str | None] | None:
    """The customer's membership and tier name (the base tier for a member whose tier was never
    evaluated, as the overview counts them), or None when they are not a member."""
    row = session.execute(
        select(Member, Tier.name)
        .outerjoin(Tier, Tier.id == Member.tier_id)
        .where(Member.store_id == store_id, Member.customer_id == customer_id)
    ).first()
    if row is None:
        return None
    tier_name = row[1]
    if tier_name is None:
        tier_name = session.scalar(
            select(Tier.name).where(Tier.store_id == store_id).order_by(Tier.rank).limit(1)
        )
    return row[0], tier_name


def reward_code_of(session: Session, store_id: int, code_id: int) -> RewardCode:
    """One reward code of the store, or ``NotFound``."""
    from loyaldesk.kernel.errors import NotFound

    code = session.scalar(select(RewardCode).where(RewardCode.id == code_id, RewardCode.store_id == store_id))
    if code is None:
        raise NotFound(f"no reward code {code_id} in this store")
    return code
