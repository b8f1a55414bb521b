"""The assistant's dialogue: its settings per store, its state per conversation, and which conversations
it answers (``support_conversations.assistant_active``: not routed, no SLA clock).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 02:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import loyaldesk.kernel.orm

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
WHEN = loyaldesk.kernel.orm.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "assistant_settings",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("store_id", ID, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("display_name", sa.String(length=80), nullable=False),
        sa.Column("people_first_tiers", JSON, nullable=False),
        sa.Column("low_confidence_limit", sa.Integer(), nullable=False),
        sa.Column("llm_base_url", sa.String(length=500), nullable=True),
        sa.Column("llm_model", sa.String(length=200), nullable=True),
        sa.Column("llm_api_key", sa.String(length=500), nullable=True),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_assistant_settings_store_id_stores"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assistant_settings")),
        sa.UniqueConstraint("store_id", name=op.f("uq_assistant_settings_store_id")),
    )
    op.create_table(
        "assistant_conversations",
        sa.Column("conversation_id", ID, nullable=False),
        sa.Column("store_id", ID, nullable=False),
        sa.Column("contact_id", ID, nullable=False),
        sa.Column("customer_id", ID, nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("intent", sa.String(length=80), nullable=True),
        sa.Column("last_intent", sa.String(length=80), nullable=True),
        sa.Column("last_confidence", sa.Float(), nullable=True),
        sa.Column("pending_intent", sa.String(length=80), nullable=True),
        sa.Column("pending_slot", sa.String(length=40), nullable=True),
        sa.Column("resume_intent", sa.String(length=80), nullable=True),
        sa.Column("slots", JSON, nullable=False),
        sa.Column("low_confidence_turns", sa.Integer(), nullable=False),
        sa.Column("misses", sa.Integer(), nullable=False),
        sa.Column("answers", sa.Integer(), nullable=False),
        sa.Column("intent_counts", JSON, nullable=False),
        sa.Column("customer_texts", JSON, nullable=False),
        sa.Column("tool_calls", JSON, nullable=False),
        sa.Column("articles", JSON, nullable=False),
        sa.Column("order_ids", JSON, nullable=False),
        sa.Column("last_sentiment", sa.Float(), nullable=True),
        sa.Column("llm_draft", JSON, nullable=True),
        sa.Column("last_answer", sa.String(length=4000), nullable=True),
        sa.Column("last_answer_at", WHEN, nullable=True),
        sa.Column("handoff_reason", sa.String(length=32), nullable=True),
        sa.Column("handed_off_at", WHEN, nullable=True),
        sa.Column("handed_back_at", WHEN, nullable=True),
        sa.Column("reopened_at", WHEN, nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["support_contacts.id"],
            name=op.f("fk_assistant_conversations_contact_id_support_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["support_conversations.id"],
            name=op.f("fk_assistant_conversations_conversation_id_support_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_assistant_conversations_customer_id_customers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_assistant_conversations_store_id_stores"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_assistant_conversations")),
    )
    with op.batch_alter_table("assistant_conversations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assistant_conversations_store_id"), ["store_id"], unique=False)
    with op.batch_alter_table("support_conversations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("assistant_active", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("support_conversations", schema=None) as batch_op:
        batch_op.drop_column("assistant_active")
    with op.batch_alter_table("assistant_conversations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assistant_conversations_store_id"))
    op.drop_table("assistant_conversations")
    op.drop_table("assistant_settings")
