"""How the loyalty program's events read on a customer's timeline (``customers.extensions``).

Each line says what happened in words and links to the member's loyalty page in the console.
Registered at import time; the composition root (``loyaldesk.composition``) imports this module.
"""

from __future__ import annotations

from typing import Any

from loyaldesk.customers import TimelineEntry, timeline_entry
from loyaldesk.kernel.events import StoredEvent
from loyaldesk.loyalty.events import (
    BadgeAwarded,
    MemberEnrolled,
    PointsChanged,
    ReferralRecorded,
    RewardCodeChanged,
    RewardRedeemed,
    TierChanged,
)


def _points(value: Any) -> str:
    number = int(value or 0)
    return f"{number:+,} point{'s' if abs(number) != 1 else ''}"


def _member_link(event: StoredEvent) -> str | None:
    member_id = event.payload.get("member_id", event.subject_id)
    return f"loyalty/members/{member_id}" if member_id else None


@timeline_entry(MemberEnrolled.event_type)
def _enrolled(event: StoredEvent) -> TimelineEntry:
    return TimelineEntry(title="Joined the loyalty program", link=_member_link(event))


@timeline_entry(PointsChanged.event_type)
def _points_changed(event: StoredEvent) -> TimelineEntry:
    payload = event.payload
    available, pending = int(payload.get("available") or 0), int(payload.get("pending") or 0)
    balance = f"balance {available:,}" + (f" ({pending:,} pending)" if pending else "")
    change = int(payload.get("points") or 0)  # 0 when pending points unlock: the total stays the same
    return TimelineEntry(
        title=str(payload.get("description") or "Points changed"),
        detail=f"{_points(change)} · {balance}" if change else balance[:1].upper() + balance[1:],
        link=_member_link(event),
    )


@timeline_entry(TierChanged.event_type)
def _tier_changed(event: StoredEvent) -> TimelineEntry:
    payload = event.payload
    verb = "Moved up" if payload.get("direction") == "upgraded" else "Moved down"
    title = f"{verb} to {payload.get('to_tier') or 'no tier'}"
    if payload.get("from_tier"):
        title += f" (from {payload['from_tier']})"
    return TimelineEntry(title=title, detail=payload.get("reason") or None, link=_member_link(event))


@timeline_entry(RewardRedeemed.event_type)
def _redeemed(event: StoredEvent) -> TimelineEntry:
    payload = event.payload
    return TimelineEntry(
        title=f"Redeemed {payload.get('reward_name') or 'a reward'}",
        detail=f"Code {payload.get('code')} for {int(payload.get('points') or 0):,} points",
        link=_member_link(event),
    )


CODE_STATUS = {
    "used": "used",
    "expired": "expired unused",
    "cancelled": "cancelled; its points were given back",
}


@timeline_entry(RewardCodeChanged.event_type)
def _code_changed(event: StoredEvent) -> TimelineEntry:
    payload = event.payload
    status = str(payload.get("status") or "")
    return TimelineEntry(
        title=f"Reward code {payload.get('code')} {CODE_STATUS.get(status, status)}", link=_member_link(event)
    )


REFERRAL_STATUS = {
    "pending": "waiting for their first order",
    "qualified": "their first order is in",
    "rewarded": "rewarded",
    "rejected": "rejected by the referral checks",
}


@timeline_entry(ReferralRecorded.event_type)
def _referral(event: StoredEvent) -> TimelineEntry:
    status = str(event.payload.get("status") or "")
    return TimelineEntry(
        title="Referred a friend",
        detail=f"Referral {REFERRAL_STATUS.get(status, status)}",
        link=f"loyalty/referrals?status={status}" if status in REFERRAL_STATUS else "loyalty/referrals",
    )


@timeline_entry(BadgeAwarded.event_type)
def _badge(event: StoredEvent) -> TimelineEntry:
    payload = event.payload
    return TimelineEntry(
        title=f"Earned the badge “{payload.get('level_name') or payload.get('badge_name')}”",
        detail=f"{payload.get('badge_name')}, level {payload.get('level')}",
        link=_member_link(event),
    )
