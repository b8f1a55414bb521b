"""After a session: staff record who came. Attended: the seat is ``completed`` and the customer is asked
the store's CSAT survey (by ``handlers``, on ``SessionAttended``, through feedback's one throttle). Not
attended: ``no_show``, and the session type's ``no_show_points`` are taken once (ledger key
``booking:{seat}:no-show``; never more than the customer has). Recording the same again changes nothing;
recording the other outcome afterwards is refused (``Conflict``): the points rule ran already."""

from __future__ import annotations

from loyaldesk.bookings.actions.common import audit, locked_seat, staff_actor
from loyaldesk.bookings.events import SessionAttended
from loyaldesk.bookings.models import Occurrence, SessionType
from loyaldesk.bookings.vocab import BookingStatus
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict
from loyaldesk.loyalty import charge_points


def no_show_key(seat_id: int) -> str:
    return f"booking:{seat_id}:no-show"


def mark_attendance(uow: UnitOfWork, *, store_id: int, actor_id: int, seat_id: int, attended: bool) -> None:
    """Record whether the customer of the confirmed seat ``seat_id`` came (module docstring).
    ``Conflict`` before the session started, for a seat not confirmed, or for the other outcome."""
    staff_actor(uow, store_id, actor_id)
    seat = locked_seat(uow, store_id, seat_id)
    outcome = BookingStatus.COMPLETED if attended else BookingStatus.NO_SHOW
    if seat.status == outcome:
        return
    if seat.status != BookingStatus.CONFIRMED:
        raise Conflict(
            f"this booking is {BookingStatus(seat.status).label.lower()}: attendance cannot be recorded"
        )
    occurrence = uow.session.get(Occurrence, seat.occurrence_id)
    assert occurrence is not None
    now = uow.now()
    if occurrence.starts_at > now:
        raise Conflict("the session has not started yet")
    session_type = uow.session.get(SessionType, occurrence.session_type_id)
    assert session_type is not None
    charged = 0
    if not attended and session_type.no_show_points:
        charged = charge_points(
            uow,
            store_id=store_id,
            customer_id=seat.customer_id,
            points=session_type.no_show_points,
            key=no_show_key(seat.id),
            description=f"Missed session: {session_type.name}"[:300],
        )
    seat.status = outcome.value
    seat.updated_at = now
    uow.session.flush()
    audit(
        uow,
        store_id,
        actor_id,
        "bookings.attendance_marked",
        "bookings_seat",
        seat.id,
        {"attended": attended, "points_charged": charged},
    )
    uow.emit(
        SessionAttended(
            store_id=store_id,
            customer_id=seat.customer_id,
            seat_id=seat.id,
            session_type_id=session_type.id,
            starts_at=occurrence.starts_at,
            attended=attended,
            points_charged=charged,
        )
    )
