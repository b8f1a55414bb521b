"""Bookings: a session type's description, what the shopper gets from it (shown under its name on the member
page and in the member API).

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-07 18:55:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN on both backends (no batch copy of the table).
    op.add_column(
        "bookings_session_types", sa.Column("description", sa.Text(), nullable=False, server_default="")
    )


def downgrade() -> None:
    op.drop_column("bookings_session_types", "description")
