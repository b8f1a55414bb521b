"""Support: an index on ``support_contacts (store_id, email)``, by which inbound mail finds the contact of a
sender who is not a known customer (it read every contact of the store).

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07 15:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("support_contacts", schema=None) as batch_op:
        batch_op.create_index("ix_support_contacts_store_email", ["store_id", "email"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("support_contacts", schema=None) as batch_op:
        batch_op.drop_index("ix_support_contacts_store_email")
