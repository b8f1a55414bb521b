"""The slots a shopper is offered for a session type, grouped by the shopper's own local date."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from loyaldesk.bookings.queries.availability import bookable_type, hosts_of, offers
from loyaldesk.bookings.rules.local_time import first_instant_reading_at_least, time_zone
from loyaldesk.bookings.rules.shopper_view import by_shopper_date
from loyaldesk.bookings.schemas import SlotOut
from loyaldesk.kernel.errors import Invalid

MAX_DAYS = 62


def slots_for_shopper(
    session: Session,
    *,
    store_id: int,
    session_type_id: int,
    time_zone: str,
    first_day: date,
    days: int,
    now: datetime,
) -> dict[date, list[SlotOut]]:
    """The starts of ``session_type_id`` some host can take (``queries.availability``: the slot rule per
    host, their live sessions with buffers and daily caps, and the seats left in group sessions), from
    ``first_day`` for ``days`` local dates on the shopper's clock in ``time_zone``, grouped by the
    shopper's local date (dates without slots left out). ``NotFound`` for a session type not of the store
    or inactive; ``Invalid`` naming ``time_zone`` or ``days``."""
    zone = _zone(time_zone)
    if not 1 <= days <= MAX_DAYS:
        raise Invalid.field("days", f"must be between 1 and {MAX_DAYS}")
    session_type = bookable_type(session, store_id, session_type_id)
    midnight = datetime(first_day.year, first_day.month, first_day.day)
    window_start = first_instant_reading_at_least(zone, midnight)
    window_end = first_instant_reading_at_least(zone, midnight + timedelta(days=days))
    found = offers(session, session_type, hosts_of(session, session_type), now, window_start, window_end)
    length = timedelta(minutes=session_type.length_minutes)
    seats = {start: max(offer.seats_left for offer in choices) for start, choices in found.items()}
    return {
        day: [
            SlotOut(
                starts_at=slot.starts_at,
                ends_at=slot.starts_at + length,
                local_start=slot.local_start.isoformat(),
                local_date=day,
                seats_left=seats[slot.starts_at],
            )
            for slot in slots
        ]
        for day, slots in by_shopper_date(found, length, time_zone).items()
    }


def _zone(name: str):  # type: ignore[no-untyped-def]
    try:
        return time_zone(name)
    except ValueError as error:
        raise Invalid.field("time_zone", str(error)) from error
