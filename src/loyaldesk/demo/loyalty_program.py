"""The demo store's loyalty program, set up as a manager would: ``set_up_program`` writes the settings,
tiers, earning rules and rewards a lifestyle/home & garden shop selling in euros would run, through the
program actions (1 point per euro paid, pending until 14 days after delivery, points expiring 365 days
after they were earned, clawbacks that stop at zero, Bronze/Silver/Gold on rolling 12-month spend plus
the paid "Juniper Club" tier). ``membership_sales`` adds that membership to some orders of the history.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import func, select

from loyaldesk.demo.catalogue import MEMBERSHIP
from loyaldesk.demo.generator import DemoHistory
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.loyalty import (
    ActionRuleIn,
    EarnRateIn,
    LedgerPosting,
    Member,
    Perk,
    ProgramSettingsPatch,
    PurchaseRuleIn,
    Referral,
    RewardCode,
    RewardIn,
    RewardKind,
    Rounding,
    RuleIn,
    SupportPriority,
    Tier,
    TierIn,
    save_reward,
    save_rule,
    save_tier,
    update_program,
)

STORE_TIMEZONE = ZoneInfo("Europe/Amsterdam")
DISPATCH_BATCH = 2000  # events per dispatcher transaction: the week's orders reconcile together
CODE_DISCOUNT_KINDS = (
    "fixed_discount",
    "percentage_discount",
    "free_shipping",
    "free_product",
    "store_credit",
)


# -- the program --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgramIds:
    """What ``set_up_program`` created, by name."""

    tiers: dict[str, int]
    rewards: dict[str, int]
    rules: dict[str, int]


def set_up_program(uow: UnitOfWork, actor: Actor, store_id: int, *, end: datetime) -> ProgramIds:
    """The demo store's program: settings, tiers, earning rules and rewards. ``end`` is when the demo's
    history ends; the double-points weekend and the expert sessions are placed relative to it.

    Choices a real store of this kind makes: points expire 365 days after they are earned (simple to
    explain, and what most European shops do), a refund never takes a balance below zero (the shortfall
    is written off rather than chased), a point costs the store 1 cent and a fifth of them is expected
    never to be redeemed."""
    update_program(uow, actor, store_id, ProgramSettingsPatch(
        enabled=True, auto_enroll=True,
        earn_rates=[EarnRateIn(currency="EUR", points=1, per_amount=100, rounding=Rounding.DOWN)],
        earn_on_status="paid", unlock_after_status="delivered", pending_days=14,
        expiry_policy="days_after_earning", expiry_amount=365, negative_balance_policy="floor_at_zero",
        point_value_minor=1, expected_breakage_percent=20,
        tier_metric="spend", tier_period="rolling_12_months", tier_grace_days=30,
        referral_friend_points=200, referral_friend_on="first_order", referral_referrer_points=500,
        referral_max_per_period=5, referral_period_days=30,
        surprise_one_in=40, surprise_min_order_total=10_000, surprise_points=150, winback_after_days=120,
        member_page_title="Juniper Rewards", member_page_accent="#2f6b3b",
    ))  # fmt: skip
    tiers = {
        tier.name: save_tier(uow, actor, store_id, tier).id
        for tier in (
            TierIn(name="Bronze", rank=0, threshold=0),
            TierIn(name="Silver", rank=1, threshold=25_000, earn_multiplier=Decimal("1.25"),
                   perks=[Perk.FREE_RETURNS], entry_reward_points=100),
            TierIn(name="Gold", rank=2, threshold=60_000, earn_multiplier=Decimal("1.5"),
                   perks=[Perk.FREE_SHIPPING, Perk.PRIORITY_SUPPORT, Perk.EARLY_ACCESS],
                   entry_reward_points=250,
                   support_priority=SupportPriority.HIGH),
            # The paid tier: bought with the membership product, or reached by the store's best customers.
            TierIn(name="Juniper Club", rank=3, threshold=150_000, earn_multiplier=Decimal(2),
                   perks=[Perk.FREE_SHIPPING, Perk.FREE_RETURNS, Perk.PRIORITY_SUPPORT, Perk.EARLY_ACCESS],
                   entry_reward_points=500, membership_sku=MEMBERSHIP.sku, membership_days=365,
                   support_priority=SupportPriority.URGENT),
        )
    }  # fmt: skip
    weekend = _campaign_weekend(end)
    rules = {
        rule.name: save_rule(uow, actor, store_id, rule).id
        for rule in (
            RuleIn(name="No points on gift cards and memberships", purchase=PurchaseRuleIn(
                kind="base_exclusion", excluded_categories=["Gift cards"], excluded_skus=[MEMBERSHIP.sku])),
            RuleIn(name="Double points on Outdoor: spring weekend", purchase=PurchaseRuleIn(
                kind="campaign", multiplier=Decimal(2), only_categories=["Outdoor"],
                starts_at=weekend, ends_at=weekend + timedelta(days=2))),
            RuleIn(name="Welcome", action=ActionRuleIn(action="signup", points=50, max_times_per_customer=1)),
            RuleIn(name="Happy birthday", action=ActionRuleIn(
                action="birthday", points=100, period_cap_count=1, period_cap_period="year")),
            RuleIn(name="Product review", action=ActionRuleIn(
                action="review", points=25, period_cap_count=5, period_cap_period="month")),
            RuleIn(name="Newsletter sign-up", action=ActionRuleIn(
                action="newsletter", points=50, max_times_per_customer=1)),
            RuleIn(name="Follow us on Instagram", action=ActionRuleIn(
                action="social_follow", points=25, max_times_per_customer=1)),
            RuleIn(name="Tell us how we did", action=ActionRuleIn(
                action="survey", points=30, frequency_days=30)),
        )
    }  # fmt: skip
    club_prices = {str(tiers["Gold"]): 800, str(tiers["Juniper Club"]): 800}
    # The expert's diary opens to everyone a week after the demo's end; early access (Gold and Club)
    # lets those members book three weeks before that, so the demo shows both sides of it.
    sessions_open = datetime.combine((end + timedelta(days=7)).date(), time(9), STORE_TIMEZONE)
    rewards = {
        reward.name: save_reward(uow, actor, store_id, reward).id
        for reward in (
            RewardIn(name="Free shipping", kind=RewardKind.FREE_SHIPPING, value=495, points_cost=300,
                     description="Free delivery on any order, whatever its size."),
            RewardIn(name="€5 off", kind=RewardKind.FIXED_DISCOUNT, value=500, points_cost=500,
                     description="€5 off your next order."),
            RewardIn(name="€10 off", kind=RewardKind.FIXED_DISCOUNT, value=1000, points_cost=900,
                     description="€10 off your next order."),
            RewardIn(name="10% off your next order", kind=RewardKind.PERCENTAGE_DISCOUNT, value=10,
                     points_cost=1000,
                     tier_costs=club_prices,
                     description="10% off everything in one order; 800 points for Gold and Club members."),
            RewardIn(name="€15 store credit", kind=RewardKind.STORE_CREDIT, value=1500, points_cost=1500,
                     code_valid_days=365, description="€15 on your account, to spend within a year."),
            RewardIn(name="A free soy scented candle", kind=RewardKind.FREE_PRODUCT,
                     product_sku="HOM-SOY-CDL",
                     points_cost=2500, description="Our soy scented candle, added to your next order."),
            RewardIn(name="30-minute session with our garden expert", kind=RewardKind.CUSTOM,
                     points_cost=1200,
                     stock=12, available_from=sessions_open, early_access_days=21, code_valid_days=60,
                     description="Plan your balcony or garden with Marit, our garden expert, by video "
                     "call. Twelve sessions this season; Gold and Juniper Club members book first."),
        )
    }  # fmt: skip
    return ProgramIds(tiers=tiers, rewards=rewards, rules=rules)


WINBACK_RULE = RuleIn(
    name="We miss you",
    action=ActionRuleIn(
        action="custom", custom_event="winback", points=150, max_times_per_customer=1, frequency_days=365
    ),
)
WINBACK_WEEKS = 13  # the manager started the win-back campaign a quarter before the demo's end


def _campaign_weekend(end: datetime) -> datetime:
    """Saturday 00:00 (store time) of a spring weekend well before ``end``: the last one in May."""
    year = end.year if end.month >= 7 else end.year - 1
    day = datetime(year, 5, 31, tzinfo=STORE_TIMEZONE)
    while day.isoweekday() != 6:
        day -= timedelta(days=1)
    return day


def membership_sales(history: DemoHistory, seed: int, count: int) -> int:
    """Add the Juniper Club membership to ``count`` orders of repeat customers in the last 15 months (a
    store sells it at checkout). Pure; changes the orders' payloads in place. Returns how many."""
    rng = np.random.default_rng([seed, 11])
    end = datetime.fromisoformat(history.orders[-1].payload["placed_at"]) if history.orders else None
    if end is None:
        return 0
    seen: dict[str, int] = defaultdict(int)
    candidates = []
    for order in history.orders:
        payload = order.payload
        customer = payload["customer"]["external_id"]
        seen[customer] += 1
        placed = datetime.fromisoformat(payload["placed_at"])
        recent = placed > end - timedelta(days=460)
        if seen[customer] >= 2 and payload["status"] == "delivered" and recent and not order.refunds:
            candidates.append(order)
    if not candidates:
        return 0
    chosen = rng.choice(len(candidates), size=min(count, len(candidates)), replace=False)
    buyers: set[str] = set()
    sold = 0
    for index in sorted(int(i) for i in chosen):
        payload = candidates[index].payload
        if payload["customer"]["external_id"] in buyers:
            continue
        buyers.add(payload["customer"]["external_id"])
        payload["lines"].append(
            {
                "external_id": f"{payload['number'][1:]}-{len(payload['lines']) + 1}",
                "sku": MEMBERSHIP.sku,
                "product_id": MEMBERSHIP.sku,
                "title": MEMBERSHIP.title,
                "category": MEMBERSHIP.category,
                "quantity": 1,
                "unit_price": MEMBERSHIP.price,
            }
        )
        retax(payload)
        sold += 1
    return sold


def retax(payload: dict[str, Any]) -> None:
    """Keep an order's included VAT (21%) in line after its lines or discounts changed."""
    lines = sum(line["quantity"] * line["unit_price"] - line.get("discount", 0) for line in payload["lines"])
    payload["tax_total"] = round((lines - payload["order_discount"] + payload["shipping_total"]) * 21 / 121)


@dataclass
class LoyaltyFigures:
    """What the demo's program holds at the end, for the summary."""

    members: int = 0
    points_issued: int = 0
    points_redeemed: int = 0
    points_expired: int = 0
    points_available: int = 0
    points_pending: int = 0
    tier_mix: dict[str, int] = field(default_factory=dict)
    redemptions: int = 0
    codes_used: int = 0
    referrals: int = 0
    referrals_rejected: int = 0


def figures(session: Any, store_id: int) -> LoyaltyFigures:
    """The program in numbers (read only)."""
    members, available, pending = session.execute(
        select(
            func.count(Member.id),
            func.coalesce(func.sum(Member.available_points), 0),
            func.coalesce(func.sum(Member.pending_points), 0),
        ).where(Member.store_id == store_id)
    ).one()
    accounts = dict(
        session.execute(
            select(LedgerPosting.account, func.sum(LedgerPosting.amount))
            .where(LedgerPosting.store_id == store_id, LedgerPosting.member_id.is_(None))
            .group_by(LedgerPosting.account)
        ).all()
    )
    mix = dict(
        session.execute(
            select(Tier.name, func.count(Member.id))
            .join(Member, Member.tier_id == Tier.id)
            .where(Tier.store_id == store_id)
            .group_by(Tier.name)
        ).all()
    )
    codes = dict(
        session.execute(
            select(RewardCode.status, func.count())
            .where(RewardCode.store_id == store_id)
            .group_by(RewardCode.status)
        ).all()
    )
    referrals = dict(
        session.execute(
            select(Referral.status, func.count())
            .where(Referral.store_id == store_id)
            .group_by(Referral.status)
        ).all()
    )
    return LoyaltyFigures(
        members=int(members),
        points_issued=-int(accounts.get("issued") or 0),
        points_redeemed=int(accounts.get("redeemed") or 0),
        points_expired=int(accounts.get("expired") or 0),
        points_available=int(available),
        points_pending=int(pending),
        tier_mix={name: int(count) for name, count in mix.items()},
        redemptions=sum(int(count) for count in codes.values()),
        codes_used=int(codes.get("used", 0)),
        referrals=sum(int(count) for count in referrals.values()),
        referrals_rejected=int(referrals.get("rejected", 0)),
    )
