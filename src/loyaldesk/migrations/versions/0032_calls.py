"""Calls: call sessions (co-browsing, video, voice; at most one open per conversation and kind, one open per
booked seat) and the chunks of the co-browsing recordings shoppers agreed to keep.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-07 20:50:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import loyaldesk.kernel.orm

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
OPEN_STATES = sa.text("state IN ('requested', 'active')")


def upgrade() -> None:
    op.create_table(
        "calls_sessions",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("store_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("conversation_id", ID, nullable=True),
        sa.Column("booking_seat_id", ID, nullable=True),
        sa.Column("contact_id", ID, nullable=True),
        sa.Column("customer_id", ID, nullable=True),
        sa.Column("agent_user_id", ID, nullable=True),
        sa.Column("requested_by", sa.String(length=16), nullable=False),
        sa.Column("requested_at", loyaldesk.kernel.orm.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", loyaldesk.kernel.orm.UTCDateTime(timezone=True), nullable=True),
        sa.Column("started_at", loyaldesk.kernel.orm.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", loyaldesk.kernel.orm.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.String(length=16), nullable=True),
        sa.Column("duration_seconds", sa.Integer(), nullable=True),
        sa.Column("control_allowed", sa.Boolean(), nullable=False),
        sa.Column("recording_allowed", sa.Boolean(), nullable=False),
        sa.Column("audio_only", sa.Boolean(), nullable=False),
        sa.Column("bytes_relayed", sa.BigInteger(), nullable=False),
        sa.Column("frames_relayed", sa.BigInteger(), nullable=False),
        sa.Column("history_message_id", ID, nullable=True),
        sa.Column("updated_at", loyaldesk.kernel.orm.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('cobrowse', 'video', 'voice')", name=op.f("ck_calls_sessions_kind")),
        sa.CheckConstraint(
            "state IN ('requested', 'active', 'declined', 'ended', 'missed')",
            name=op.f("ck_calls_sessions_state"),
        ),
        sa.CheckConstraint(
            "duration_seconds IS NULL OR duration_seconds >= 0", name=op.f("ck_calls_sessions_duration")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_calls_sessions_store_id_stores"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["support_conversations.id"],
            name=op.f("fk_calls_sessions_conversation_id_support_conversations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["booking_seat_id"],
            ["bookings_seats.id"],
            name=op.f("fk_calls_sessions_booking_seat_id_bookings_seats"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["support_contacts.id"],
            name=op.f("fk_calls_sessions_contact_id_support_contacts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_calls_sessions_customer_id_customers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["agent_user_id"],
            ["staff_accounts.id"],
            name=op.f("fk_calls_sessions_agent_user_id_staff_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calls_sessions")),
    )
    with op.batch_alter_table("calls_sessions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_calls_sessions_one_open_per_conversation",
            ["conversation_id", "kind"],
            unique=True,
            postgresql_where=OPEN_STATES,
            sqlite_where=OPEN_STATES,
        )
        batch_op.create_index(
            "ix_calls_sessions_one_open_per_seat",
            ["booking_seat_id"],
            unique=True,
            postgresql_where=OPEN_STATES,
            sqlite_where=OPEN_STATES,
        )
        batch_op.create_index("ix_calls_sessions_store_requested", ["store_id", "requested_at"], unique=False)
        batch_op.create_index("ix_calls_sessions_contact", ["contact_id", "state"], unique=False)
        batch_op.create_index("ix_calls_sessions_customer", ["customer_id"], unique=False)

    op.create_table(
        "calls_recording_chunks",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("store_id", ID, nullable=False),
        sa.Column("session_id", ID, nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("events_json", sa.Text(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("created_at", loyaldesk.kernel.orm.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["calls_sessions.id"],
            name=op.f("fk_calls_recording_chunks_session_id_calls_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calls_recording_chunks")),
    )
    with op.batch_alter_table("calls_recording_chunks", schema=None) as batch_op:
        batch_op.create_index("ix_calls_recording_chunks_session", ["session_id", "sequence"], unique=True)


def downgrade() -> None:
    op.drop_table("calls_recording_chunks")
    op.drop_table("calls_sessions")
