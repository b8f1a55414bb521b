"""The loyalty program's start date, and an index to count each store's events still to be handled.

``loyalty_programs.starts_at``: orders placed before it earn nothing and customers first seen before it are
not enrolled on their own, so that importing a store's history does not pay it out. Existing programs
start when their store was created in loyaldesk, the same rule as for a new program: the orders a store
sent live since then keep earning exactly as before, points already credited for older orders stay (the
ledger is append-only; refunds of those orders still take their points back), and history imported from
now on earns nothing unless it is imported with ``--award-points``.

``ix_domain_events_undispatched_store``: a partial index (only events not yet dispatched) on the store,
so that the console's "catching up: N events left" notice is an index-only count.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 16:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import loyaldesk.kernel.orm

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("loyalty_programs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("starts_at", loyaldesk.kernel.orm.UTCDateTime(timezone=True), nullable=True)
        )
    op.execute(
        "UPDATE loyalty_programs SET starts_at = "
        "(SELECT stores.created_at FROM stores WHERE stores.id = loyalty_programs.store_id)"
    )
    with op.batch_alter_table("loyalty_programs", schema=None) as batch_op:
        batch_op.alter_column(
            "starts_at", existing_type=loyaldesk.kernel.orm.UTCDateTime(timezone=True), nullable=False
        )
    with op.batch_alter_table("domain_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_domain_events_undispatched_store",
            ["store_id"],
            unique=False,
            postgresql_where=sa.text("dispatched_at IS NULL"),
            sqlite_where=sa.text("dispatched_at IS NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("domain_events", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_domain_events_undispatched_store",
            postgresql_where=sa.text("dispatched_at IS NULL"),
            sqlite_where=sa.text("dispatched_at IS NULL"),
        )
    with op.batch_alter_table("loyalty_programs", schema=None) as batch_op:
        batch_op.drop_column("starts_at")
