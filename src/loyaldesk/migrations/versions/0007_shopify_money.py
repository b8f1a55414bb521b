"""Shopify's money, exactly: notes kept on an order, and order revisions (edits applied to its lines).

``order_notes`` holds the warnings and notes about an order's amounts that the console and the API show
with it. ``orders.revision`` / ``order_lines.revision`` count the edits applied since the order was
received, and ``orders.lines_as_of`` is when the store last stated the lines. Existing orders and lines
start at revision 0 (as first received) with no ``lines_as_of``: the next full statement of their lines
is taken as newer.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 16:08:27.343171
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import loyaldesk.kernel.orm

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "order_notes",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("store_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("topic", sa.String(length=32), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("created_at", loyaldesk.kernel.orm.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_notes_order_id_orders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_order_notes_store_id_stores"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_notes")),
        sa.UniqueConstraint("order_id", "key", name=op.f("uq_order_notes_order_id_key")),
    )
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(
            sa.Column("lines_as_of", loyaldesk.kernel.orm.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("lines_as_of")
        batch_op.drop_column("revision")
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_column("revision")
    op.drop_table("order_notes")
