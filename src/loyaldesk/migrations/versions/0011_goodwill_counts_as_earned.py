"""Loyalty: points given as goodwill or service recovery count in each member's points earned.

From now on the ledger adds them to ``lifetime_earned_points`` as it credits them; this brings the members
credited before up to date (and takes them out again on downgrade). Data only: no table changes.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As loyalty.rules.ledger.EARNED_ADJUSTMENT_REASONS had it when this was written (a migration must not
# change with the code).
_GOODWILL = """
    SELECT COALESCE(SUM(e.points), 0) FROM loyalty_entries e
    WHERE e.member_id = loyalty_members.id AND e.kind = 'adjust' AND e.points > 0
      AND e.reason_code IN ('goodwill', 'service_recovery')
"""


def upgrade() -> None:
    op.execute(
        sa.text(f"UPDATE loyalty_members SET lifetime_earned_points = lifetime_earned_points + ({_GOODWILL})")
    )


def downgrade() -> None:
    op.execute(
        sa.text(f"UPDATE loyalty_members SET lifetime_earned_points = lifetime_earned_points - ({_GOODWILL})")
    )
