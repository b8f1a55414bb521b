"""A store with an expert and a session type to book, for the tests of the bookings web side: configured
through the bookings actions (the console forms have their own tests), booked only through HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from loyaldesk import bookings
from loyaldesk.kernel.actors import system_for
from loyaldesk.kernel.db import Database
from loyaldesk.loyalty.actions.configure_program import adjust_points
from loyaldesk.loyalty.schemas import AdjustmentIn
from loyaldesk.stores import Store
from loyaldesk.stores.credentials import shopper_signature
from loyaldesk.stores.models import StaffAccount
from tests.factories import StoreHandle, make_member, make_staff

# The test clock starts on Monday 2 March 2026, 10:00 UTC; the expert works in Paris (UTC+1 then).
WEDNESDAY_9_PARIS = datetime(2026, 3, 4, 8, 0, tzinfo=UTC)
PRICE = 100


@dataclass
class Salon:
    """Ids of the store's expert (staff and schedule), its styling session type and two members."""

    db: Database
    store: StoreHandle
    expert_id: int
    expert_email: str
    schedule_id: int
    styling_id: int
    members: dict[str, int]

    def identity(self, external_id: str) -> dict[str, str]:
        """The member API's headers of a shopper, signed by the store."""
        with self.db.read() as session:
            secret = session.get(Store, self.store.id).identity_secret  # type: ignore[union-attr]
        return {"X-Customer-Id": external_id, "X-Customer-Signature": shopper_signature(secret, external_id)}

    def query(self, external_id: str) -> dict[str, str]:
        """The same identity as a member page link's query."""
        headers = self.identity(external_id)
        return {"customer": headers["X-Customer-Id"], "signature": headers["X-Customer-Signature"]}


def make_salon(
    db: Database,
    store: StoreHandle,
    password_hash: str,
    *,
    schedule: dict[str, Any] | None = None,
    **session_type: Any,
) -> Salon:
    """An expert (an agent) working 09:00-17:00 Paris time on weekdays with an hour's notice (or as
    ``schedule`` says), hosting a one-hour "Styling session" for ``PRICE`` points (cancel and reschedule
    until 24 hours before; ``session_type`` changes it), and members ``m-1`` and ``m-2`` with 500 points
    each (customers made before keep their profile)."""
    email = make_staff(db, store, "agent", password_hash, "stylist@acme.example.com")
    with db.read() as session:
        expert_id = session.scalar(select(StaffAccount.id).where(StaffAccount.email == email))
    assert expert_id is not None
    schedule_id = db.write(
        bookings.save_schedule,
        store_id=store.id,
        actor_id=expert_id,
        schedule_in=bookings.ScheduleIn(
            **{
                "user_id": expert_id,
                "time_zone": "Europe/Paris",
                "weekly_hours": {day: [("09:00", "17:00")] for day in range(5)},
                "minimum_notice_minutes": 60,
                **(schedule or {}),
            }
        ),
    )
    settings = {
        "name": "Styling session",
        "slug": "styling",
        "length_minutes": 60,
        "price_points": PRICE,
        "cancel_window_hours": 24,
        "reschedule_window_hours": 24,
        "hold_minutes": 10,
        "hosts": [bookings.HostIn(schedule_id=schedule_id)],
        **session_type,
    }
    styling_id = db.write(
        bookings.save_session_type,
        store_id=store.id,
        actor_id=expert_id,
        session_type_in=bookings.SessionTypeIn(**settings),
    )
    members = {}
    for external_id in ("m-1", "m-2"):
        member_id = make_member(db, store, external_id)
        members[external_id] = member_id
        db.write(
            adjust_points,
            system_for(store.id),
            store.id,
            member_id,
            AdjustmentIn(points=500, reason_code="goodwill", note="Welcome"),
            key=f"test:welcome:{external_id}",
        )
    return Salon(db, store, expert_id, email, schedule_id, styling_id, members)
