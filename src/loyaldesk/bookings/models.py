"""Expert sessions' tables: each expert's schedule (weekly hours, date overrides), the session types and
the experts who host them, the *occurrences* (one expert busy from one start) with their seats, and the
waitlist.

The database itself refuses a double booking (decision 0037): two live occurrences of one expert never
overlap, buffers included. ``blocked_from``/``blocked_until`` store the session widened by its buffers
(``rules.slots.buffered_span``) and the spans of one expert's live occurrences must not overlap (half-open:
spans that only touch are allowed, as in the slot rule). PostgreSQL enforces it with an exclusion
constraint on range types, SQLite with triggers (its writers are serialised by ``BEGIN IMMEDIATE``). Both
are created here for schemas built from the metadata and, identically, by migration 0029.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    DDL,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from loyaldesk.kernel.orm import Base, IdType, JSONType, UTCDateTime


class Schedule(Base):
    """When one expert (a staff account of the store) can be booked: the IANA ``time_zone`` their hours
    are read in, buffers kept free before and after each session, the minimum notice, the cap of sessions
    per local day (``None``: none) and the step between offered starts (``None``: the session's length).
    Its weekly hours and date overrides are rows of their own. See ``rules.schedules.Schedule``."""

    __tablename__ = "bookings_schedules"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id", ondelete="CASCADE"))
    time_zone: Mapped[str] = mapped_column(String(64))
    buffer_before_minutes: Mapped[int] = mapped_column(Integer, default=0)
    buffer_after_minutes: Mapped[int] = mapped_column(Integer, default=0)
    minimum_notice_minutes: Mapped[int] = mapped_column(Integer, default=0)
    max_per_day: Mapped[int | None] = mapped_column(Integer)
    slot_step_minutes: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("store_id", "user_id"),
        CheckConstraint(
            "buffer_before_minutes >= 0 AND buffer_after_minutes >= 0 AND minimum_notice_minutes >= 0",
            name="durations",
        ),
        CheckConstraint("max_per_day IS NULL OR max_per_day >= 1", name="max_per_day"),
        CheckConstraint("slot_step_minutes IS NULL OR slot_step_minutes >= 1", name="slot_step"),
    )


class WeeklyHours(Base):
    """One working range of a schedule on a weekday (0 Monday .. 6 Sunday), in minutes of the local day
    (``end_minute`` 1440 is midnight at the end of the day). A weekday may have several ranges."""

    __tablename__ = "bookings_weekly_hours"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(IdType)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("bookings_schedules.id", ondelete="CASCADE"))
    weekday: Mapped[int] = mapped_column(Integer)
    start_minute: Mapped[int] = mapped_column(Integer)
    end_minute: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_bookings_weekly_hours_schedule", "schedule_id", "weekday"),
        CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday"),
        CheckConstraint(
            "start_minute >= 0 AND start_minute < end_minute AND end_minute <= 1440", name="range"
        ),
    )


class DateOverride(Base):
    """A local date whose working ranges replace its weekday's: one row per range, or one row with both
    minutes null for a day off."""

    __tablename__ = "bookings_date_overrides"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(IdType)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("bookings_schedules.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    start_minute: Mapped[int | None] = mapped_column(Integer)
    end_minute: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_bookings_date_overrides_schedule", "schedule_id", "day"),
        CheckConstraint(
            "(start_minute IS NULL AND end_minute IS NULL) OR "
            "(start_minute >= 0 AND start_minute < end_minute AND end_minute <= 1440)",
            name="range",
        ),
    )


class SessionType(Base):
    """A kind of session a shopper books: its length, how many shoppers it seats (1: one-to-one), its
    price in points (or free for the tiers in ``free_for_tier_ids``), where it takes place (``mode``,
    ``vocab.SessionMode``), how its host is chosen (``host_assignment``, ``vocab.HostAssignment``), the
    windows inside which cancelling and rescheduling stay allowed, how long a hold lasts, and the points a
    no-show costs (``None``: nothing)."""

    __tablename__ = "bookings_session_types"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    length_minutes: Mapped[int] = mapped_column(Integer)
    capacity: Mapped[int] = mapped_column(Integer, default=1)
    price_points: Mapped[int] = mapped_column(Integer, default=0)
    free_for_tier_ids: Mapped[list[int]] = mapped_column(JSONType, default=list)
    mode: Mapped[str] = mapped_column(String(16))
    host_assignment: Mapped[str] = mapped_column(String(32))
    cancel_window_hours: Mapped[int] = mapped_column(Integer, default=24)
    reschedule_window_hours: Mapped[int] = mapped_column(Integer, default=24)
    hold_minutes: Mapped[int] = mapped_column(Integer, default=10)
    no_show_points: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("store_id", "slug"),
        CheckConstraint("length_minutes >= 1", name="length"),
        CheckConstraint("capacity >= 1", name="capacity"),
        CheckConstraint("price_points >= 0", name="price"),
        CheckConstraint(
            "cancel_window_hours >= 0 AND reschedule_window_hours >= 0 AND hold_minutes >= 1", name="windows"
        ),
        CheckConstraint("no_show_points IS NULL OR no_show_points >= 0", name="no_show_points"),
    )


class SessionTypeHost(Base):
    """An expert (their schedule) who hosts a session type; ``priority`` orders them for round robin by
    priority (the lowest number first; ties: the older schedule)."""

    __tablename__ = "bookings_session_type_hosts"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(IdType)
    session_type_id: Mapped[int] = mapped_column(ForeignKey("bookings_session_types.id", ondelete="CASCADE"))
    schedule_id: Mapped[int] = mapped_column(ForeignKey("bookings_schedules.id", ondelete="CASCADE"))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("session_type_id", "schedule_id"),
        Index("ix_bookings_session_type_hosts_schedule", "schedule_id"),
    )


class Occurrence(Base):
    """One expert busy with one session from ``starts_at`` to ``ends_at``: the row the seats of that
    session share. ``blocked_from``/``blocked_until`` are the session widened by the expert's buffers (the
    span no other live occurrence of the expert may overlap: the database refuses it); ``seats_taken``
    counts the live seats and never exceeds ``capacity`` (a CHECK; seats are taken by an atomic update).
    An occurrence whose last seat is given back becomes inactive and frees the expert's time; at most one
    live occurrence exists per expert and start."""

    __tablename__ = "bookings_occurrences"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    schedule_id: Mapped[int] = mapped_column(ForeignKey("bookings_schedules.id", ondelete="CASCADE"))
    session_type_id: Mapped[int] = mapped_column(ForeignKey("bookings_session_types.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    blocked_from: Mapped[datetime] = mapped_column(UTCDateTime())
    blocked_until: Mapped[datetime] = mapped_column(UTCDateTime())
    capacity: Mapped[int] = mapped_column(Integer)
    seats_taken: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index(
            "ix_bookings_occurrences_live_start",
            "schedule_id",
            "starts_at",
            unique=True,
            postgresql_where=text("active"),
            sqlite_where=text("active"),
        ),
        Index("ix_bookings_occurrences_schedule_blocked", "schedule_id", "blocked_from"),
        Index("ix_bookings_occurrences_store_start", "store_id", "starts_at"),
        CheckConstraint("seats_taken >= 0 AND seats_taken <= capacity", name="seats"),
        CheckConstraint("capacity >= 1", name="capacity"),
        CheckConstraint(
            "starts_at < ends_at AND blocked_from <= starts_at AND ends_at <= blocked_until", name="span"
        ),
    )


class Seat(Base):
    """One customer's place in an occurrence: a hold (``status`` held, until ``hold_expires_at``) or a
    booking, and its history (``vocab.BookingStatus``). ``points_paid`` and the ledger idempotency keys
    of its payment and refund tie it to the points ledger. A customer holds at most one live seat per
    occurrence."""

    __tablename__ = "bookings_seats"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(IdType)
    occurrence_id: Mapped[int] = mapped_column(ForeignKey("bookings_occurrences.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(IdType)
    member_id: Mapped[int | None] = mapped_column(IdType)
    status: Mapped[str] = mapped_column(String(16))
    hold_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    points_paid: Mapped[int] = mapped_column(Integer, default=0)
    pay_ledger_key: Mapped[str | None] = mapped_column(String(200))
    refund_ledger_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index(
            "ix_bookings_seats_live_customer",
            "occurrence_id",
            "customer_id",
            unique=True,
            postgresql_where=text("status IN ('held', 'confirmed')"),
            sqlite_where=text("status IN ('held', 'confirmed')"),
        ),
        Index("ix_bookings_seats_customer", "store_id", "customer_id"),
        Index(
            "ix_bookings_seats_hold_expiry",
            "hold_expires_at",
            postgresql_where=text("status = 'held'"),
            sqlite_where=text("status = 'held'"),
        ),
        CheckConstraint("points_paid >= 0", name="points_paid"),
    )


class WaitlistEntry(Base):
    """A customer waiting for a slot of a session type between ``wanted_from`` and ``wanted_until``; a
    freed slot is offered (``offered_at``, ``offered_occurrence_id``) and the first to accept wins
    (``vocab.WaitlistStatus``)."""

    __tablename__ = "bookings_waitlist"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(IdType)
    session_type_id: Mapped[int] = mapped_column(ForeignKey("bookings_session_types.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(IdType)
    wanted_from: Mapped[datetime] = mapped_column(UTCDateTime())
    wanted_until: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16))
    offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    offered_occurrence_id: Mapped[int | None] = mapped_column(IdType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_bookings_waitlist_type_status", "session_type_id", "status", "created_at"),
        Index("ix_bookings_waitlist_customer", "store_id", "customer_id"),
        CheckConstraint("wanted_from < wanted_until", name="window"),
    )


# -- the database's own refusal of overlapping live occurrences of one expert -----------------------------
# The same statements are in migration 0029 (migrations are snapshots: they do not import this module).

OVERLAP_MESSAGE = "bookings: the expert is already booked then"
EXCLUSION_CONSTRAINT = "ex_bookings_occurrences_no_overlap"

POSTGRESQL_EXCLUSION = (
    f"ALTER TABLE bookings_occurrences ADD CONSTRAINT {EXCLUSION_CONSTRAINT} EXCLUDE USING gist ("
    "int8range(schedule_id, schedule_id, '[]') WITH &&, "
    "tstzrange(blocked_from, blocked_until) WITH &&) WHERE (active)"
)

# ``o.id IS NOT NEW.id``: on insert NEW.id may still be NULL (the rowid is assigned after BEFORE triggers).
_SQLITE_OVERLAP_CHECK = (
    f"SELECT RAISE(ABORT, '{OVERLAP_MESSAGE}') WHERE EXISTS ("
    "SELECT 1 FROM bookings_occurrences AS o WHERE o.schedule_id = NEW.schedule_id AND o.active "
    "AND o.id IS NOT NEW.id AND o.blocked_from < NEW.blocked_until AND NEW.blocked_from < o.blocked_until);"
)
SQLITE_TRIGGERS = (
    "CREATE TRIGGER bookings_occurrences_no_overlap_insert BEFORE INSERT ON bookings_occurrences "
    f"FOR EACH ROW WHEN NEW.active BEGIN {_SQLITE_OVERLAP_CHECK} END",
    "CREATE TRIGGER bookings_occurrences_no_overlap_update "
    "BEFORE UPDATE OF blocked_from, blocked_until, active, schedule_id ON bookings_occurrences "
    f"FOR EACH ROW WHEN NEW.active BEGIN {_SQLITE_OVERLAP_CHECK} END",
)

event.listen(Occurrence.__table__, "after_create", DDL(POSTGRESQL_EXCLUSION).execute_if(dialect="postgresql"))
for _trigger in SQLITE_TRIGGERS:
    event.listen(Occurrence.__table__, "after_create", DDL(_trigger).execute_if(dialect="sqlite"))
