"""Loyalty: program, rules, tiers, members, the points ledger, rewards, referrals, badges.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 13:53:34.724633
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import loyaldesk.kernel.orm

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "loyalty_programs",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("store_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("auto_enroll", sa.Boolean(), nullable=False),
        sa.Column(
            "earn_rates",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("earn_on_status", sa.String(length=16), nullable=False),
        sa.Column("unlock_after_status", sa.String(length=16), nullable=False),
        sa.Column("pending_days", sa.Integer(), nullable=False),
        sa.Column("expiry_policy", sa.String(length=24), nullable=False),
        sa.Column("expiry_amount", sa.Integer(), nullable=False),
        sa.Column("negative_balance_policy", sa.String(length=24), nullable=False),
        sa.Column("point_value_minor", sa.Integer(), nullable=False),
        sa.Column("expected_breakage_percent", sa.Integer(), nullable=False),
        sa.Column("tier_metric", sa.String(length=16), nullable=False),
        sa.Column("tier_period", sa.String(length=24), nullable=False),
        sa.Column("tier_grace_days", sa.Integer(), nullable=False),
        sa.Column("referral_friend_points", sa.Integer(), nullable=False),
        sa.Column("referral_friend_on", sa.String(length=16), nullable=False),
        sa.Column("referral_referrer_points", sa.Integer(), nullable=False),
        sa.Column("referral_max_per_period", sa.Integer(), nullable=False),
        sa.Column("referral_period_days", sa.Integer(), nullable=False),
        sa.Column("referral_new_customer_days", sa.Integer(), nullable=False),
        sa.Column("surprise_one_in", sa.Integer(), nullable=False),
        sa.Column("surprise_min_order_total", sa.BigInteger(), nullable=False),
        sa.Column("surprise_points", sa.Integer(), nullable=False),
        sa.Column("winback_after_days", sa.Integer(), nullable=False),
        sa.Column("member_page_title", sa.String(length=120), nullable=False),
        sa.Column("member_page_accent", sa.String(length=16), nullable=False),
        sa.Column("referral_link_template", sa.String(length=500), nullable=True),
        sa.Column("created_at", loyaldesk.kernel.orm.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", loyaldesk.kernel.orm.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_loyalty_programs_store_id_stores"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_programs")),
        sa.UniqueConstraint("store_id", name=op.f("uq_loyalty_programs_store_id")),
    )
    op.create_table(
        "loyalty_rewards",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("store_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("product_sku", sa.String(length=255), nullable=True),
        sa.Column("points_cost", sa.Integer(), nullable=False),
        sa.Column(
            "tier_costs",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("available_from", loyaldesk.kernel.orm.UTCDateTime(timezone=True), nullable=True),
        sa.Column("available_until", loyaldesk.kernel.orm.UTCDateTime(timezone=True), nullable=True),
        sa.Column("stock", sa.Integer(), nullable=True),
        sa.Column("issued_count", sa.Integer(), nullable=False),
        sa.Column("min_tier_rank", sa.Integer(), nullable=True),
        sa.Column(
            "segments",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("early_access_days", sa.Integer(), nullable=False),
        sa.Column("code_valid_days", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", loyaldesk.kernel.orm.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", loyaldesk.kernel.orm.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_loyalty_rewards_store_id_stores"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_rewards")),
    )
    with op.batch_alter_table("loyalty_rewards", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_loyalty_rewards_store_id"), ["store_id"], unique=False)

    op.create_table(
        "loyalty_rules",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("store_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column(
            "config",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", loyaldesk.kernel.orm.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", loyaldesk.kernel.orm.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_loyalty_rules_store_id_stores"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_rules")),
    )
    with op.batch_alter_table("loyalty_rules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_loyalty_rules_store_id"), ["store_id"], unique=False)

    op.create_table(
        "loyalty_tiers",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("store_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.BigInteger(), nullable=False),
        sa.Column("earn_multiplier", sa.String(length=16), nullable=False),
        sa.Column(
            "perks",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("entry_reward_points", sa.Integer(), nullable=False),
        sa.Column("membership_sku", sa.String(length=255), nullable=True),
        sa.Column("membership_days", sa.Integer(), nullable=False),
        sa.Column("support_priority", sa.String(length=16), nullable=False),
        sa.Column("created_at", loyaldesk.kernel.orm.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_loyalty_tiers_store_id_stores"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_tiers")),
        sa.UniqueConstraint("store_id", "rank", name=op.f("uq_loyalty_tiers_store_id_rank")),
    )
    with op.batch_alter_table("loyalty_tiers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_loyalty_tiers_store_id"), ["store_id"], unique=False)

    op.create_table(
        "loyalty_members",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("store_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("enrolled_at", loyaldesk.kernel.orm.UTCDateTime(timezone=True), nullable=False),
        sa.Column("available_points", sa.BigInteger(), nullable=False),
        sa.Column("pending_points", sa.BigInteger(), nullable=False),
        sa.Column("lifetime_earned_points", sa.BigInteger(), nullable=False),
        sa.Column("lifetime_redeemed_points", sa.BigInteger(), nullable=False),
        sa.Column("tier_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("tier_qualified_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("tier_retained_until", loyaldesk.kernel.orm.UTCDateTime(timezone=True), nullable=True),
        sa.Column("tier_override_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("membership_tier_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("membership_until", loyaldesk.kernel.orm.UTCDateTime(timezone=True), nullable=True),
        sa.Column("tier_review_at", loyaldesk.kernel.orm.UTCDateTime(timezone=True), nullable=True),
        sa.Column("referral_code", sa.String(length=16), nullable=False),
        sa.Column("last_activity_at", loyaldesk.kernel.orm.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_loyalty_members_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["membership_tier_id"],
            ["loyalty_tiers.id"],
            name=op.f("fk_loyalty_members_membership_tier_id_loyalty_tiers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_loyalty_members_store_id_stores"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tier_id"],
            ["loyalty_tiers.id"],
            name=op.f("fk_loyalty_members_tier_id_loyalty_tiers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tier_override_id"],
            ["loyalty_tiers.id"],
            name=op.f("fk_loyalty_members_tier_override_id_loyalty_tiers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tier_qualified_id"],
            ["loyalty_tiers.id"],
            name=op.f("fk_loyalty_members_tier_qualified_id_loyalty_tiers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_members")),
        sa.UniqueConstraint("customer_id", name=op.f("uq_loyalty_members_customer_id")),
        sa.UniqueConstraint(
            "store_id", "referral_code", name=op.f("uq_loyalty_members_store_id_referral_code")
        ),
    )
    with op.batch_alter_table("loyalty_members", schema=None) as batch_op:
        batch_op.create_index("ix_loyalty_members_store_id_id", ["store_id", "id"], unique=False)
        batch_op.create_index("ix_loyalty_members_tier_review", ["tier_review_at"], unique=False)

    op.create_table(
        "loyalty_action_awards",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("rule_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("awarded_at", loyaldesk.kernel.orm.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["loyalty_members.id"],
            name=op.f("fk_loyalty_action_awards_member_id_loyalty_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["loyalty_rules.id"],
            name=op.f("fk_loyalty_action_awards_rule_id_loyalty_rules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_action_awards")),
    )
    with op.batch_alter_table("loyalty_action_awards", schema=None) as batch_op:
        batch_op.create_index("ix_loyalty_action_awards_member_rule", ["member_id", "rule_id"], unique=False)

    op.create_table(
        "loyalty_entries",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("store_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("reason_code", sa.String(length=40), nullable=True),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("reward_code_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("actor_label", sa.String(length=320), nullable=False),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", loyaldesk.kernel.orm.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["loyalty_members.id"],
            name=op.f("fk_loyalty_entries_member_id_loyalty_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_loyalty_entries_store_id_stores"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_entries")),
        sa.UniqueConstraint(
            "store_id", "idempotency_key", name=op.f("uq_loyalty_entries_store_id_idempotency_key")
        ),
    )
    with op.batch_alter_table("loyalty_entries", schema=None) as batch_op:
        batch_op.create_index("ix_loyalty_entries_member_id_id", ["member_id", "id"], unique=False)
        batch_op.create_index("ix_loyalty_entries_order", ["order_id"], unique=False)

    op.create_table(
        "loyalty_lots",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("store_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("remaining", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("earned_at", loyaldesk.kernel.orm.UTCDateTime(timezone=True), nullable=False),
        sa.Column("pending_until", loyaldesk.kernel.orm.UTCDateTime(timezone=True), nullable=True),
        sa.Column("expires_at", loyaldesk.kernel.orm.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "line_points",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["loyalty_members.id"],
            name=op.f("fk_loyalty_lots_member_id_loyalty_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_lots")),
    )
    with op.batch_alter_table("loyalty_lots", schema=None) as batch_op:
        batch_op.create_index("ix_loyalty_lots_expiry", ["status", "expires_at"], unique=False)
        batch_op.create_index("ix_loyalty_lots_member_status", ["member_id", "status", "id"], unique=False)
        batch_op.create_index("ix_loyalty_lots_order", ["order_id"], unique=False)
        batch_op.create_index("ix_loyalty_lots_unlock", ["status", "pending_until"], unique=False)

    op.create_table(
        "loyalty_member_actions",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("store_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("event_name", sa.String(length=64), nullable=True),
        sa.Column("external_id", sa.String(length=150), nullable=False),
        sa.Column("occurred_at", loyaldesk.kernel.orm.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["loyalty_members.id"],
            name=op.f("fk_loyalty_member_actions_member_id_loyalty_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_loyalty_member_actions_store_id_stores"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_member_actions")),
        sa.UniqueConstraint(
            "store_id", "external_id", name=op.f("uq_loyalty_member_actions_store_id_external_id")
        ),
    )
    with op.batch_alter_table("loyalty_member_actions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_loyalty_member_actions_member_action", ["member_id", "action"], unique=False
        )

    op.create_table(
        "loyalty_member_badges",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("badge_code", sa.String(length=40), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("awarded_at", loyaldesk.kernel.orm.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["loyalty_members.id"],
            name=op.f("fk_loyalty_member_badges_member_id_loyalty_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_member_badges")),
        sa.UniqueConstraint(
            "member_id",
            "badge_code",
            "level",
            name=op.f("uq_loyalty_member_badges_member_id_badge_code_level"),
        ),
    )
    op.create_table(
        "loyalty_referrals",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("store_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("referrer_member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "referred_customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column(
            "reasons",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", loyaldesk.kernel.orm.UTCDateTime(timezone=True), nullable=False),
        sa.Column("qualified_order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("friend_rewarded_at", loyaldesk.kernel.orm.UTCDateTime(timezone=True), nullable=True),
        sa.Column("referrer_rewarded_at", loyaldesk.kernel.orm.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=320), nullable=True),
        sa.ForeignKeyConstraint(
            ["referred_customer_id"],
            ["customers.id"],
            name=op.f("fk_loyalty_referrals_referred_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["referrer_member_id"],
            ["loyalty_members.id"],
            name=op.f("fk_loyalty_referrals_referrer_member_id_loyalty_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_loyalty_referrals_store_id_stores"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_referrals")),
        sa.UniqueConstraint("referred_customer_id", name=op.f("uq_loyalty_referrals_referred_customer_id")),
    )
    with op.batch_alter_table("loyalty_referrals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_loyalty_referrals_qualified_order_id"), ["qualified_order_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_loyalty_referrals_store_id"), ["store_id"], unique=False)

    op.create_table(
        "loyalty_reward_codes",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("store_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("reward_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("points_spent", sa.Integer(), nullable=False),
        sa.Column("redeem_entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("return_entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("issued_at", loyaldesk.kernel.orm.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", loyaldesk.kernel.orm.UTCDateTime(timezone=True), nullable=True),
        sa.Column("used_at", loyaldesk.kernel.orm.UTCDateTime(timezone=True), nullable=True),
        sa.Column("used_order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("cancelled_at", loyaldesk.kernel.orm.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["loyalty_members.id"],
            name=op.f("fk_loyalty_reward_codes_member_id_loyalty_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reward_id"],
            ["loyalty_rewards.id"],
            name=op.f("fk_loyalty_reward_codes_reward_id_loyalty_rewards"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_loyalty_reward_codes_store_id_stores"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_reward_codes")),
        sa.UniqueConstraint("store_id", "code", name=op.f("uq_loyalty_reward_codes_store_id_code")),
    )
    with op.batch_alter_table("loyalty_reward_codes", schema=None) as batch_op:
        batch_op.create_index("ix_loyalty_reward_codes_expiry", ["status", "expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_loyalty_reward_codes_member_id"), ["member_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_loyalty_reward_codes_redeem_entry_id"), ["redeem_entry_id"], unique=False
        )

    op.create_table(
        "loyalty_lot_movements",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("lot_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["lot_id"],
            ["loyalty_lots.id"],
            name=op.f("fk_loyalty_lot_movements_lot_id_loyalty_lots"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_lot_movements")),
    )
    with op.batch_alter_table("loyalty_lot_movements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_loyalty_lot_movements_lot_id"), ["lot_id"], unique=False)

    op.create_table(
        "loyalty_postings",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("store_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("account", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["loyalty_entries.id"],
            name=op.f("fk_loyalty_postings_entry_id_loyalty_entries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_postings")),
    )
    with op.batch_alter_table("loyalty_postings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_loyalty_postings_entry_id"), ["entry_id"], unique=False)
        batch_op.create_index("ix_loyalty_postings_member_account", ["member_id", "account"], unique=False)

    for table in APPEND_ONLY:
        _make_append_only(table)


APPEND_ONLY = ("loyalty_entries", "loyalty_postings", "loyalty_lot_movements")


def _make_append_only(table: str) -> None:
    """Refuse UPDATE and DELETE on ``table`` in the database itself, whoever connects."""
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )
    else:
        op.execute(
            f"CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{table} is append-only'; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()"
        )


def _drop_append_only(table: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    else:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {table}_append_only()")


def downgrade() -> None:
    for table in APPEND_ONLY:
        _drop_append_only(table)
    with op.batch_alter_table("loyalty_postings", schema=None) as batch_op:
        batch_op.drop_index("ix_loyalty_postings_member_account")
        batch_op.drop_index(batch_op.f("ix_loyalty_postings_entry_id"))

    op.drop_table("loyalty_postings")
    with op.batch_alter_table("loyalty_lot_movements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loyalty_lot_movements_lot_id"))

    op.drop_table("loyalty_lot_movements")
    with op.batch_alter_table("loyalty_reward_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loyalty_reward_codes_redeem_entry_id"))
        batch_op.drop_index(batch_op.f("ix_loyalty_reward_codes_member_id"))
        batch_op.drop_index("ix_loyalty_reward_codes_expiry")

    op.drop_table("loyalty_reward_codes")
    with op.batch_alter_table("loyalty_referrals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loyalty_referrals_store_id"))
        batch_op.drop_index(batch_op.f("ix_loyalty_referrals_qualified_order_id"))

    op.drop_table("loyalty_referrals")
    op.drop_table("loyalty_member_badges")
    with op.batch_alter_table("loyalty_member_actions", schema=None) as batch_op:
        batch_op.drop_index("ix_loyalty_member_actions_member_action")

    op.drop_table("loyalty_member_actions")
    with op.batch_alter_table("loyalty_lots", schema=None) as batch_op:
        batch_op.drop_index("ix_loyalty_lots_unlock")
        batch_op.drop_index("ix_loyalty_lots_order")
        batch_op.drop_index("ix_loyalty_lots_member_status")
        batch_op.drop_index("ix_loyalty_lots_expiry")

    op.drop_table("loyalty_lots")
    with op.batch_alter_table("loyalty_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_loyalty_entries_order")
        batch_op.drop_index("ix_loyalty_entries_member_id_id")

    op.drop_table("loyalty_entries")
    with op.batch_alter_table("loyalty_action_awards", schema=None) as batch_op:
        batch_op.drop_index("ix_loyalty_action_awards_member_rule")

    op.drop_table("loyalty_action_awards")
    with op.batch_alter_table("loyalty_members", schema=None) as batch_op:
        batch_op.drop_index("ix_loyalty_members_tier_review")
        batch_op.drop_index("ix_loyalty_members_store_id_id")

    op.drop_table("loyalty_members")
    with op.batch_alter_table("loyalty_tiers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loyalty_tiers_store_id"))

    op.drop_table("loyalty_tiers")
    with op.batch_alter_table("loyalty_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loyalty_rules_store_id"))

    op.drop_table("loyalty_rules")
    with op.batch_alter_table("loyalty_rewards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loyalty_rewards_store_id"))

    op.drop_table("loyalty_rewards")
    op.drop_table("loyalty_programs")
