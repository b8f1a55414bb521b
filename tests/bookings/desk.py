"""A store configured through the booking actions themselves (the ``desk`` fixture): a manager, two
experts in Berlin working Monday to Friday 09:00-17:00 (15 minutes' buffer after each session), a
one-to-one "styling" (60 min, 100 points, round robin by priority, both experts) and a "workshop" for
three (90 min, free, the first expert only), and six members with 500 points each. The clock stands on
Monday 1 June 2026, 08:00 in Berlin."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from loyaldesk import bookings
from loyaldesk.bookings import HostAssignment, HostIn, ScheduleIn, SessionTypeIn
from loyaldesk.customers import Customer
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.loyalty import AdjustmentIn, Member, adjust_points, check_ledger, enroll
from loyaldesk.stores import StaffAccount
from tests.factories import StoreHandle, make_staff

NOW = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)  # Monday 08:00 in Berlin
TUESDAY_10 = datetime(2026, 6, 2, 8, 0, tzinfo=UTC)  # Tuesday 10:00 in Berlin
WEEKDAYS = {day: [("09:00", "17:00")] for day in range(5)}
START_POINTS = 500


@dataclass
class Desk:
    db: Database
    clock: FakeClock
    store: StoreHandle
    manager: int
    experts: list[int]  # staff ids
    schedules: list[int]
    types: dict[str, int]
    customers: list[int] = field(default_factory=list)

    def write(self, action: Any, **kwargs: Any) -> Any:
        return self.db.write(lambda uow: action(uow, store_id=self.store.id, **kwargs))

    def read(self, query: Any, **kwargs: Any) -> Any:
        with self.db.read() as session:
            return query(session, store_id=self.store.id, **kwargs)

    def hold(self, customer: int, starts_at: datetime, slug: str = "styling") -> int:
        return int(
            self.write(
                bookings.hold_slot,
                customer_id=customer,
                session_type_id=self.types[slug],
                starts_at=starts_at,
            )
        )

    def book(self, customer: int, starts_at: datetime, slug: str = "styling") -> int:
        return int(
            self.write(
                bookings.book_slot,
                customer_id=customer,
                session_type_id=self.types[slug],
                starts_at=starts_at,
            )
        )

    def points(self, customer: int) -> int:
        with self.db.read() as session:
            return int(
                session.scalar(
                    select(Member.available_points).where(
                        Member.store_id == self.store.id, Member.customer_id == customer
                    )
                )
            )

    def ledger_clean(self) -> None:
        with self.db.read() as session:
            assert check_ledger(session, self.store.id) == []


def staff_id(db: Database, email: str) -> int:
    with db.read() as session:
        return int(session.scalar(select(StaffAccount.id).where(StaffAccount.email == email)))


@pytest.fixture
def desk(db: Database, clock: FakeClock, store: StoreHandle, password_hash: str) -> Desk:
    clock.set(NOW)
    manager = staff_id(db, make_staff(db, store, "admin", password_hash, "manager@acme.example.com"))
    experts = [
        staff_id(db, make_staff(db, store, "agent", password_hash, f"expert{n}@acme.example.com"))
        for n in (1, 2)
    ]
    for expert, name in zip(experts, ("Maya", "Noah"), strict=True):

        def rename(uow, expert=expert, name=name):  # type: ignore[no-untyped-def]
            uow.session.get(StaffAccount, expert).name = name

        db.write(rename)
    schedules = [
        db.write(
            bookings.save_schedule,
            store_id=store.id,
            actor_id=manager,
            schedule_in=ScheduleIn(
                user_id=expert, time_zone="Europe/Berlin", weekly_hours=WEEKDAYS, buffer_after_minutes=15
            ),
        )
        for expert in experts
    ]
    styling = db.write(
        bookings.save_session_type,
        store_id=store.id,
        actor_id=manager,
        session_type_in=SessionTypeIn(
            name="Styling",
            slug="styling",
            length_minutes=60,
            price_points=100,
            host_assignment=HostAssignment.ROUND_ROBIN_PRIORITY,
            no_show_points=30,
            hosts=[
                HostIn(schedule_id=schedules[0], priority=1),
                HostIn(schedule_id=schedules[1], priority=2),
            ],
        ),
    )
    workshop = db.write(
        bookings.save_session_type,
        store_id=store.id,
        actor_id=manager,
        session_type_in=SessionTypeIn(
            name="Workshop",
            slug="workshop",
            length_minutes=90,
            capacity=3,
            hosts=[HostIn(schedule_id=schedules[0])],
        ),
    )

    def members(uow):  # type: ignore[no-untyped-def]
        ids = []
        for n in range(6):
            customer = Customer(
                store_id=store.id,
                external_id=f"shopper-{n}",
                email=f"shopper{n}@example.com",
                first_name=f"Shopper{n}",
                source="api",
                created_at=uow.now(),
                updated_at=uow.now(),
            )
            uow.session.add(customer)
            uow.session.flush()
            member, _ = enroll(uow, store.id, customer.id)
            adjust_points(
                uow,
                store.actor,
                store.id,
                member.id,
                AdjustmentIn(points=START_POINTS, reason_code="goodwill", note="welcome"),
                key=f"seed-{n}",
            )
            ids.append(customer.id)
        return ids

    customers = db.write(members)
    return Desk(
        db, clock, store, manager, experts, schedules, {"styling": styling, "workshop": workshop}, customers
    )


def later(desk: Desk, **delta: float) -> None:
    desk.clock.advance(timedelta(**delta))
