"""Expert sessions in a customer's GDPR export (every seat they took, with its session and status, and
their waitlist places) and in their erasure: their upcoming places are given back (the expert's time is
free again, offered to the waitlist; their reminders are withdrawn) and their waitlist places are
withdrawn. Past seats stay, as ids, times and points (they tie to the points ledger, which keeps
balancing without an identity); they hold nothing personal."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from loyaldesk.bookings.actions.occupy import release_seat
from loyaldesk.bookings.actions.offer_waitlist import offer_freed_seat
from loyaldesk.bookings.messages import withdraw_reminders
from loyaldesk.bookings.models import Occurrence, Seat, SessionType, WaitlistEntry
from loyaldesk.bookings.vocab import LIVE_SEAT_STATUSES, WaitlistStatus
from loyaldesk.customers import erasure_step, export_section
from loyaldesk.kernel.db import UnitOfWork


def export_bookings(session: Session, store_id: int, customer_id: int) -> dict[str, Any]:
    sessions = [
        {
            "session_type": row.name,
            "starts_at": row.starts_at.isoformat(),
            "ends_at": row.ends_at.isoformat(),
            "status": row.status,
            "points_paid": row.points_paid,
            "booked_at": row.created_at.isoformat(),
            "cancelled_at": row.cancelled_at.isoformat() if row.cancelled_at else None,
        }
        for row in session.execute(
            select(
                SessionType.name,
                Occurrence.starts_at,
                Occurrence.ends_at,
                Seat.status,
                Seat.points_paid,
                Seat.created_at,
                Seat.cancelled_at,
            )
            .join(Occurrence, Occurrence.id == Seat.occurrence_id)
            .join(SessionType, SessionType.id == Occurrence.session_type_id)
            .where(Seat.store_id == store_id, Seat.customer_id == customer_id)
            .order_by(Seat.id)
        )
    ]
    waitlist = [
        {
            "session_type": row.name,
            "wanted_from": row.wanted_from.isoformat(),
            "wanted_until": row.wanted_until.isoformat(),
            "status": row.status,
            "joined_at": row.created_at.isoformat(),
        }
        for row in session.execute(
            select(
                SessionType.name,
                WaitlistEntry.wanted_from,
                WaitlistEntry.wanted_until,
                WaitlistEntry.status,
                WaitlistEntry.created_at,
            )
            .join(SessionType, SessionType.id == WaitlistEntry.session_type_id)
            .where(WaitlistEntry.store_id == store_id, WaitlistEntry.customer_id == customer_id)
            .order_by(WaitlistEntry.id)
        )
    ]
    return {"sessions": sessions, "waitlist": waitlist}


def erase_bookings(uow: UnitOfWork, store_id: int, customer_id: int) -> None:
    now = uow.now()
    upcoming = uow.session.scalars(
        select(Seat.id)
        .join(Occurrence, Occurrence.id == Seat.occurrence_id)
        .where(
            Seat.store_id == store_id,
            Seat.customer_id == customer_id,
            Seat.status.in_([status.value for status in LIVE_SEAT_STATUSES]),
            Occurrence.starts_at > now,
        )
        .order_by(Seat.id)
    ).all()
    uow.session.execute(
        update(WaitlistEntry)
        .where(
            WaitlistEntry.store_id == store_id,
            WaitlistEntry.customer_id == customer_id,
            WaitlistEntry.status.in_([WaitlistStatus.WAITING.value, WaitlistStatus.OFFERED.value]),
        )
        .values(status=WaitlistStatus.WITHDRAWN.value, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    # after the waitlist places: the freed seats are offered to others, never back to them
    for seat_id in upcoming:
        occurrence_id = release_seat(uow, store_id, seat_id)
        withdraw_reminders(uow, store_id, seat_id)
        offer_freed_seat(uow, store_id, occurrence_id)


def register() -> None:
    """Plug the bookings' export section and erasure step into the customer record."""
    export_section("bookings")(export_bookings)
    erasure_step("bookings")(erase_bookings)
