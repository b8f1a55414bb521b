"""Analytics: each customer's RFM figures beside their segment in ``analytics_customer_scores`` (the "as
of" date they were computed for, days since the last order, orders, spend and the three scores), and an
index by segment, so that opening a segment or exporting it reads only that segment's rows, page by page.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 11:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("analytics_customer_scores", schema=None) as batch_op:
        batch_op.add_column(sa.Column("as_of", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("recency_days", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("frequency", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("monetary_minor", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("rfm", sa.String(length=3), nullable=True))
        batch_op.create_index(
            "ix_analytics_customer_scores_segment", ["store_id", "segment", "customer_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("analytics_customer_scores", schema=None) as batch_op:
        batch_op.drop_index("ix_analytics_customer_scores_segment")
        batch_op.drop_column("rfm")
        batch_op.drop_column("monetary_minor")
        batch_op.drop_column("frequency")
        batch_op.drop_column("recency_days")
        batch_op.drop_column("as_of")
