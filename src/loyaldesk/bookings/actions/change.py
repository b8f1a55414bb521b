"""Cancelling and moving a booking, inside the session type's windows.

- ``cancel_booking``: a shopper may cancel until ``cancel_window_hours`` before the start
  (``CancellationClosed`` naming the deadline afterwards, nothing changed) and gets back every point
  paid; staff may cancel any time, refunding in full. A held seat (not yet confirmed) is simply given
  back. The refund is one ledger entry under ``booking:{first seat}:refund`` (the payment's key with
  ``refund``), so a replayed cancel refunds nothing twice; cancelling a cancelled booking returns 0. The
  freed seat is offered to the waitlist, the reminders are withdrawn and the cancellation (with the
  calendar's CANCEL) is queued.
- ``reschedule_booking``: until ``reschedule_window_hours`` before the start, the shopper moves to another
  start of the same type: the new seat is taken first (a refusal leaves the old booking as it was), then
  the old one is given back; the payment moves with the booking (``points_paid`` and ``pay_ledger_key``
  carried over: no second charge, no refund), and the new invitation has the same UID with the next
  SEQUENCE.
"""

from __future__ import annotations

from datetime import datetime

from loyaldesk.bookings.actions.book import hold_slot
from loyaldesk.bookings.actions.common import lock_hosts_of_seat, locked_seat, staff_actor
from loyaldesk.bookings.actions.occupy import release_seat
from loyaldesk.bookings.actions.offer_waitlist import offer_freed_seat
from loyaldesk.bookings.errors import CancellationClosed, RescheduleClosed
from loyaldesk.bookings.events import BookingCancelled, BookingRescheduled
from loyaldesk.bookings.messages import queue_cancellation, queue_invitation, withdraw_reminders
from loyaldesk.bookings.models import Seat
from loyaldesk.bookings.queries.seat_facts import seat_facts
from loyaldesk.bookings.vocab import BookingStatus
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict, Invalid
from loyaldesk.loyalty import refund_points
from loyaldesk.stores import record_audit


def refund_key(pay_ledger_key: str) -> str:
    """``booking:{id}:pay`` -> ``booking:{id}:refund``: one refund per payment, whatever moved."""
    return pay_ledger_key.removesuffix(":pay") + ":refund"


def cancel_booking(
    uow: UnitOfWork,
    *,
    store_id: int,
    seat_id: int,
    customer_id: int | None = None,
    actor_id: int | None = None,
    reason: str | None = None,
) -> int:
    """Cancel the booking (module docstring) as the shopper ``customer_id`` or the staff account
    ``actor_id`` (one of them); the points refunded. ``NotFound`` for a seat not theirs / not the
    store's; ``CancellationClosed``; ``Conflict`` for a session that already took place."""
    if (customer_id is None) == (actor_id is None):
        raise Invalid.field("actor", "a booking is cancelled by its customer or by staff (one of them)")
    actor = staff_actor(uow, store_id, actor_id) if actor_id is not None else None
    lock_hosts_of_seat(uow, store_id, seat_id)
    seat = locked_seat(uow, store_id, seat_id, customer_id)
    if seat.status == BookingStatus.CANCELLED:
        return 0  # a replay, or cancelled already
    if seat.status not in (BookingStatus.HELD, BookingStatus.CONFIRMED):
        raise Conflict("this session already took place")
    facts = seat_facts(uow.session, store_id, seat.id)
    now = uow.now()
    if seat.status == BookingStatus.HELD:
        release_seat(uow, store_id, seat.id)
        offer_freed_seat(uow, store_id, facts.occurrence_id)
        return 0
    if actor is None and now >= facts.cancel_deadline:
        raise CancellationClosed(
            "this booking can no longer be cancelled: cancelling closed at "
            f"{facts.cancel_deadline.isoformat()}",
            facts.cancel_deadline,
        )
    refunded = 0
    if seat.pay_ledger_key and seat.points_paid > 0:
        key = refund_key(seat.pay_ledger_key)
        refunded = refund_points(
            uow,
            store_id=store_id,
            customer_id=seat.customer_id,
            paid_key=seat.pay_ledger_key,
            key=key,
            description=f"Refund: {facts.session_type_name} cancelled"[:300],
        )
        seat.refund_ledger_key = key
        uow.session.flush()
    release_seat(uow, store_id, seat.id)
    withdraw_reminders(uow, store_id, seat.id)
    queue_cancellation(uow, store_id, facts)
    offer_freed_seat(uow, store_id, facts.occurrence_id)
    if actor is not None:
        record_audit(
            uow,
            actor,
            "bookings.booking_cancelled",
            store_id=store_id,
            target_type="bookings_seat",
            target_id=seat.id,
            details={"points_refunded": refunded, "reason": (reason or "")[:300]},
        )
    uow.emit(
        BookingCancelled(
            store_id=store_id,
            customer_id=seat.customer_id,
            seat_id=seat.id,
            session_type_id=facts.session_type_id,
            starts_at=facts.starts_at,
            by_staff=actor is not None,
            points_refunded=refunded,
        )
    )
    return refunded


def reschedule_booking(
    uow: UnitOfWork, *, store_id: int, seat_id: int, customer_id: int, new_starts_at: datetime
) -> int:
    """Move the customer's confirmed booking to ``new_starts_at`` (module docstring); the new seat's id.
    ``RescheduleClosed`` naming the deadline; ``SlotUnavailable``; ``Conflict`` when it is not a
    confirmed, upcoming booking."""
    lock_hosts_of_seat(uow, store_id, seat_id)
    seat = locked_seat(uow, store_id, seat_id, customer_id)
    if seat.status != BookingStatus.CONFIRMED:
        raise Conflict("only a confirmed booking can be moved")
    facts = seat_facts(uow.session, store_id, seat.id)
    now = uow.now()
    if now >= facts.reschedule_deadline:
        raise RescheduleClosed(
            f"this booking can no longer be moved: moving closed at {facts.reschedule_deadline.isoformat()}",
            facts.reschedule_deadline,
        )
    new_seat_id = hold_slot(
        uow,
        store_id=store_id,
        customer_id=customer_id,
        session_type_id=facts.session_type_id,
        starts_at=new_starts_at,
    )
    new_seat = uow.session.get(Seat, new_seat_id, populate_existing=True)
    assert new_seat is not None
    new_seat.status = BookingStatus.CONFIRMED.value
    new_seat.hold_expires_at = None
    new_seat.points_paid = seat.points_paid
    new_seat.pay_ledger_key = seat.pay_ledger_key or f"booking:{seat.id}:pay"
    new_seat.updated_at = now
    seat.points_paid = 0  # the payment moved with the booking
    seat.pay_ledger_key = new_seat.pay_ledger_key
    uow.session.flush()
    release_seat(uow, store_id, seat.id)
    withdraw_reminders(uow, store_id, seat.id)
    offer_freed_seat(uow, store_id, facts.occurrence_id)
    new_facts = seat_facts(uow.session, store_id, new_seat_id)
    queue_invitation(uow, store_id, new_facts)
    uow.emit(
        BookingRescheduled(
            store_id=store_id,
            customer_id=customer_id,
            seat_id=new_seat_id,
            session_type_id=facts.session_type_id,
            starts_at=new_facts.starts_at,
            previous_seat_id=seat.id,
        )
    )
    return new_seat_id
