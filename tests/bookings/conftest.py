"""Fixtures of the bookings tests: a store with experts (schedules of real staff accounts), session types
they host, and customers, written straight into the tables (the actions that configure them come later)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from loyaldesk.bookings.models import Schedule, SessionType, SessionTypeHost
from loyaldesk.bookings.vocab import HostAssignment, SessionMode
from loyaldesk.customers import CustomerRef, resolve_customers
from loyaldesk.kernel.db import Database
from loyaldesk.stores.models import StaffAccount
from tests.factories import StoreHandle, make_staff

# A Monday in June, far from any clock change.
MONDAY_NOON = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@dataclass
class Studio:
    """One store's bookable experts, session types and customers (ids)."""

    db: Database
    store: StoreHandle
    experts: list[int] = field(default_factory=list)  # schedule ids
    types: dict[str, int] = field(default_factory=dict)  # slug -> session type id
    customers: list[int] = field(default_factory=list)


@pytest.fixture
def studio(db: Database, store: StoreHandle, password_hash: str) -> Studio:
    """Two experts (buffers: 10 minutes before, 15 after) who both host a one-to-one "styling" (60 min)
    and a "workshop" for four (90 min), and 20 customers."""
    emails = [make_staff(db, store, "agent", password_hash, f"expert{n}@acme.example.com") for n in (1, 2)]

    def seed(uow):  # type: ignore[no-untyped-def]
        now = uow.now()
        session = uow.session
        schedules = []
        for email in emails:
            staff_id = session.scalar(select(StaffAccount.id).where(StaffAccount.email == email))
            schedule = Schedule(
                store_id=store.id,
                user_id=staff_id,
                time_zone="Europe/Berlin",
                buffer_before_minutes=10,
                buffer_after_minutes=15,
                minimum_notice_minutes=0,
                active=True,
                created_at=now,
                updated_at=now,
            )
            session.add(schedule)
            schedules.append(schedule)
        types = {}
        for slug, length, capacity in (("styling", 60, 1), ("workshop", 90, 4)):
            session_type = SessionType(
                store_id=store.id,
                name=slug.title(),
                slug=slug,
                length_minutes=length,
                capacity=capacity,
                price_points=0,
                free_for_tier_ids=[],
                mode=SessionMode.VIDEO.value,
                host_assignment=HostAssignment.ROUND_ROBIN_LOAD.value,
                cancel_window_hours=24,
                reschedule_window_hours=24,
                hold_minutes=10,
                active=True,
                created_at=now,
                updated_at=now,
            )
            session.add(session_type)
            types[slug] = session_type
        session.flush()
        for schedule in schedules:
            for session_type in types.values():
                session.add(
                    SessionTypeHost(
                        store_id=store.id,
                        session_type_id=session_type.id,
                        schedule_id=schedule.id,
                        priority=0,
                        created_at=now,
                    )
                )
        refs: list[CustomerRef | None] = [CustomerRef(external_id=f"c-{n}") for n in range(20)]
        customers = resolve_customers(uow, store.id, refs, source="api")
        return (
            [schedule.id for schedule in schedules],
            {slug: session_type.id for slug, session_type in types.items()},
            [int(customer) for customer in customers if customer is not None],
        )

    experts, types, customers = db.write(seed)
    return Studio(db, store, experts, types, customers)


from tests.bookings.desk import desk  # noqa: E402, F401  (the fixture of the booking actions' tests)
