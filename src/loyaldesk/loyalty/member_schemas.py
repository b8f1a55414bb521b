"""API models of what a member sees (and what a store's backend reads about a member): balances, pending
and expiring points, tier progress, badges, offers, codes and the history in words; and the dry runs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from loyaldesk.loyalty.actions.redeem_rewards import Offer
from loyaldesk.loyalty.models import LedgerEntry, Reward, RewardCode
from loyaldesk.loyalty.queries.views import MemberPicture
from loyaldesk.loyalty.vocab import CodeStatus, TierHold


class BalanceOut(BaseModel):
    available: int = Field(description="Points that can be spent now.")
    pending: int = Field(description="Points earned on orders still inside their return window.")
    lifetime_earned: int = Field(
        description="Points earned in all: by the program's rules (net of reversals) and given as goodwill."
    )
    lifetime_redeemed: int


class PendingOut(BaseModel):
    points: int
    unlocks_at: datetime | None = Field(description="None: waiting for the order to be delivered.")
    reason: str


class ExpiringOut(BaseModel):
    points: int
    expires_at: datetime


class TierOut(BaseModel):
    id: int
    name: str
    rank: int
    perks: list[str]
    earn_multiplier: str


class TierProgressOut(BaseModel):
    metric: str
    qualifying_total: int
    next_tier: str | None
    to_next_tier: int | None
    next_tier_by: datetime | None
    kept_tier: str = Field(description="Always the tier held now: what `to_keep_tier` keeps.")
    to_keep_tier: int = Field(
        description="0 when nothing is needed, or when a membership or override holds it."
    )
    keep_by: datetime | None
    held_by: TierHold = Field(
        description="Why the tier is held: the member's own activity, a paid membership, or the store."
    )
    held_until: datetime | None = Field(description="When the paid membership that holds it ends.")
    sentences: list[str] = Field(description="The same, in words, for showing to the member.")


class BadgeOut(BaseModel):
    code: str
    name: str
    level: int
    level_name: str | None
    value: int
    next_threshold: int | None


class ReferralLinkOut(BaseModel):
    code: str
    link: str


class MemberOut(BaseModel):
    member_id: int
    customer_id: int
    enrolled_at: datetime
    balance: BalanceOut
    pending: list[PendingOut]
    expiring_soon: list[ExpiringOut] = Field(description="Available points that expire within 30 days.")
    tier: TierOut | None
    tier_progress: TierProgressOut | None
    badges: list[BadgeOut]
    referral: ReferralLinkOut

    @classmethod
    def of(cls, picture: MemberPicture, referral_link: str) -> MemberOut:
        member, tier, progress = picture.member, picture.tier, picture.progress
        return cls(
            member_id=member.id,
            customer_id=member.customer_id,
            enrolled_at=member.enrolled_at,
            balance=BalanceOut(
                available=member.available_points,
                pending=member.pending_points,
                lifetime_earned=member.lifetime_earned_points,
                lifetime_redeemed=member.lifetime_redeemed_points,
            ),
            pending=[
                PendingOut(points=p.points, unlocks_at=p.unlocks_at, reason=p.description)
                for p in picture.pending
            ],
            expiring_soon=[ExpiringOut(points=e.points, expires_at=e.expires_at) for e in picture.expiring],
            tier=(
                TierOut(
                    id=tier.id,
                    name=tier.name,
                    rank=tier.rank,
                    perks=list(tier.perks or []),
                    earn_multiplier=str(tier.earn_multiplier),
                )
                if tier
                else None
            ),
            tier_progress=(
                TierProgressOut(
                    metric=progress.metric.value,
                    qualifying_total=progress.qualifying_total,
                    next_tier=progress.next_tier.name if progress.next_tier else None,
                    to_next_tier=progress.to_next,
                    next_tier_by=progress.next_by,
                    kept_tier=progress.kept_tier.name,
                    to_keep_tier=progress.to_keep,
                    keep_by=progress.keep_by,
                    held_by=progress.held_by,
                    held_until=progress.held_until,
                    sentences=picture.progress_sentences,
                )
                if progress
                else None
            ),
            badges=[
                BadgeOut(
                    code=b.code,
                    name=b.name,
                    level=b.level,
                    level_name=b.level_name,
                    value=b.value,
                    next_threshold=b.next_threshold,
                )
                for b in picture.badges
            ],
            referral=ReferralLinkOut(code=member.referral_code, link=referral_link),
        )


class RewardSummaryOut(BaseModel):
    id: int
    name: str
    description: str
    kind: str
    value: int
    product_sku: str | None
    available_until: datetime | None
    stock_left: int | None

    @classmethod
    def of(cls, reward: Reward) -> RewardSummaryOut:
        return cls(
            id=reward.id,
            name=reward.name,
            description=reward.description,
            kind=reward.kind,
            value=reward.value,
            product_sku=reward.product_sku,
            available_until=reward.available_until,
            stock_left=None if reward.stock is None else max(0, reward.stock - reward.issued_count),
        )


class OfferOut(BaseModel):
    reward: RewardSummaryOut
    points_cost: int = Field(description="What this member pays (tiers may pay less).")
    can_redeem: bool
    reason: str = Field(description="`available`, or why this member cannot redeem it now.")

    @classmethod
    def of(cls, offer: Offer) -> OfferOut:
        return cls(
            reward=RewardSummaryOut.of(offer.reward),
            points_cost=offer.cost,
            can_redeem=offer.available,
            reason=offer.reason,
        )


class CodeOut(BaseModel):
    id: int
    code: str
    reward_id: int
    reward_name: str
    status: CodeStatus
    points_spent: int
    issued_at: datetime
    expires_at: datetime | None
    used_at: datetime | None

    @classmethod
    def of(cls, code: RewardCode, reward_name: str) -> CodeOut:
        return cls(
            id=code.id,
            code=code.code,
            reward_id=code.reward_id,
            reward_name=reward_name,
            status=code.status,  # type: ignore[arg-type]
            points_spent=code.points_spent,
            issued_at=code.issued_at,
            expires_at=code.expires_at,
            used_at=code.used_at,
        )


class EntryOut(BaseModel):
    id: int
    at: datetime
    kind: str
    points: int = Field(description="The change to the member's points: positive earned, negative spent.")
    description: str
    reason_code: str | None
    order_id: int | None

    @classmethod
    def of(cls, entry: LedgerEntry) -> EntryOut:
        return cls(
            id=entry.id,
            at=entry.created_at,
            kind=entry.kind,
            points=entry.points,
            description=entry.description,
            reason_code=entry.reason_code,
            order_id=entry.order_id,
        )


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DraftLineIn(_Strict):
    sku: Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)] | None = None
    title: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""
    category: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    quantity: int = Field(default=1, ge=1, le=1_000_000)
    amount: int = Field(ge=0, le=10**15, description="The line's net amount in minor units.")


class OrderDryRunIn(_Strict):
    """An existing order (``order_id``) or a draft one (``currency`` and ``lines``), for a customer or not."""

    order_id: int | None = Field(default=None, ge=1, le=2**62)
    currency: Annotated[str, StringConstraints(min_length=3, max_length=3)] | None = None
    placed_at: AwareDatetime | None = Field(default=None, description="Default: now.")
    lines: list[DraftLineIn] = Field(default_factory=list, max_length=500)
    customer_id: int | None = Field(default=None, ge=1, le=2**62)

    @model_validator(mode="after")
    def _one(self) -> OrderDryRunIn:
        if self.order_id is None and (self.currency is None or not self.lines):
            raise ValueError("give order_id, or currency and lines")
        if self.order_id is not None and (self.currency or self.lines):
            raise ValueError("give order_id or a draft order, not both")
        return self


class OrderDryRunOut(BaseModel):
    points: int
    by_line: dict[str, int]
    explanation: list[str] = Field(description="Why, step by step.")
    not_applied: list[str] = Field(description="Rules that did not apply, and why.")
    tier: str | None


class ActionOutcomeOut(BaseModel):
    rule_id: int
    rule_name: str
    points: int
    awarded: bool
    reason: str


class ActionEventOut(BaseModel):
    member_id: int
    recorded: bool = Field(description="False when this event id was already recorded (nothing changed).")
    points_awarded: int
    outcomes: list[ActionOutcomeOut]
