"""Call sessions' tables: one row per session (co-browsing, video, voice) with who, when and how long, and
the chunks of a co-browsing recording the shopper agreed to keep.

The database refuses a second *open* session (requested or active) of one kind in one conversation, and a
second open session of one booked seat (partial unique indexes, on both backends): two agents asking at
once get the same session. Created here for schemas built from the metadata and, identically, by
migration 0032.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from loyaldesk.kernel.orm import Base, IdType, UTCDateTime

OPEN_STATES_SQL = "state IN ('requested', 'active')"


class CallSession(Base):
    """One call session (see ``ports.CallSessionView`` for the meaning of each column).

    ``answered_at`` is when the other party answered (either way); ``started_at`` when it became active.
    ``history_message_id`` is the conversation's system note written when it ended (``None`` before, or
    without a conversation). ``bytes_relayed``/``frames_relayed`` are the gateway's figures at the end."""

    __tablename__ = "calls_sessions"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("support_conversations.id", ondelete="SET NULL")
    )
    booking_seat_id: Mapped[int | None] = mapped_column(ForeignKey("bookings_seats.id", ondelete="SET NULL"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("support_contacts.id", ondelete="SET NULL"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    agent_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id", ondelete="SET NULL"))
    requested_by: Mapped[str] = mapped_column(String(16))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_by: Mapped[str | None] = mapped_column(String(16))
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
    control_allowed: Mapped[bool] = mapped_column(Boolean, default=False)
    recording_allowed: Mapped[bool] = mapped_column(Boolean, default=False)
    audio_only: Mapped[bool] = mapped_column(Boolean, default=False)
    bytes_relayed: Mapped[int] = mapped_column(BigInteger, default=0)
    frames_relayed: Mapped[int] = mapped_column(BigInteger, default=0)
    history_message_id: Mapped[int | None] = mapped_column(IdType)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        CheckConstraint("kind IN ('cobrowse', 'video', 'voice')", name="kind"),
        CheckConstraint("state IN ('requested', 'active', 'declined', 'ended', 'missed')", name="state"),
        CheckConstraint("duration_seconds IS NULL OR duration_seconds >= 0", name="duration"),
        Index(
            "ix_calls_sessions_one_open_per_conversation",
            "conversation_id",
            "kind",
            unique=True,
            postgresql_where=text(OPEN_STATES_SQL),
            sqlite_where=text(OPEN_STATES_SQL),
        ),
        Index(
            "ix_calls_sessions_one_open_per_seat",
            "booking_seat_id",
            unique=True,
            postgresql_where=text(OPEN_STATES_SQL),
            sqlite_where=text(OPEN_STATES_SQL),
        ),
        Index("ix_calls_sessions_store_requested", "store_id", "requested_at"),
        Index("ix_calls_sessions_contact", "contact_id", "state"),
        Index("ix_calls_sessions_customer", "customer_id"),
    )


class RecordingChunk(Base):
    """One chunk of a co-browsing recording: rrweb events (JSON, sanitised by the server before they were
    relayed) in the order received (``sequence`` from 1 per session)."""

    __tablename__ = "calls_recording_chunks"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(IdType)
    session_id: Mapped[int] = mapped_column(ForeignKey("calls_sessions.id", ondelete="CASCADE"))
    sequence: Mapped[int] = mapped_column(Integer)
    events_json: Mapped[str] = mapped_column(Text)
    size_bytes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_calls_recording_chunks_session", "session_id", "sequence", unique=True),)
