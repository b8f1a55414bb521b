"""Every vocabulary of expert sessions, spelled once: each StrEnum with its labels beside it."""

from __future__ import annotations

from enum import StrEnum


class BookingStatus(StrEnum):
    """Where one seat of a session stands. ``held`` and ``confirmed`` are *live*: they occupy the seat
    (and the occurrence's ``seats_taken``); the others are history."""

    HELD = "held"  # kept for a few minutes (``hold_expires_at``) while the shopper confirms
    CONFIRMED = "confirmed"  # booked (and paid, when the session costs points)
    CANCELLED = "cancelled"  # given back by the shopper, the store or an expired hold
    COMPLETED = "completed"  # the session took place with the shopper
    NO_SHOW = "no_show"  # the session took place without the shopper

    @property
    def label(self) -> str:
        return BOOKING_STATUS_LABELS[self]


BOOKING_STATUS_LABELS: dict[BookingStatus, str] = {
    BookingStatus.HELD: "Held",
    BookingStatus.CONFIRMED: "Confirmed",
    BookingStatus.CANCELLED: "Cancelled",
    BookingStatus.COMPLETED: "Completed",
    BookingStatus.NO_SHOW: "No-show",
}

# The statuses that occupy a seat (counted in ``seats_taken``; one per customer and occurrence).
LIVE_SEAT_STATUSES: tuple[BookingStatus, ...] = (BookingStatus.HELD, BookingStatus.CONFIRMED)


class HostAssignment(StrEnum):
    """Which expert hosts a session type's booking: its one host, or one of several (round robin)."""

    SINGLE = "single"
    ROUND_ROBIN_LOAD = "round_robin_load"  # the free host with the fewest upcoming sessions
    ROUND_ROBIN_PRIORITY = "round_robin_priority"  # the free host with the lowest priority number

    @property
    def label(self) -> str:
        return HOST_ASSIGNMENT_LABELS[self]


HOST_ASSIGNMENT_LABELS: dict[HostAssignment, str] = {
    HostAssignment.SINGLE: "One expert",
    HostAssignment.ROUND_ROBIN_LOAD: "Round robin: least busy expert",
    HostAssignment.ROUND_ROBIN_PRIORITY: "Round robin: by priority",
}


class SessionMode(StrEnum):
    """Where a session takes place."""

    VIDEO = "video"
    IN_STORE = "in_store"

    @property
    def label(self) -> str:
        return SESSION_MODE_LABELS[self]


SESSION_MODE_LABELS: dict[SessionMode, str] = {
    SessionMode.VIDEO: "Video call",
    SessionMode.IN_STORE: "In store",
}


class WaitlistStatus(StrEnum):
    """Where one customer's place on a session type's waitlist stands."""

    WAITING = "waiting"  # waiting for a freed slot in their wanted window
    OFFERED = "offered"  # a freed slot was offered (``offered_occurrence_id``); first to accept wins
    BOOKED = "booked"  # they took a slot
    WITHDRAWN = "withdrawn"  # they left the waitlist, or their window passed

    @property
    def label(self) -> str:
        return WAITLIST_STATUS_LABELS[self]


WAITLIST_STATUS_LABELS: dict[WaitlistStatus, str] = {
    WaitlistStatus.WAITING: "Waiting",
    WaitlistStatus.OFFERED: "Slot offered",
    WaitlistStatus.BOOKED: "Booked",
    WaitlistStatus.WITHDRAWN: "Left the waitlist",
}
