"""Analytics: each customer's cached scores (RFM segment, churn risk, expected value), read by journeys'
rule conditions by primary key.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import loyaldesk.kernel.orm

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "analytics_customer_scores",
        sa.Column(
            "store_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column(
            "customer_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("segment", sa.String(length=32), nullable=True),
        sa.Column("churn_risk", sa.Float(), nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("computed_at", loyaldesk.kernel.orm.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_analytics_customer_scores_store_id_stores"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("store_id", "customer_id", name=op.f("pk_analytics_customer_scores")),
    )


def downgrade() -> None:
    op.drop_table("analytics_customer_scores")
