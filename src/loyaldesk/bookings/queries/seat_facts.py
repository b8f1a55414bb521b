"""Everything about one seat that its messages, its calendar file and its reads need, in one query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loyaldesk.bookings.invitation import CalendarFacts, booking_uid, calendar_file
from loyaldesk.bookings.models import Occurrence, Schedule, Seat, SessionType
from loyaldesk.bookings.rules.local_time import time_zone
from loyaldesk.bookings.vocab import BookingStatus, SessionMode
from loyaldesk.customers import Customer
from loyaldesk.kernel.errors import NotFound
from loyaldesk.stores import StaffAccount, Store


@dataclass(frozen=True)
class SeatFacts:
    seat_id: int
    origin_seat_id: int  # the booking's first confirmed seat (its reschedules keep it)
    sequence: int  # how many times the booking was moved before this seat
    status: BookingStatus
    customer_id: int
    customer_name: str
    customer_email: str
    customer_time_zone: str
    occurrence_id: int
    schedule_id: int
    session_type_id: int
    session_type_name: str
    mode: SessionMode
    starts_at: datetime
    ends_at: datetime
    expert_name: str
    expert_email: str
    expert_time_zone: str
    store_slug: str
    store_name: str
    hold_expires_at: datetime | None
    points_paid: int
    pay_ledger_key: str | None
    refund_ledger_key: str | None
    cancel_window_hours: int
    reschedule_window_hours: int
    updated_at: datetime  # the seat's last change: the calendar file's DTSTAMP when downloaded

    @property
    def cancel_deadline(self) -> datetime:
        return self.starts_at - timedelta(hours=self.cancel_window_hours)

    @property
    def reschedule_deadline(self) -> datetime:
        return self.starts_at - timedelta(hours=self.reschedule_window_hours)

    def details(self) -> str:
        """ "Styling with Maya, Tue 08 Dec 2026 10:00-11:00 (Europe/Paris)": the message variable
        ``session_details``, on the customer's clock (the expert's when the customer has no zone)."""
        zone = time_zone(self.customer_time_zone)
        start, end = self.starts_at.astimezone(zone), self.ends_at.astimezone(zone)
        return (
            f"{self.session_type_name} with {self.expert_name}, {start:%a %d %b %Y %H:%M}-{end:%H:%M} "
            f"({self.customer_time_zone})"
        )


def origin_of(seat_id: int, pay_ledger_key: str | None) -> int:
    """The booking's first seat: the one named in its payment key (``booking:{id}:pay``)."""
    if pay_ledger_key and pay_ledger_key.startswith("booking:") and pay_ledger_key.endswith(":pay"):
        return int(pay_ledger_key.split(":")[1])
    return seat_id


def seat_facts(session: Session, store_id: int, seat_id: int) -> SeatFacts:
    """The facts of seat ``seat_id`` of the store; ``NotFound`` otherwise."""
    row = session.execute(
        select(Seat, Occurrence, SessionType, Schedule, StaffAccount, Customer, Store)
        .join(Occurrence, Occurrence.id == Seat.occurrence_id)
        .join(SessionType, SessionType.id == Occurrence.session_type_id)
        .join(Schedule, Schedule.id == Occurrence.schedule_id)
        .join(StaffAccount, StaffAccount.id == Schedule.user_id)
        .join(Customer, Customer.id == Seat.customer_id)
        .join(Store, Store.id == Seat.store_id)
        .where(Seat.id == seat_id, Seat.store_id == store_id)
    ).one_or_none()
    if row is None:
        raise NotFound("no such booking")
    seat, occurrence, session_type, schedule, expert, customer, store = row
    sequence = 0
    if seat.pay_ledger_key:
        sequence = int(
            session.scalar(
                select(func.count(Seat.id)).where(
                    Seat.store_id == store_id, Seat.pay_ledger_key == seat.pay_ledger_key, Seat.id < seat.id
                )
            )
            or 0
        )
    customer_zone = customer.timezone or schedule.time_zone
    try:
        time_zone(customer_zone)
    except ValueError:
        customer_zone = schedule.time_zone
    return SeatFacts(
        seat_id=seat.id,
        origin_seat_id=origin_of(seat.id, seat.pay_ledger_key),
        sequence=sequence,
        status=BookingStatus(seat.status),
        customer_id=customer.id,
        customer_name=customer.display_name if customer.erased_at is None else "",
        customer_email=(customer.email or "") if customer.erased_at is None else "",
        customer_time_zone=customer_zone,
        occurrence_id=occurrence.id,
        schedule_id=schedule.id,
        session_type_id=session_type.id,
        session_type_name=session_type.name,
        mode=SessionMode(session_type.mode),
        starts_at=occurrence.starts_at,
        ends_at=occurrence.ends_at,
        expert_name=expert.name,
        expert_email=expert.email,
        expert_time_zone=schedule.time_zone,
        store_slug=store.slug,
        store_name=store.name,
        hold_expires_at=seat.hold_expires_at,
        points_paid=seat.points_paid,
        pay_ledger_key=seat.pay_ledger_key,
        refund_ledger_key=seat.refund_ledger_key,
        cancel_window_hours=session_type.cancel_window_hours,
        reschedule_window_hours=session_type.reschedule_window_hours,
        updated_at=seat.updated_at,
    )


def ics_of(facts: SeatFacts, now: datetime, *, cancelled: bool = False) -> bytes:
    """The booking's calendar file (``invitation``): a request, or the cancel one sequence later."""
    return calendar_file(
        CalendarFacts(
            uid=booking_uid(facts.origin_seat_id, facts.store_slug),
            sequence=facts.sequence + (1 if cancelled else 0),
            starts_at=facts.starts_at,
            ends_at=facts.ends_at,
            summary=f"{facts.session_type_name} with {facts.expert_name}",
            description=f"Your session with {facts.expert_name} at {facts.store_name}.",
            location=facts.mode.label,
            organizer_name=facts.expert_name,
            organizer_email=facts.expert_email,
            attendee_name=facts.customer_name,
            attendee_email=facts.customer_email,
            stamp=now,
            cancelled=cancelled,
        )
    )
