"""What the bookings actions take and what its queries give back (Pydantic v2, built on ``vocab``).

Input models validate what they can alone (clock texts, ranges that overlap or end before they start,
lengths and capacities, time zones) and name the field in each error (``kernel.validation.invalid_from``
turns a ``ValidationError`` into ``Invalid``); what needs the database (the expert is a staff account
of the store, tier ids, host schedules) is checked by the actions, also naming the field. All times
are aware UTC datetimes; a shopper's time zone is an IANA name.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from loyaldesk.bookings.rules.local_time import time_zone
from loyaldesk.bookings.rules.schedules import working_ranges
from loyaldesk.bookings.vocab import BookingStatus, HostAssignment, SessionMode, WaitlistStatus

ClockRange = tuple[str, str]
_SMALL = 2**31 - 1


def _zone(value: str) -> str:
    time_zone(value)  # ValueError "unknown time zone 'X'"
    return value


def _ranges(value: list[ClockRange]) -> list[ClockRange]:
    """Each ``("HH:MM", "HH:MM")`` parsed; ``ValueError`` naming the range when one ends before it
    starts or two overlap or touch."""
    parsed = working_ranges(f"{start}-{end}" for start, end in value)
    return [
        (f"{r.start_minute // 60:02d}:{r.start_minute % 60:02d}", _end_clock(r.end_minute)) for r in parsed
    ]


def _end_clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


class ScheduleIn(BaseModel):
    """One expert's schedule. ``weekly_hours``: weekday (0 Monday .. 6 Sunday) to local ranges
    ``("09:00", "12:00")``; weekdays left out are days off. ``slot_step_minutes`` None: the session's
    length."""

    model_config = ConfigDict(extra="forbid")

    user_id: int = Field(ge=1, le=2**62)
    time_zone: str = Field(min_length=1, max_length=64)
    weekly_hours: dict[int, list[ClockRange]] = Field(default_factory=dict)
    buffer_before_minutes: int = Field(default=0, ge=0, le=24 * 60)
    buffer_after_minutes: int = Field(default=0, ge=0, le=24 * 60)
    minimum_notice_minutes: int = Field(default=0, ge=0, le=365 * 24 * 60)
    max_per_day: int | None = Field(default=None, ge=1, le=1000)
    slot_step_minutes: int | None = Field(default=None, ge=1, le=24 * 60)
    active: bool = True

    _check_zone = field_validator("time_zone")(_zone)

    @field_validator("weekly_hours")
    @classmethod
    def _check_weekly(cls, value: dict[int, list[ClockRange]]) -> dict[int, list[ClockRange]]:
        checked: dict[int, list[ClockRange]] = {}
        for weekday, ranges in value.items():
            if weekday not in range(7):
                raise ValueError(f"a weekday is 0 (Monday) to 6 (Sunday), got {weekday}")
            checked[weekday] = _ranges(ranges)
        return checked


class DateOverrideIn(BaseModel):
    """The hours of one local date instead of its weekday's; no ranges: a day off (holiday)."""

    model_config = ConfigDict(extra="forbid")

    day: date
    ranges: list[ClockRange] = Field(default_factory=list)
    note: str | None = Field(default=None, max_length=200)  # kept in the audit row only

    _check_ranges = field_validator("ranges")(_ranges)


class HostIn(BaseModel):
    """An expert (their schedule) hosting a session type. Round robin by priority asks the lowest
    ``priority`` number first."""

    model_config = ConfigDict(extra="forbid")

    schedule_id: int = Field(ge=1, le=2**62)
    priority: int = Field(default=0, ge=0, le=1000)


class SessionTypeIn(BaseModel):
    """A kind of session shoppers book. ``capacity`` 1 is one-to-one; more is a group session.
    ``price_points`` 0 is free; ``free_for_tier_ids`` are the loyalty tiers that book it for nothing.
    ``cancel_window_hours``: a shopper may cancel (refunded) until this long before the start;
    ``reschedule_window_hours`` likewise for moving it; ``no_show_points``: what a no-show costs;
    ``description``: what the shopper gets from it, in plain words (shown beside the name)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    slug: str = Field(min_length=1, max_length=100, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
    description: str = Field(default="", max_length=2000)
    length_minutes: int = Field(ge=1, le=24 * 60)
    capacity: int = Field(default=1, ge=1, le=10_000)
    price_points: int = Field(default=0, ge=0, le=_SMALL)
    free_for_tier_ids: list[int] = Field(default_factory=list, max_length=100)
    mode: SessionMode = SessionMode.VIDEO
    host_assignment: HostAssignment = HostAssignment.SINGLE
    cancel_window_hours: int = Field(default=24, ge=0, le=24 * 365)
    reschedule_window_hours: int = Field(default=24, ge=0, le=24 * 365)
    hold_minutes: int = Field(default=10, ge=1, le=24 * 60)
    no_show_points: int | None = Field(default=None, ge=0, le=_SMALL)
    active: bool = True
    hosts: list[HostIn] = Field(default_factory=list, max_length=100)


class SlotOut(BaseModel):
    """One bookable start: ``starts_at``/``ends_at`` in UTC (what a hold names), read in the shopper's
    zone as ``local_start`` (ISO with its offset) on ``local_date``; ``seats_left`` of a group session."""

    starts_at: datetime
    ends_at: datetime
    local_start: str
    local_date: date
    seats_left: int


class SessionTypeRef(BaseModel):
    id: int
    name: str
    mode: SessionMode


class Permission(BaseModel):
    """Whether the shopper may do something now; else ``reason``. ``deadline``: until when they may."""

    allowed: bool
    reason: str | None = None
    deadline: datetime | None = None


class BookingOut(BaseModel):
    """One of a shopper's bookings (``id`` is the seat's id)."""

    id: int
    session_type: SessionTypeRef
    starts_at: datetime
    ends_at: datetime
    expert_name: str
    status: BookingStatus
    hold_expires_at: datetime | None
    points_paid: int
    can_cancel: Permission
    can_reschedule: Permission
    refund_on_cancel: int
    ics_url: str | None = None


class WaitlistOut(BaseModel):
    """One of a shopper's waitlist places; ``offered_starts_at``/``offer_expires_at`` while a freed slot
    is offered to them."""

    id: int
    session_type: SessionTypeRef
    wanted_from: datetime
    wanted_until: datetime
    status: WaitlistStatus
    offered_starts_at: datetime | None = None
    offer_expires_at: datetime | None = None


class HostOut(BaseModel):
    schedule_id: int
    user_id: int
    expert_name: str
    priority: int


class SessionTypeOut(BaseModel):
    """A session type as staff configure it and shoppers pick it."""

    id: int
    name: str
    slug: str
    description: str = ""
    length_minutes: int
    capacity: int
    price_points: int
    free_for_tier_ids: list[int]
    mode: SessionMode
    host_assignment: HostAssignment
    cancel_window_hours: int
    reschedule_window_hours: int
    hold_minutes: int
    no_show_points: int | None
    active: bool
    hosts: list[HostOut] = Field(default_factory=list)


class DateOverrideOut(BaseModel):
    day: date
    ranges: list[ClockRange]


class ScheduleOut(BaseModel):
    """An expert's schedule with their name, weekly hours and date overrides (ascending)."""

    id: int
    user_id: int
    expert_name: str
    time_zone: str
    weekly_hours: dict[int, list[ClockRange]]
    buffer_before_minutes: int
    buffer_after_minutes: int
    minimum_notice_minutes: int
    max_per_day: int | None
    slot_step_minutes: int | None
    active: bool
    overrides: list[DateOverrideOut] = Field(default_factory=list)


class DaySeatOut(BaseModel):
    seat_id: int
    customer_id: int
    customer_name: str
    status: BookingStatus
    points_paid: int


class DayOccurrenceOut(BaseModel):
    """One session of an expert's day, with its seats (live and past)."""

    occurrence_id: int
    session_type: SessionTypeRef
    schedule_id: int
    expert_name: str
    starts_at: datetime
    ends_at: datetime
    local_start: str
    capacity: int
    seats_taken: int
    active: bool
    seats: list[DaySeatOut]
