"""Tables of the loyalty program.

The ledger is ``loyalty_entries`` (one per change, each with a unique idempotency key), their
``loyalty_postings`` (summing to zero per entry) and the ``loyalty_lot_movements`` that record which lots
each entry touched. These three are append-only, enforced by database triggers. ``loyalty_members`` keeps
each member's balances as a cache of their postings (checked by ``loyaldesk check-ledger``) and is the row
that is locked to serialise a member's spending; ``loyalty_lots`` keeps what is left of each lot.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, validates

from loyaldesk.kernel.orm import Base, IdType, JSONType, UTCDateTime

Points = BigInteger


class LoyaltyProgram(Base):
    """A store's program settings; one row per store, created with the defaults with the store."""

    __tablename__ = "loyalty_programs"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), unique=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    auto_enroll: Mapped[bool] = mapped_column(Boolean, default=True)
    # Orders placed before this earn nothing, and customers first seen before it are not enrolled on their
    # own: importing a store's history must not pay it out (``loyaldesk import --award-points`` does it
    # deliberately). A new program starts when its store was created.
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # [{"currency": "EUR", "points": 1, "per_amount": 100, "rounding": "down"}]
    earn_rates: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    earn_on_status: Mapped[str] = mapped_column(String(16))
    unlock_after_status: Mapped[str] = mapped_column(String(16))
    pending_days: Mapped[int] = mapped_column(Integer)
    expiry_policy: Mapped[str] = mapped_column(String(24))
    expiry_amount: Mapped[int] = mapped_column(Integer)
    negative_balance_policy: Mapped[str] = mapped_column(String(24))
    point_value_minor: Mapped[int] = mapped_column(Integer)
    expected_breakage_percent: Mapped[int] = mapped_column(Integer)
    tier_metric: Mapped[str] = mapped_column(String(16))
    tier_period: Mapped[str] = mapped_column(String(24))
    tier_grace_days: Mapped[int] = mapped_column(Integer)
    referral_friend_points: Mapped[int] = mapped_column(Integer)
    referral_friend_on: Mapped[str] = mapped_column(String(16))
    referral_referrer_points: Mapped[int] = mapped_column(Integer)
    referral_max_per_period: Mapped[int] = mapped_column(Integer)
    referral_period_days: Mapped[int] = mapped_column(Integer)
    # A friend must have first appeared at most this many days before the referral (no old customers).
    referral_new_customer_days: Mapped[int] = mapped_column(Integer)
    surprise_one_in: Mapped[int] = mapped_column(Integer)
    surprise_min_order_total: Mapped[int] = mapped_column(BigInteger)
    surprise_points: Mapped[int] = mapped_column(Integer)
    winback_after_days: Mapped[int] = mapped_column(
        Integer
    )  # a "winback" custom rule fires after this idle time
    member_page_title: Mapped[str] = mapped_column(String(120))
    member_page_accent: Mapped[str] = mapped_column(String(16))
    # Where a referral link points: the store's page, with {code} replaced by the member's code.
    referral_link_template: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    @property
    def runs_with_defaults(self) -> bool:
        """Its settings were never changed since it was created with the defaults."""
        return self.updated_at <= self.created_at


class EarningRule(Base):
    """A purchase rule (exclusion, multiplier, campaign) or an action rule; ``config`` holds its terms."""

    __tablename__ = "loyalty_rules"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(24))  # purchase | action
    name: Mapped[str] = mapped_column(String(120))
    config: Mapped[dict[str, Any]] = mapped_column(JSONType)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Tier(Base):
    __tablename__ = "loyalty_tiers"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    # ``name`` case-folded (set whenever ``name`` is): unique per store, so that "Gold" and "GOLD" can
    # never both exist. A column rather than an index on lower(name): SQLite's lower() folds ASCII only
    # and its expression indexes cannot be reflected, and Python's casefold is what the form checks.
    name_key: Mapped[str] = mapped_column(String(180))
    rank: Mapped[int] = mapped_column(Integer)
    threshold: Mapped[int] = mapped_column(BigInteger)
    earn_multiplier: Mapped[str] = mapped_column(String(16))  # a decimal, kept exact as text
    perks: Mapped[list[str]] = mapped_column(JSONType)
    entry_reward_points: Mapped[int] = mapped_column(Integer)
    membership_sku: Mapped[str | None] = mapped_column(String(255))
    membership_days: Mapped[int] = mapped_column(Integer)
    support_priority: Mapped[str] = mapped_column(String(16))  # low | normal | high | urgent
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("store_id", "rank"), UniqueConstraint("store_id", "name_key"))

    @validates("name")
    def _keep_name_key(self, _key: str, name: str) -> str:
        self.name_key = tier_name_key(name)
        return name


def tier_name_key(name: str) -> str:
    """What two tier names must not share: the name without surrounding space, case-folded."""
    return name.strip().casefold()[:180]


class Member(Base):
    """A customer in the program, with balances cached from the ledger and their tier state."""

    __tablename__ = "loyalty_members"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), unique=True)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime())
    available_points: Mapped[int] = mapped_column(Points, default=0)
    pending_points: Mapped[int] = mapped_column(Points, default=0)
    lifetime_earned_points: Mapped[int] = mapped_column(Points, default=0)
    lifetime_redeemed_points: Mapped[int] = mapped_column(Points, default=0)
    tier_id: Mapped[int | None] = mapped_column(ForeignKey("loyalty_tiers.id", ondelete="SET NULL"))
    # The tier held by qualification alone (without override or membership), kept until retained_until.
    tier_qualified_id: Mapped[int | None] = mapped_column(ForeignKey("loyalty_tiers.id", ondelete="SET NULL"))
    tier_retained_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    tier_override_id: Mapped[int | None] = mapped_column(ForeignKey("loyalty_tiers.id", ondelete="SET NULL"))
    membership_tier_id: Mapped[int | None] = mapped_column(
        ForeignKey("loyalty_tiers.id", ondelete="SET NULL")
    )
    membership_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    tier_review_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    referral_code: Mapped[str] = mapped_column(String(16))
    last_activity_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("store_id", "referral_code"),
        Index("ix_loyalty_members_store_id_id", "store_id", "id"),
        Index("ix_loyalty_members_tier_review", "tier_review_at"),
    )


class LedgerEntry(Base):
    """One change to points, in words (``description``), unique per store and idempotency key."""

    __tablename__ = "loyalty_entries"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("loyalty_members.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    points: Mapped[int] = mapped_column(Points)  # the member's net change, for reading history quickly
    description: Mapped[str] = mapped_column(String(300))
    reason_code: Mapped[str | None] = mapped_column(String(40))
    order_id: Mapped[int | None] = mapped_column(IdType)
    reward_code_id: Mapped[int | None] = mapped_column(IdType)
    actor_label: Mapped[str] = mapped_column(String(320))
    details: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("store_id", "idempotency_key"),
        Index("ix_loyalty_entries_member_id_id", "member_id", "id"),
        Index("ix_loyalty_entries_order", "order_id"),
    )


class LedgerPosting(Base):
    __tablename__ = "loyalty_postings"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("loyalty_entries.id", ondelete="CASCADE"), index=True)
    store_id: Mapped[int] = mapped_column(IdType)
    member_id: Mapped[int | None] = mapped_column(IdType)  # null for the store's accounts
    account: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(Points)

    __table_args__ = (Index("ix_loyalty_postings_member_account", "member_id", "account"),)


class PointLot(Base):
    """Points earned together: pending until ``pending_until``, then available until ``expires_at``."""

    __tablename__ = "loyalty_lots"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(IdType)
    member_id: Mapped[int] = mapped_column(ForeignKey("loyalty_members.id", ondelete="CASCADE"))
    entry_id: Mapped[int] = mapped_column(IdType)
    order_id: Mapped[int | None] = mapped_column(IdType)
    source: Mapped[str] = mapped_column(String(16))  # order | action | adjustment | returned | bonus
    points: Mapped[int] = mapped_column(Points)
    remaining: Mapped[int] = mapped_column(Points)
    status: Mapped[str] = mapped_column(String(16))  # pending | available | spent | expired | reversed
    earned_at: Mapped[datetime] = mapped_column(UTCDateTime())
    pending_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    line_points: Mapped[dict[str, int]] = mapped_column(JSONType)  # order line id -> points, for reversals

    __table_args__ = (
        Index("ix_loyalty_lots_member_status", "member_id", "status", "id"),
        Index("ix_loyalty_lots_order", "order_id"),
        Index("ix_loyalty_lots_unlock", "status", "pending_until"),
        Index("ix_loyalty_lots_expiry", "status", "expires_at"),
    )


class LotMovement(Base):
    """Points moved in or out of a lot by an entry (consumed by a spend, reversed, restored...)."""

    __tablename__ = "loyalty_lot_movements"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("loyalty_lots.id", ondelete="CASCADE"), index=True)
    entry_id: Mapped[int] = mapped_column(IdType)
    points: Mapped[int] = mapped_column(Points)  # negative: taken out of the lot
    kind: Mapped[str] = mapped_column(String(16))


class Reward(Base):
    """An item of the rewards catalogue."""

    __tablename__ = "loyalty_rewards"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(24))
    value: Mapped[int] = mapped_column(BigInteger)  # minor units, or percent for percentage discounts
    product_sku: Mapped[str | None] = mapped_column(String(255))
    points_cost: Mapped[int] = mapped_column(Integer)
    tier_costs: Mapped[dict[str, int]] = mapped_column(JSONType)  # tier id -> points, overriding the cost
    available_from: Mapped[datetime | None] = mapped_column(UTCDateTime())
    available_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    stock: Mapped[int | None] = mapped_column(Integer)
    issued_count: Mapped[int] = mapped_column(Integer, default=0)
    min_tier_rank: Mapped[int | None] = mapped_column(Integer)
    segments: Mapped[list[str]] = mapped_column(JSONType)
    early_access_days: Mapped[int] = mapped_column(Integer)
    code_valid_days: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RewardCode(Base):
    """A redeemed reward: a unique code with its lifecycle (issued, used, expired, cancelled)."""

    __tablename__ = "loyalty_reward_codes"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    reward_id: Mapped[int] = mapped_column(ForeignKey("loyalty_rewards.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("loyalty_members.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    points_spent: Mapped[int] = mapped_column(Integer)
    redeem_entry_id: Mapped[int] = mapped_column(IdType, index=True)
    return_entry_id: Mapped[int | None] = mapped_column(IdType)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    used_order_id: Mapped[int | None] = mapped_column(IdType)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("store_id", "code"),
        Index("ix_loyalty_reward_codes_expiry", "status", "expires_at"),
    )


class Referral(Base):
    __tablename__ = "loyalty_referrals"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), index=True)
    referrer_member_id: Mapped[int] = mapped_column(ForeignKey("loyalty_members.id", ondelete="CASCADE"))
    referred_customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), unique=True
    )
    code: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))  # pending | qualified | rewarded | rejected
    reasons: Mapped[list[str]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    qualified_order_id: Mapped[int | None] = mapped_column(IdType, index=True)
    friend_rewarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    referrer_rewarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(320))


class MemberBadge(Base):
    __tablename__ = "loyalty_member_badges"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("loyalty_members.id", ondelete="CASCADE"))
    badge_code: Mapped[str] = mapped_column(String(40))
    level: Mapped[int] = mapped_column(Integer)
    awarded_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("member_id", "badge_code", "level"),)


class MemberAction(Base):
    """Something a member did that loyalty counts (a review, a survey, a newsletter sign-up...), once per
    the store's id for it; badges count these and action rules award points for them."""

    __tablename__ = "loyalty_member_actions"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("loyalty_members.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(24))
    event_name: Mapped[str | None] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(150))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("store_id", "external_id"),
        Index("ix_loyalty_member_actions_member_action", "member_id", "action"),
    )


class ActionAward(Base):
    """When an action rule awarded points to a member: the history its caps and frequency limits read."""

    __tablename__ = "loyalty_action_awards"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("loyalty_members.id", ondelete="CASCADE"))
    rule_id: Mapped[int] = mapped_column(ForeignKey("loyalty_rules.id", ondelete="CASCADE"))
    entry_id: Mapped[int] = mapped_column(IdType)
    awarded_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_loyalty_action_awards_member_rule", "member_id", "rule_id"),)
