"""What the loyalty program tells the customer record: its part of a customer's GDPR export (their
membership and balances, every points entry, their reward codes and badges) and its ``LoyaltyFacts``
about a member (what the support desk shows and routes by).

``register()`` plugs both into ``customers``; the composition root (``loyaldesk.composition``) calls it.
Members are kept on erasure (the ledger must keep balancing); they hold no personal data of their own.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyaldesk.customers import LoyaltyFacts, export_section, provide_loyalty_facts
from loyaldesk.loyalty.models import LedgerEntry, MemberBadge, Reward, RewardCode, Tier
from loyaldesk.loyalty.queries.views import member_card


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def export_loyalty(session: Session, store_id: int, customer_id: int) -> dict[str, Any] | None:
    """The customer's membership as JSON-able data, or None when they never joined the program."""
    card = member_card(session, store_id, customer_id)
    if card is None:
        return None
    member, tier_name = card
    entries = session.scalars(
        select(LedgerEntry).where(LedgerEntry.member_id == member.id).order_by(LedgerEntry.id)
    )
    codes = session.execute(
        select(RewardCode, Reward.name)
        .join(Reward, Reward.id == RewardCode.reward_id)
        .where(RewardCode.member_id == member.id)
        .order_by(RewardCode.id)
    ).all()
    badges = session.scalars(
        select(MemberBadge).where(MemberBadge.member_id == member.id).order_by(MemberBadge.id)
    )
    return {
        "member": {
            "id": member.id,
            "enrolled_at": _iso(member.enrolled_at),
            "referral_code": member.referral_code,
            "tier": tier_name,
            "tier_retained_until": _iso(member.tier_retained_until),
            "membership_until": _iso(member.membership_until),
            "last_activity_at": _iso(member.last_activity_at),
        },
        "balance": {
            "available_points": member.available_points,
            "pending_points": member.pending_points,
            "lifetime_earned_points": member.lifetime_earned_points,
            "lifetime_redeemed_points": member.lifetime_redeemed_points,
        },
        "ledger_entries": [
            {
                "id": entry.id,
                "at": _iso(entry.created_at),
                "kind": entry.kind,
                "points": entry.points,
                "description": entry.description,
                "reason_code": entry.reason_code,
                "order_id": entry.order_id,
            }
            for entry in entries
        ],
        "reward_codes": [
            {
                "code": code.code,
                "reward": name,
                "status": code.status,
                "points_spent": code.points_spent,
                "issued_at": _iso(code.issued_at),
                "expires_at": _iso(code.expires_at),
                "used_at": _iso(code.used_at),
                "cancelled_at": _iso(code.cancelled_at),
            }
            for code, name in codes
        ],
        "badges": [
            {"badge": badge.badge_code, "level": badge.level, "awarded_at": _iso(badge.awarded_at)}
            for badge in badges
        ],
    }


def loyalty_facts(session: Session, store_id: int, customer_id: int) -> LoyaltyFacts | None:
    """What the support desk shows and routes by: tier, its perks, points. None for non-members."""
    card = member_card(session, store_id, customer_id)
    if card is None:
        return None
    member, tier_name = card
    perks: tuple[str, ...] = ()
    support_priority: str | None = None
    if tier_name is not None:
        row = session.execute(
            select(Tier.perks, Tier.support_priority).where(Tier.store_id == store_id, Tier.name == tier_name)
        ).first()
        if row is not None:
            perks, support_priority = tuple(row[0] or ()), row[1]
    return LoyaltyFacts(
        tier=tier_name,
        tier_perks=perks,
        support_priority=support_priority,
        points=member.available_points,
        pending_points=member.pending_points,
        referral_code=member.referral_code,
    )


def register() -> None:
    """Plug the loyalty program's export section and facts into the customer record."""
    export_section("loyalty")(export_loyalty)
    provide_loyalty_facts(loyalty_facts)
