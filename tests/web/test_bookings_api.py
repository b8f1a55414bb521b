"""Expert sessions through the member API, as a store's front end calls it: session types priced for the
shopper, slots in their time zone, hold -> confirm paid with points, cancel inside and outside the window,
reschedule, the invitation file, the waitlist; bad input named by field; another shopper's booking out of
reach (404, nothing changed)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.loyalty import check_ledger
from tests.factories import StoreHandle, table_counts
from tests.web.bookings_fixtures import PRICE, WEDNESDAY_9_PARIS, Salon, make_salon

API = "/member-api/v1/acme/bookings"
BOOKING_TABLES = ("bookings_seats", "bookings_occurrences", "bookings_waitlist", "loyalty_entries")


@pytest.fixture
def salon(db: Database, store: StoreHandle, password_hash: str) -> Salon:
    return make_salon(db, store, password_hash)


def _balance(client: TestClient, salon: Salon, who: str) -> int:
    response = client.get("/member-api/v1/acme/me", headers=salon.identity(who))
    assert response.status_code == 200, response.text
    return int(response.json()["balance"]["available"])


def _book(client: TestClient, salon: Salon, who: str, starts_at: str) -> dict[str, Any]:
    held = client.post(
        API + "/holds",
        json={"session_type_id": salon.styling_id, "starts_at": starts_at},
        headers=salon.identity(who),
    )
    assert held.status_code == 201, held.text
    confirmed = client.post(f"{API}/{held.json()['id']}/confirm", headers=salon.identity(who))
    assert confirmed.status_code == 200, confirmed.text
    return dict(confirmed.json())


def test_slots_are_offered_in_the_shoppers_time_zone(client: TestClient, salon: Salon) -> None:
    types = client.get(API + "/session-types", headers=salon.identity("m-1"))
    assert types.status_code == 200
    [styling] = types.json()
    assert styling["name"] == "Styling session" and styling["price_for_you"] == PRICE
    assert styling["free_for_your_tier"] is False

    slots = client.get(
        f"{API}/session-types/{salon.styling_id}/slots",
        params={"time_zone": "America/New_York", "from": "2026-03-04", "days": 1},
        headers=salon.identity("m-1"),
    )
    assert slots.status_code == 200, slots.text
    body = slots.json()
    assert body["time_zone"] == "America/New_York"
    starts = [slot["local_start"] for day in body["days"] for slot in day["slots"]]
    # 09:00 in Paris (UTC+1) is 03:00 in New York (UTC-5); the last hour starts at 16:00 Paris, 10:00 there.
    assert starts[0].startswith("2026-03-04T03:00") and starts[0].endswith("-05:00")
    assert starts[-1].startswith("2026-03-04T10:00")
    assert body["days"][0]["slots"][0]["starts_at"].startswith("2026-03-04T08:00")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"time_zone": "UTC", "days": 0}, "days"),
        ({"time_zone": "UTC", "from": "next tuesday"}, "from"),
        ({}, "time_zone"),
    ],
)
def test_bad_slot_queries_name_the_field(
    client: TestClient, salon: Salon, params: dict[str, Any], field: str
) -> None:
    response = client.get(
        f"{API}/session-types/{salon.styling_id}/slots", params=params, headers=salon.identity("m-1")
    )
    assert response.status_code == 422, response.text
    assert field in [problem["field"].split(".")[-1] for problem in response.json()["error"]["fields"]]


def test_hold_then_confirm_pays_with_points_and_gives_the_invitation(
    client: TestClient, salon: Salon, clock: FakeClock, db: Database
) -> None:
    starts_at = WEDNESDAY_9_PARIS.isoformat()
    held = client.post(
        API + "/holds",
        json={"session_type_id": salon.styling_id, "starts_at": starts_at},
        headers=salon.identity("m-1"),
    )
    assert held.status_code == 201, held.text
    booking = held.json()
    assert booking["status"] == "held" and booking["hold_expires_at"]
    assert booking["expert_name"] and booking["session_type"]["name"] == "Styling session"
    assert _balance(client, salon, "m-1") == 500  # nothing paid while held

    # Someone else cannot take the held slot.
    taken = client.post(
        API + "/holds",
        json={"session_type_id": salon.styling_id, "starts_at": starts_at},
        headers=salon.identity("m-2"),
    )
    assert taken.status_code == 409, taken.text

    confirmed = client.post(f"{API}/{booking['id']}/confirm", headers=salon.identity("m-1"))
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "confirmed" and confirmed.json()["points_paid"] == PRICE
    assert _balance(client, salon, "m-1") == 500 - PRICE
    again = client.post(f"{API}/{booking['id']}/confirm", headers=salon.identity("m-1"))
    assert again.status_code in (200, 409)
    assert _balance(client, salon, "m-1") == 500 - PRICE  # paid once

    mine = client.get(API, headers=salon.identity("m-1")).json()
    [listed] = mine["bookings"]
    assert listed["id"] == booking["id"] and listed["ics_url"].endswith(
        f"/bookings/{booking['id']}/invitation.ics"
    )
    assert listed["can_cancel"]["allowed"] is True
    ics = client.get(listed["ics_url"], headers=salon.identity("m-1"))
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    assert b"BEGIN:VCALENDAR" in ics.content and b"20260304T080000Z" in ics.content
    assert client.get(API, headers=salon.identity("m-2")).json()["bookings"] == []
    with db.read() as session:
        assert check_ledger(session) == []


def test_cancel_is_refused_inside_the_window_and_refunded_outside(
    client: TestClient, salon: Salon, clock: FakeClock, db: Database
) -> None:
    soon = _book(client, salon, "m-1", WEDNESDAY_9_PARIS.isoformat())
    later = _book(client, salon, "m-1", (WEDNESDAY_9_PARIS + timedelta(days=1)).isoformat())
    assert _balance(client, salon, "m-1") == 500 - 2 * PRICE

    clock.set(WEDNESDAY_9_PARIS - timedelta(hours=3))  # inside the first one's 24 hours
    listed = {item["id"]: item for item in client.get(API, headers=salon.identity("m-1")).json()["bookings"]}
    assert listed[soon["id"]]["can_cancel"]["allowed"] is False
    assert listed[soon["id"]]["can_cancel"]["deadline"].startswith("2026-03-03T08:00")
    before = table_counts(db, *BOOKING_TABLES)
    refused = client.post(f"{API}/{soon['id']}/cancel", json={}, headers=salon.identity("m-1"))
    assert refused.status_code == 409, refused.text
    assert "2026" in refused.json()["error"]["message"]  # names the deadline
    assert table_counts(db, *BOOKING_TABLES) == before
    assert _balance(client, salon, "m-1") == 500 - 2 * PRICE

    cancelled = client.post(
        f"{API}/{later['id']}/cancel", json={"reason": "ill"}, headers=salon.identity("m-1")
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["points_refunded"] == PRICE
    assert cancelled.json()["booking"]["status"] == "cancelled"
    assert _balance(client, salon, "m-1") == 500 - PRICE
    twice = client.post(f"{API}/{later['id']}/cancel", json={}, headers=salon.identity("m-1"))
    assert twice.status_code in (200, 409)
    assert _balance(client, salon, "m-1") == 500 - PRICE  # refunded once
    with db.read() as session:
        assert check_ledger(session) == []


def test_reschedule_carries_the_points_over(client: TestClient, salon: Salon) -> None:
    booked = _book(client, salon, "m-1", WEDNESDAY_9_PARIS.isoformat())
    new_start = (WEDNESDAY_9_PARIS + timedelta(hours=2)).isoformat()
    moved = client.post(
        f"{API}/{booked['id']}/reschedule", json={"starts_at": new_start}, headers=salon.identity("m-1")
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["starts_at"].startswith("2026-03-04T10:00") and moved.json()["status"] == "confirmed"
    assert _balance(client, salon, "m-1") == 500 - PRICE
    statuses = {
        item["id"]: item["status"]
        for item in client.get(API, headers=salon.identity("m-1")).json()["bookings"]
    }
    assert statuses[moved.json()["id"]] == "confirmed"
    assert statuses.get(booked["id"]) in (None, "cancelled")


def test_another_shopper_can_neither_see_nor_touch_a_booking(
    client: TestClient, salon: Salon, db: Database
) -> None:
    booked = _book(client, salon, "m-1", WEDNESDAY_9_PARIS.isoformat())
    before = table_counts(db, *BOOKING_TABLES)
    thief = salon.identity("m-2")
    new_start = (WEDNESDAY_9_PARIS + timedelta(hours=2)).isoformat()
    attempts = [
        client.post(f"{API}/{booked['id']}/confirm", headers=thief),
        client.post(f"{API}/{booked['id']}/cancel", json={}, headers=thief),
        client.post(f"{API}/{booked['id']}/reschedule", json={"starts_at": new_start}, headers=thief),
        client.get(f"{API}/{booked['id']}/invitation.ics", headers=thief),
        client.get(f"/m/acme/sessions/{booked['id']}/invitation.ics", params=salon.query("m-2")),
    ]
    assert [response.status_code for response in attempts] == [404] * 5
    assert table_counts(db, *BOOKING_TABLES) == before
    assert _balance(client, salon, "m-1") == 500 - PRICE and _balance(client, salon, "m-2") == 500
    assert client.get(f"{API}/{booked['id']}/invitation.ics").status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"session_type_id": 1, "starts_at": "2026-03-04T08:00:00"}, "starts_at"),  # no zone
        ({"session_type_id": 0, "starts_at": "2026-03-04T08:00:00Z"}, "session_type_id"),
        ({"starts_at": "2026-03-04T08:00:00Z"}, "session_type_id"),
        ({"session_type_id": 1, "starts_at": "2026-03-04T08:00:00Z", "seats": 3}, "seats"),
    ],
)
def test_bad_holds_name_the_field_and_store_nothing(
    client: TestClient, salon: Salon, db: Database, body: dict[str, Any], field: str
) -> None:
    before = table_counts(db, *BOOKING_TABLES)
    response = client.post(API + "/holds", json=body, headers=salon.identity("m-1"))
    assert response.status_code == 422, response.text
    assert field in [problem["field"].split(".")[-1] for problem in response.json()["error"]["fields"]]
    assert table_counts(db, *BOOKING_TABLES) == before


def test_a_slot_nobody_can_host_is_refused(client: TestClient, salon: Salon, db: Database) -> None:
    before = table_counts(db, *BOOKING_TABLES)
    for starts_at in ("2026-03-04T07:00:00Z", "2026-03-07T10:00:00Z", "2026-03-04T08:10:00Z"):
        response = client.post(
            API + "/holds",
            json={"session_type_id": salon.styling_id, "starts_at": starts_at},
            headers=salon.identity("m-1"),
        )
        assert response.status_code == 409, f"{starts_at}: {response.text}"
    unknown = client.post(
        API + "/holds",
        json={"session_type_id": 987654321, "starts_at": "2026-03-04T08:00:00Z"},
        headers=salon.identity("m-1"),
    )
    assert unknown.status_code == 404
    stranger = client.post(
        API + "/holds",
        json={"session_type_id": salon.styling_id, "starts_at": "2026-03-04T08:00:00Z"},
        headers=salon.identity("not-a-customer"),
    )
    assert stranger.status_code == 404 and "told loyaldesk" in stranger.json()["error"]["message"]
    assert table_counts(db, *BOOKING_TABLES) == before


def test_the_waitlisted_shopper_gets_the_freed_slot(client: TestClient, salon: Salon, db: Database) -> None:
    booked = _book(client, salon, "m-1", WEDNESDAY_9_PARIS.isoformat())
    wait = client.post(
        API + "/waitlist",
        json={
            "session_type_id": salon.styling_id,
            "wanted_from": "2026-03-04T07:00:00Z",
            "wanted_until": "2026-03-04T10:00:00Z",
        },
        headers=salon.identity("m-2"),
    )
    assert wait.status_code == 201, wait.text
    entry = wait.json()
    assert entry["status"] == "waiting"
    assert (
        client.post(f"{API}/waitlist/{entry['id']}/accept", headers=salon.identity("m-1")).status_code == 404
    )
    backwards = client.post(
        API + "/waitlist",
        json={
            "session_type_id": salon.styling_id,
            "wanted_from": "2026-03-05T07:00:00Z",
            "wanted_until": "2026-03-04T07:00:00Z",
        },
        headers=salon.identity("m-2"),
    )
    assert backwards.status_code == 422 and backwards.json()["error"]["fields"][0]["field"] == "wanted_until"

    assert (
        client.post(f"{API}/{booked['id']}/cancel", json={}, headers=salon.identity("m-1")).status_code == 200
    )
    [offered] = client.get(API, headers=salon.identity("m-2")).json()["waitlist"]
    assert offered["status"] == "offered" and offered["offered_starts_at"].startswith("2026-03-04T08:00")
    taken = client.post(f"{API}/waitlist/{entry['id']}/accept", headers=salon.identity("m-2"))
    assert taken.status_code == 200, taken.text
    assert taken.json()["starts_at"].startswith("2026-03-04T08:00") and taken.json()["status"] == "confirmed"
    assert _balance(client, salon, "m-2") == 500 - PRICE
    with db.read() as session:
        assert check_ledger(session) == []


def test_leaving_the_waitlist(client: TestClient, salon: Salon) -> None:
    wait = client.post(
        API + "/waitlist",
        json={
            "session_type_id": salon.styling_id,
            "wanted_from": "2026-03-04T07:00:00Z",
            "wanted_until": "2026-03-05T07:00:00Z",
        },
        headers=salon.identity("m-2"),
    )
    entry_id = wait.json()["id"]
    assert client.delete(f"{API}/waitlist/{entry_id}", headers=salon.identity("m-1")).status_code == 404
    assert client.delete(f"{API}/waitlist/{entry_id}", headers=salon.identity("m-2")).status_code == 204
    [left] = client.get(API, headers=salon.identity("m-2")).json()["waitlist"] or [{"status": "withdrawn"}]
    assert left["status"] == "withdrawn"
