"""Taking and giving back seats (``bookings.actions.occupy``): a group session fills to its capacity and
no further, one customer holds one seat, the last seat given back frees the expert's time, and many
concurrent attempts on overlapping slots of one expert end with one session and no buffer violated (the
database decides: PostgreSQL's exclusion constraint, SQLite's single writer and triggers)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from loyaldesk.bookings.actions.occupy import (
    AlreadySeated,
    ExpertBusy,
    SessionFull,
    TakenSeat,
    release_seat,
    take_seat,
)
from loyaldesk.bookings.models import Occurrence, Seat
from loyaldesk.bookings.vocab import BookingStatus
from loyaldesk.kernel.errors import Conflict, DomainError, NotFound
from tests.bookings.conftest import MONDAY_NOON, Studio

MINUTE = timedelta(minutes=1)
THREADS = 16


def take(
    studio: Studio, customer: int, slug: str, start: datetime, expert: int | None = None, **extra
) -> TakenSeat:  # type: ignore[no-untyped-def]
    return studio.db.write(
        take_seat,
        studio.store.id,
        schedule_id=studio.experts[0] if expert is None else expert,
        session_type_id=studio.types[slug],
        starts_at=start,
        customer_id=studio.customers[customer],
        **extra,
    )


def occurrences(studio: Studio) -> list[Occurrence]:
    with studio.db.read() as session:
        return list(session.scalars(select(Occurrence).order_by(Occurrence.id)))


def live_seats(studio: Studio, occurrence_id: int) -> int:
    with studio.db.read() as session:
        seats = session.scalars(
            select(Seat).where(Seat.occurrence_id == occurrence_id, Seat.status.in_(["held", "confirmed"]))
        )
        return len(list(seats))


def test_a_group_session_fills_to_its_capacity_and_refuses_the_next(studio: Studio) -> None:
    seats = [take(studio, n, "workshop", MONDAY_NOON) for n in range(4)]
    assert len({seat.occurrence_id for seat in seats}) == 1
    [occurrence] = occurrences(studio)
    assert (occurrence.capacity, occurrence.seats_taken, occurrence.active) == (4, 4, True)
    # The buffered span: 10 minutes before, 90 minutes of session, 15 after.
    assert occurrence.blocked_from == MONDAY_NOON - 10 * MINUTE
    assert occurrence.blocked_until == MONDAY_NOON + 105 * MINUTE
    with pytest.raises(SessionFull):
        take(studio, 4, "workshop", MONDAY_NOON)
    # A seat given back is a seat for the next customer; one customer holds one seat.
    studio.db.write(release_seat, studio.store.id, seats[0].seat_id)
    with pytest.raises(AlreadySeated):
        take(studio, 1, "workshop", MONDAY_NOON)
    held = take(studio, 4, "workshop", MONDAY_NOON, hold_expires_at=MONDAY_NOON - 60 * MINUTE)
    with studio.db.read() as session:
        seat = session.get(Seat, held.seat_id)
        assert seat is not None and seat.status == BookingStatus.HELD
    assert [row.seats_taken for row in occurrences(studio)] == [4]
    assert live_seats(studio, seats[0].occurrence_id) == 4


def test_the_expert_is_busy_for_another_session_over_the_buffers(studio: Studio) -> None:
    workshop = take(studio, 0, "workshop", MONDAY_NOON)  # busy 11:50 - 13:45 with buffers
    # Another session type at the same start, or one whose buffered span reaches into the workshop's.
    with pytest.raises(ExpertBusy):
        take(studio, 1, "styling", MONDAY_NOON)
    with pytest.raises(ExpertBusy):
        take(studio, 1, "styling", MONDAY_NOON + 110 * MINUTE)  # its span starts 13:40
    with pytest.raises(ExpertBusy):
        take(studio, 1, "styling", MONDAY_NOON - 80 * MINUTE)  # its span ends 11:55
    # Spans that only touch the workshop's are fine: 13:55 (its span starts 13:45), 10:35 (ends 11:50).
    take(studio, 1, "styling", MONDAY_NOON + 115 * MINUTE)
    take(studio, 2, "styling", MONDAY_NOON - 85 * MINUTE)
    take(studio, 3, "styling", MONDAY_NOON, expert=studio.experts[1])  # the other expert is free
    # Once its only seat is given back, the workshop's time is free again.
    studio.db.write(release_seat, studio.store.id, workshop.seat_id)
    take(studio, 1, "styling", MONDAY_NOON)
    live = [row for row in occurrences(studio) if row.active]
    assert len(live) == 4
    retired = [row for row in occurrences(studio) if not row.active]
    assert [(row.id, row.seats_taken) for row in retired] == [(workshop.occurrence_id, 0)]


def test_releasing_twice_or_another_stores_seat_is_refused(studio: Studio) -> None:
    seat = take(studio, 0, "styling", MONDAY_NOON)
    with pytest.raises(NotFound):
        studio.db.write(release_seat, studio.store.id + 1, seat.seat_id)
    studio.db.write(release_seat, studio.store.id, seat.seat_id)
    with pytest.raises(Conflict):
        studio.db.write(release_seat, studio.store.id, seat.seat_id)
    [occurrence] = occurrences(studio)
    assert (occurrence.seats_taken, occurrence.active) == (0, False)


def test_an_expert_not_hosting_the_type_or_of_another_store_is_not_found(studio: Studio) -> None:
    with pytest.raises(NotFound):
        studio.db.write(
            take_seat,
            studio.store.id + 1,
            schedule_id=studio.experts[0],
            session_type_id=studio.types["styling"],
            starts_at=MONDAY_NOON,
            customer_id=studio.customers[0],
        )
    assert occurrences(studio) == []


def attempt_all(studio: Studio, attempts: list[tuple[int, str, datetime]]) -> list[TakenSeat | DomainError]:
    """Run every (customer, session type, start) at once, one thread each, released together."""
    barrier = threading.Barrier(len(attempts))

    def attempt(customer: int, slug: str, start: datetime) -> TakenSeat | DomainError:
        barrier.wait()
        try:
            return take(studio, customer, slug, start)
        except DomainError as error:
            return error

    with ThreadPoolExecutor(max_workers=len(attempts)) as pool:
        return list(pool.map(lambda args: attempt(*args), attempts))


def test_concurrent_attempts_on_overlapping_slots_end_with_one_session(studio: Studio) -> None:
    # Sixteen customers want one-to-one sessions of one expert starting 5 minutes apart: every pair's
    # buffered spans (85 minutes long) overlap, so exactly one may exist.
    results = attempt_all(studio, [(n, "styling", MONDAY_NOON + 5 * n * MINUTE) for n in range(THREADS)])
    won = [result for result in results if isinstance(result, TakenSeat)]
    assert len(won) == 1, results
    assert all(isinstance(result, ExpertBusy) for result in results if result not in won), results
    live = [row for row in occurrences(studio) if row.active]
    assert [(row.id, row.seats_taken) for row in live] == [(won[0].occurrence_id, 1)]


def test_concurrent_attempts_on_one_group_session_fill_it_exactly(studio: Studio) -> None:
    # Sixteen customers, four seats at noon, and a few who want an overlapping styling session instead.
    attempts = [(n, "workshop", MONDAY_NOON) for n in range(12)]
    attempts += [(n, "styling", MONDAY_NOON + 30 * MINUTE) for n in range(12, THREADS)]
    results = attempt_all(studio, attempts)
    won = [result for result in results if isinstance(result, TakenSeat)]
    assert all(isinstance(result, SessionFull | ExpertBusy) for result in results if result not in won)
    live = [row for row in occurrences(studio) if row.active]
    assert len(live) == 1
    [occurrence] = live
    assert len(won) == occurrence.seats_taken == live_seats(studio, occurrence.id)
    assert occurrence.seats_taken in (1, 4)  # a styling session (capacity 1) or the full workshop
    assert {seat.occurrence_id for seat in won} == {occurrence.id}
