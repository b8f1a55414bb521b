"""Personal offers are told by a job after the launch: when each treatment member was told, and an index
of those not told yet.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 09:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import loyaldesk.kernel.orm

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNTOLD = "\"group\" = 'treatment' AND told_at IS NULL"


def upgrade() -> None:
    with op.batch_alter_table("recommendation_offer_assignments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("told_at", loyaldesk.kernel.orm.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            "ix_recommendation_offer_assignments_untold",
            ["offer_id", "customer_id"],
            unique=False,
            postgresql_where=sa.text(UNTOLD),
            sqlite_where=sa.text(UNTOLD),
        )
    # Offers launched before this revision told their treatment group in the launch itself.
    op.execute(
        "UPDATE recommendation_offer_assignments SET told_at = assigned_at WHERE \"group\" = 'treatment'"
    )


def downgrade() -> None:
    with op.batch_alter_table("recommendation_offer_assignments", schema=None) as batch_op:
        batch_op.drop_index("ix_recommendation_offer_assignments_untold")
        batch_op.drop_column("told_at")
