"""Events of the loyalty program. Points and amounts are integers; no personal data."""

from __future__ import annotations

from loyaldesk.kernel.events import DomainEvent


class _MemberEvent(DomainEvent):
    subject_type = "member"
    member_id: int

    def subject_id(self) -> int | None:
        return self.member_id


class MemberEnrolled(_MemberEvent):
    event_type = "loyalty.member_enrolled"


class PointsChanged(_MemberEvent):
    """Any ledger entry: earned, unlocked, redeemed, returned, expired, reversed or adjusted."""

    event_type = "loyalty.points_changed"
    entry_id: int
    kind: str
    points: int
    available: int
    pending: int
    description: str


class TierChanged(_MemberEvent):
    event_type = "loyalty.tier_changed"
    from_tier_id: int | None
    to_tier_id: int | None
    from_tier: str | None
    to_tier: str | None
    direction: str  # upgraded | downgraded
    reason: str


class RewardRedeemed(_MemberEvent):
    """The store should create ``code`` in its checkout, worth what ``reward`` says."""

    event_type = "loyalty.reward_redeemed"
    reward_code_id: int
    reward_id: int
    reward_name: str
    reward_kind: str
    value: int
    code: str
    points: int
    expires_at: str | None


class RewardCodeChanged(_MemberEvent):
    event_type = "loyalty.reward_code_changed"
    reward_code_id: int
    code: str
    status: str  # used | expired | cancelled


class ReferralRecorded(_MemberEvent):
    event_type = "loyalty.referral_recorded"
    referral_id: int
    referred_customer_id: int
    status: str


class BadgeAwarded(_MemberEvent):
    event_type = "loyalty.badge_awarded"
    badge_code: str
    badge_name: str
    level: int
    level_name: str
