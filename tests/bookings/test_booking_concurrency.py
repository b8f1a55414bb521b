"""Many shoppers booking the same few slots at once, through ``book_slot`` (hold, slot rule, round robin,
payment): no expert is ever double booked, no session overfilled, every winner paid exactly once and the
losers nothing; on both backends (PostgreSQL's concurrent transactions, SQLite's single writer)."""

from __future__ import annotations

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import func, select

from loyaldesk import bookings
from loyaldesk.bookings.models import Occurrence, Seat
from loyaldesk.customers import Customer
from loyaldesk.kernel.errors import DomainError
from loyaldesk.loyalty import AdjustmentIn, LedgerEntry, adjust_points, enroll
from tests.bookings.desk import START_POINTS, TUESDAY_10, WEEKDAYS, Desk

THREADS = 12
STARTS = [TUESDAY_10, TUESDAY_10 + timedelta(hours=2), TUESDAY_10 + timedelta(hours=4)]


def more_members(desk: Desk, count: int) -> list[int]:
    def create(uow):  # type: ignore[no-untyped-def]
        ids = []
        for n in range(count):
            customer = Customer(
                store_id=desk.store.id, external_id=f"crowd-{n}", email=f"crowd{n}@example.com",
                source="api", created_at=uow.now(), updated_at=uow.now(),
            )  # fmt: skip
            uow.session.add(customer)
            uow.session.flush()
            member, _ = enroll(uow, desk.store.id, customer.id)
            adjust_points(
                uow, desk.store.actor, desk.store.id, member.id,
                AdjustmentIn(points=START_POINTS, reason_code="goodwill", note="crowd"), key=f"crowd-{n}",
            )  # fmt: skip
            ids.append(customer.id)
        return ids

    return list(desk.db.write(create))


def test_a_crowd_booking_the_same_slots_never_double_books(desk: Desk) -> None:
    customers = [*desk.customers, *more_members(desk, THREADS - len(desk.customers))]
    barrier = threading.Barrier(THREADS)

    def attempt(index: int) -> int | DomainError:
        barrier.wait()
        try:
            return int(desk.book(customers[index], STARTS[index % len(STARTS)]))
        except DomainError as error:
            return error

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = list(pool.map(attempt, range(THREADS)))
    won = [result for result in results if isinstance(result, int)]
    lost = [result for result in results if not isinstance(result, int)]
    assert all(isinstance(error, bookings.SlotUnavailable) for error in lost), lost
    assert len(won) == 2 * len(STARTS)  # two experts, three starts: every slot taken exactly once

    with desk.db.read() as session:
        live = session.execute(
            select(
                Occurrence.schedule_id,
                Occurrence.blocked_from,
                Occurrence.blocked_until,
                Occurrence.seats_taken,
            )
            .where(Occurrence.active)
            .order_by(Occurrence.schedule_id, Occurrence.blocked_from)
        ).all()
        assert len(live) == len(won) and all(row.seats_taken == 1 for row in live)
        for earlier, later in itertools.pairwise(live):
            if earlier.schedule_id == later.schedule_id:
                assert earlier.blocked_until <= later.blocked_from  # no overlap, buffers included
        confirmed = session.scalar(select(func.count()).select_from(Seat).where(Seat.status == "confirmed"))
        assert confirmed == len(won)
        paid = session.scalars(
            select(LedgerEntry.points).where(LedgerEntry.idempotency_key.like("booking:%:pay"))
        ).all()
        assert sorted(paid) == [-100] * len(won)
    winners = {customers[index] for index, result in enumerate(results) if isinstance(result, int)}
    for customer in customers:
        assert desk.points(customer) == START_POINTS - (100 if customer in winners else 0)
    desk.ledger_clean()


def test_the_daily_cap_holds_when_a_crowd_books_different_times(desk: Desk) -> None:
    """The cap per day is the application's check (the database refuses only overlaps): the hosts'
    schedules locked first make it exact under concurrency too."""
    for schedule, expert in zip(desk.schedules, desk.experts, strict=True):
        desk.write(
            bookings.save_schedule,
            actor_id=desk.manager,
            schedule_id=schedule,
            schedule_in=bookings.ScheduleIn(
                user_id=expert, time_zone="Europe/Berlin", weekly_hours=WEEKDAYS, buffer_after_minutes=15,
                max_per_day=1,
            ),
        )  # fmt: skip
    customers = [*desk.customers, *more_members(desk, 8 - len(desk.customers))]
    barrier = threading.Barrier(len(customers))

    def attempt(index: int) -> int | DomainError:
        barrier.wait()
        try:  # eight different, non-overlapping hours of the same Tuesday
            return int(desk.book(customers[index], TUESDAY_10 + timedelta(hours=index - 1)))
        except DomainError as error:
            return error

    with ThreadPoolExecutor(max_workers=len(customers)) as pool:
        results = list(pool.map(attempt, range(len(customers))))
    won = [result for result in results if isinstance(result, int)]
    assert len(won) == 2, results  # one a day for each of the two experts
    with desk.db.read() as session:
        per_expert = session.execute(
            select(Occurrence.schedule_id, func.count())
            .where(Occurrence.active)
            .group_by(Occurrence.schedule_id)
        ).all()
    assert sorted(count for _schedule, count in per_expert) == [1, 1]
