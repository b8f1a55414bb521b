"""A customer's sessions and waitlist places in their GDPR export, and their erasure: upcoming seats are
given back (the expert's time is free again), waitlist places withdrawn, past sessions kept as ids, times
and points (through the API, as a store's backend asks)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from loyaldesk.bookings import take_seat
from loyaldesk.bookings.models import Occurrence, Seat, WaitlistEntry
from tests.bookings.conftest import MONDAY_NOON, Studio

LAST_MONTH = datetime(2026, 2, 2, 12, 0, tzinfo=UTC)  # before the test clock's "now" (2026-03-02)


def test_export_lists_sessions_and_erasure_gives_upcoming_seats_back(
    client: TestClient, studio: Studio
) -> None:
    customer = studio.customers[0]

    def book(start: datetime, slug: str) -> int:
        taken = studio.db.write(
            take_seat,
            studio.store.id,
            schedule_id=studio.experts[0],
            session_type_id=studio.types[slug],
            starts_at=start,
            customer_id=customer,
        )
        return taken.seat_id

    past, upcoming = book(LAST_MONTH, "styling"), book(MONDAY_NOON, "workshop")

    def join_waitlist(uow):  # type: ignore[no-untyped-def]
        uow.session.add(
            WaitlistEntry(
                store_id=studio.store.id,
                session_type_id=studio.types["styling"],
                customer_id=customer,
                wanted_from=MONDAY_NOON,
                wanted_until=MONDAY_NOON + timedelta(days=7),
                status="waiting",
                created_at=uow.now(),
                updated_at=uow.now(),
            )
        )

    studio.db.write(join_waitlist)
    auth = studio.store.auth
    export = client.get(f"/api/v1/customers/{customer}/export", headers=auth)
    assert export.status_code == 200, export.text
    section = export.json()["bookings"]
    assert [(row["session_type"], row["status"]) for row in section["sessions"]] == [
        ("Styling", "confirmed"),
        ("Workshop", "confirmed"),
    ]
    assert section["sessions"][1]["starts_at"] == MONDAY_NOON.isoformat()
    assert [row["status"] for row in section["waitlist"]] == ["waiting"]

    erased = client.post(f"/api/v1/customers/{customer}/erase", headers=auth)
    assert erased.status_code in (200, 202), erased.text
    with studio.db.read() as session:
        statuses = dict(session.execute(select(Seat.id, Seat.status)).all())
        assert statuses == {past: "confirmed", upcoming: "cancelled"}
        live = session.scalars(select(Occurrence.starts_at).where(Occurrence.active)).all()
        assert live == [LAST_MONTH]  # the workshop's time is free again
        assert session.scalars(select(WaitlistEntry.status)).all() == ["withdrawn"]
