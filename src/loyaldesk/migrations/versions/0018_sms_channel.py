"""The SMS channel: each store's provider account (sms_settings).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import loyaldesk.kernel.orm

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sms_settings",
        sa.Column("store_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("base_url", sa.String(length=500), nullable=False),
        sa.Column("account_sid", sa.String(length=64), nullable=False),
        sa.Column("auth_token", sa.String(length=128), nullable=False),
        sa.Column("sender", sa.String(length=64), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("default_region", sa.String(length=2), nullable=False),
        sa.Column("updated_at", loyaldesk.kernel.orm.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_sms_settings_store_id_stores"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("store_id", name=op.f("pk_sms_settings")),
    )


def downgrade() -> None:
    op.drop_table("sms_settings")
