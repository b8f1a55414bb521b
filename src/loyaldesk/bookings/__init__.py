"""Bookings: sessions with an expert: schedules, session types, slots, bookings and the waitlist.

Other packages (and ``web``) use bookings only through the names below. ``rules/`` is the pure slot
maths, ``models`` the tables (the database refuses a double booking), ``actions/`` every state change
(``occupy`` the seat step the others build on), ``queries/`` the reads, ``schemas`` the API models.
"""

from loyaldesk.bookings.actions.attendance import mark_attendance
from loyaldesk.bookings.actions.book import book_slot, confirm_booking, hold_slot, release_expired_holds
from loyaldesk.bookings.actions.change import cancel_booking, reschedule_booking
from loyaldesk.bookings.actions.configure import (
    remove_date_override,
    save_schedule,
    save_session_type,
    set_date_override,
)
from loyaldesk.bookings.actions.occupy import (
    AlreadySeated,
    ExpertBusy,
    SessionFull,
    TakenSeat,
    release_seat,
    take_seat,
)
from loyaldesk.bookings.actions.waitlist import accept_waitlist_offer, join_waitlist, leave_waitlist
from loyaldesk.bookings.errors import (
    CancellationClosed,
    HoldExpired,
    NotEnoughPoints,
    OfferTaken,
    RescheduleClosed,
    SlotUnavailable,
)
from loyaldesk.bookings.queries.bookings import (
    booking_ics,
    customer_booking,
    customer_bookings,
    customer_waitlist,
    day_bookings,
)
from loyaldesk.bookings.queries.call_seat import SeatCallFacts, seat_call_facts
from loyaldesk.bookings.queries.config import schedule, schedules, session_type, session_types
from loyaldesk.bookings.queries.slots import slots_for_shopper
from loyaldesk.bookings.schemas import (
    BookingOut,
    DateOverrideIn,
    DateOverrideOut,
    DayOccurrenceOut,
    DaySeatOut,
    HostIn,
    HostOut,
    Permission,
    ScheduleIn,
    ScheduleOut,
    SessionTypeIn,
    SessionTypeOut,
    SessionTypeRef,
    SlotOut,
    WaitlistOut,
)
from loyaldesk.bookings.vocab import (
    BOOKING_STATUS_LABELS,
    HOST_ASSIGNMENT_LABELS,
    SESSION_MODE_LABELS,
    WAITLIST_STATUS_LABELS,
    BookingStatus,
    HostAssignment,
    SessionMode,
    WaitlistStatus,
)

__all__ = [
    "BOOKING_STATUS_LABELS",
    "HOST_ASSIGNMENT_LABELS",
    "SESSION_MODE_LABELS",
    "WAITLIST_STATUS_LABELS",
    "AlreadySeated",
    "BookingOut",
    "BookingStatus",
    "CancellationClosed",
    "DateOverrideIn",
    "DateOverrideOut",
    "DayOccurrenceOut",
    "DaySeatOut",
    "ExpertBusy",
    "HoldExpired",
    "HostAssignment",
    "HostIn",
    "HostOut",
    "NotEnoughPoints",
    "OfferTaken",
    "Permission",
    "RescheduleClosed",
    "ScheduleIn",
    "ScheduleOut",
    "SeatCallFacts",
    "SessionFull",
    "SessionMode",
    "SessionTypeIn",
    "SessionTypeOut",
    "SessionTypeRef",
    "SlotOut",
    "SlotUnavailable",
    "TakenSeat",
    "WaitlistOut",
    "WaitlistStatus",
    "accept_waitlist_offer",
    "book_slot",
    "booking_ics",
    "cancel_booking",
    "confirm_booking",
    "customer_booking",
    "customer_bookings",
    "customer_waitlist",
    "day_bookings",
    "hold_slot",
    "join_waitlist",
    "leave_waitlist",
    "mark_attendance",
    "release_expired_holds",
    "release_seat",
    "remove_date_override",
    "reschedule_booking",
    "save_schedule",
    "save_session_type",
    "schedule",
    "schedules",
    "seat_call_facts",
    "session_type",
    "session_types",
    "set_date_override",
    "slots_for_shopper",
    "take_seat",
]
