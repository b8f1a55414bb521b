"""The assistant's tools: return requests, order proofs (one-time codes), the desk's return window and
shipping information, and the shipment (carrier, tracking) on orders.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 02:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import loyaldesk.kernel.orm

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "return_requests",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("store_id", _ID, nullable=False),
        sa.Column("order_id", _ID, nullable=False),
        sa.Column("customer_id", _ID, nullable=True),
        sa.Column("conversation_id", _ID, nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("request_key", sa.String(length=200), nullable=False),
        sa.Column("window_ends_at", loyaldesk.kernel.orm.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", loyaldesk.kernel.orm.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", loyaldesk.kernel.orm.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["support_conversations.id"],
            name=op.f("fk_return_requests_conversation_id_support_conversations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_return_requests_customer_id_customers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_return_requests_order_id_orders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_return_requests_store_id_stores"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_requests")),
        sa.UniqueConstraint("store_id", "request_key", name=op.f("uq_return_requests_store_id_request_key")),
    )
    op.create_index("ix_return_requests_store_created", "return_requests", ["store_id", "created_at"])
    op.create_index(op.f("ix_return_requests_order_id"), "return_requests", ["order_id"])
    op.create_table(
        "order_proofs",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("store_id", _ID, nullable=False),
        sa.Column("conversation_id", _ID, nullable=False),
        sa.Column("order_id", _ID, nullable=True),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("expires_at", loyaldesk.kernel.orm.UTCDateTime(timezone=True), nullable=False),
        sa.Column("verified_at", loyaldesk.kernel.orm.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", loyaldesk.kernel.orm.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["support_conversations.id"],
            name=op.f("fk_order_proofs_conversation_id_support_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_proofs_order_id_orders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_order_proofs_store_id_stores"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_proofs")),
    )
    op.create_index("ix_order_proofs_conversation_created", "order_proofs", ["conversation_id", "created_at"])
    op.create_index(op.f("ix_order_proofs_order_id"), "order_proofs", ["order_id"])
    with op.batch_alter_table("support_settings") as batch_op:
        batch_op.add_column(
            sa.Column("return_window_days", sa.Integer(), nullable=False, server_default="30")
        )
        batch_op.add_column(sa.Column("shipping_info", sa.Text(), nullable=True))
    with op.batch_alter_table("orders") as batch_op:
        batch_op.add_column(sa.Column("carrier", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("tracking_number", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("tracking_url", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch_op:
        batch_op.drop_column("tracking_url")
        batch_op.drop_column("tracking_number")
        batch_op.drop_column("carrier")
    with op.batch_alter_table("support_settings") as batch_op:
        batch_op.drop_column("shipping_info")
        batch_op.drop_column("return_window_days")
    op.drop_index(op.f("ix_order_proofs_order_id"), table_name="order_proofs")
    op.drop_index("ix_order_proofs_conversation_created", table_name="order_proofs")
    op.drop_table("order_proofs")
    op.drop_index(op.f("ix_return_requests_order_id"), table_name="return_requests")
    op.drop_index("ix_return_requests_store_created", table_name="return_requests")
    op.drop_table("return_requests")
