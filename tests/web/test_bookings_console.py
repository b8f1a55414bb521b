"""The console's Bookings section as staff use it: a manager sets up an expert's schedule (weekly hours,
a holiday) and a session type through the forms; agents see the day's sessions in the store's time zone,
mark attendance and cancel (refunded); the customer record lists the customer's sessions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from loyaldesk import bookings
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from tests.factories import StoreHandle, csrf_of, login, make_staff, table_counts
from tests.web.bookings_fixtures import PRICE, WEDNESDAY_9_PARIS, Salon, make_salon

BASE = "/console/acme/bookings"


@pytest.fixture
def salon(db: Database, store: StoreHandle, password_hash: str) -> Salon:
    return make_salon(db, store, password_hash)


def _manager(client: TestClient, db: Database, store: StoreHandle, password_hash: str) -> str:
    email = make_staff(db, store, "admin", password_hash)
    login(client, email)
    return csrf_of(client.get("/console/account").text)


def _book(client: TestClient, salon: Salon, who: str, starts_at: str) -> int:
    api = "/member-api/v1/acme/bookings"
    held = client.post(
        api + "/holds",
        json={"session_type_id": salon.styling_id, "starts_at": starts_at},
        headers=salon.identity(who),
    )
    assert held.status_code == 201, held.text
    assert client.post(f"{api}/{held.json()['id']}/confirm", headers=salon.identity(who)).status_code == 200
    return int(held.json()["id"])


def test_a_manager_sets_up_a_schedule_with_a_holiday(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str, salon: Salon
) -> None:
    csrf = _manager(client, db, store, password_hash)
    assert client.get(BASE + "/schedules").status_code == 200
    new = client.get(BASE + "/schedules/new")
    assert new.status_code == 200 and 'name="monday"' in new.text
    form = {
        "csrf_token": csrf,
        "user_id": str(salon.expert_id),
        "time_zone": "Europe/Lisbon",
        "monday": "9-12",
        "buffer_before_minutes": "5",
        "buffer_after_minutes": "10",
        "minimum_notice_minutes": "120",
        "active": "true",
    }
    before = table_counts(db, "bookings_schedules", "bookings_weekly_hours")
    refused = client.post(BASE + "/schedules", data=form, follow_redirects=False)
    assert refused.status_code == 422
    assert "f-monday-error" in refused.text and "09:00-12:00" in refused.text
    zone = client.post(BASE + "/schedules", data={**form, "monday": "09:00-12:00", "time_zone": "Mars/Base"})
    assert zone.status_code == 422 and "f-time_zone-error" in zone.text
    assert table_counts(db, "bookings_schedules", "bookings_weekly_hours") == before

    # One schedule per expert: this expert has one (the salon's); edit it.
    page = client.get(f"{BASE}/schedules/{salon.schedule_id}")
    assert page.status_code == 200 and 'value="09:00-17:00"' in page.text
    saved = client.post(
        f"{BASE}/schedules/{salon.schedule_id}",
        data={**form, "monday": "09:00-12:00, 13:00-17:30", "tuesday": "10:00-16:00", "max_per_day": "4"},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text[:500]
    with db.read() as session:
        found = bookings.schedule(session, store_id=store.id, schedule_id=salon.schedule_id)
    assert found.weekly_hours[0] == [("09:00", "12:00"), ("13:00", "17:30")]
    assert found.time_zone == "Europe/Lisbon" and found.max_per_day == 4 and 2 not in found.weekly_hours

    holiday = client.post(
        f"{BASE}/schedules/{salon.schedule_id}/overrides",
        data={"csrf_token": csrf, "day": "2026-03-09", "hours": "", "note": "Holiday"},
        follow_redirects=False,
    )
    assert holiday.status_code == 303, holiday.text[:500]
    shown = client.get(f"{BASE}/schedules/{salon.schedule_id}").text
    assert "2026-03-09" in shown and "Day off" in shown
    slots = client.get(
        f"/member-api/v1/acme/bookings/session-types/{salon.styling_id}/slots",
        params={"time_zone": "Europe/Lisbon", "from": "2026-03-09", "days": 1},
        headers=salon.identity("m-1"),
    ).json()
    assert all(not day["slots"] for day in slots["days"])
    bad_day = client.post(
        f"{BASE}/schedules/{salon.schedule_id}/overrides",
        data={"csrf_token": csrf, "day": "2026-02-30", "hours": "09:00-10:00"},
    )
    assert bad_day.status_code == 422
    removed = client.post(
        f"{BASE}/schedules/{salon.schedule_id}/overrides/remove",
        data={"csrf_token": csrf, "day": "2026-03-09"},
        follow_redirects=False,
    )
    assert removed.status_code == 303
    assert "Day off" not in client.get(f"{BASE}/schedules/{salon.schedule_id}").text


def test_a_manager_sets_up_a_session_type(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str, salon: Salon
) -> None:
    csrf = _manager(client, db, store, password_hash)
    form = {
        "csrf_token": csrf,
        "name": "Fit check",
        "slug": "fit check",
        "description": "Bring the jeans that never fit <b>right</b>.",
        "length_minutes": "30",
        "capacity": "3",
        "price_points": "50",
        "mode": "in_store",
        "host_assignment": "round_robin_priority",
        "cancel_window_hours": "12",
        "reschedule_window_hours": "6",
        "hold_minutes": "5",
        "no_show_points": "20",
        "active": "true",
        "host": str(salon.schedule_id),
        f"priority-{salon.schedule_id}": "2",
    }
    refused = client.post(BASE + "/session-types", data=form)
    assert refused.status_code == 422 and "f-slug-error" in refused.text
    saved = client.post(BASE + "/session-types", data={**form, "slug": "fit-check"}, follow_redirects=False)
    assert saved.status_code == 303, saved.text[:500]
    listing = client.get(BASE + "/session-types").text
    assert "Fit check" in listing and "50 points" in listing and "In store" in listing
    with db.read() as session:
        [fit] = [
            kind
            for kind in bookings.session_types(session, store_id=store.id, active_only=False)
            if kind.slug == "fit-check"
        ]
    assert (
        fit.capacity == 3
        and fit.no_show_points == 20
        and [(h.schedule_id, h.priority) for h in fit.hosts] == [(salon.schedule_id, 2)]
    )
    page = client.get(f"{BASE}/session-types/{fit.id}")
    assert page.status_code == 200 and 'value="fit-check"' in page.text
    assert "Bring the jeans that never fit &lt;b&gt;right&lt;/b&gt;." in page.text
    # The shopper reads what the session gives under its name, as typed (escaped, never markup).
    types = client.get("/member-api/v1/acme/bookings/session-types", headers=salon.identity("m-1")).json()
    assert [kind["description"] for kind in types if kind["slug"] == "fit-check"] == [
        "Bring the jeans that never fit <b>right</b>."
    ]
    member_page = client.get("/m/acme/sessions", params=salon.query("m-1")).text
    assert "Bring the jeans that never fit &lt;b&gt;right&lt;/b&gt;." in member_page
    hidden = client.post(
        f"{BASE}/session-types/{fit.id}",
        data={k: v for k, v in form.items() if k != "active"} | {"slug": "fit-check"},
        follow_redirects=False,
    )
    assert hidden.status_code == 303
    with db.read() as session:
        assert bookings.session_type(session, store_id=store.id, session_type_id=fit.id).active is False


def test_agents_see_the_day_and_mark_attendance_but_do_not_set_up(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str, salon: Salon, clock: FakeClock
) -> None:
    first = _book(client, salon, "m-1", WEDNESDAY_9_PARIS.isoformat())
    second = _book(client, salon, "m-2", (WEDNESDAY_9_PARIS + timedelta(hours=1)).isoformat())
    login(client, salon.expert_email)
    csrf = csrf_of(client.get("/console/account").text)
    assert client.get(BASE + "/schedules").status_code == 403
    assert client.post(BASE + "/session-types", data={"csrf_token": csrf}).status_code == 403

    day = client.get(BASE, params={"day": "2026-03-04"})
    assert day.status_code == 200
    # The store's time zone (Europe/Amsterdam, UTC+1 in March): 08:00 UTC reads 09:00.
    assert "09:00" in day.text and "10:00" in day.text and "Styling session" in day.text
    assert "times in Europe/Amsterdam" in day.text
    assert f'data-seat="{first}"' in day.text and f'data-seat="{second}"' in day.text
    assert "Attended" not in day.text  # not started yet
    paris = client.get(BASE, params={"day": "2026-03-04", "expert": salon.expert_id})
    assert "times in Europe/Paris" in paris.text and "09:00" in paris.text

    clock.set(WEDNESDAY_9_PARIS + timedelta(minutes=70))
    login(client, salon.expert_email)  # two days later: the login has lapsed
    csrf = csrf_of(client.get("/console/account").text)
    assert "Attended" in client.get(BASE, params={"day": "2026-03-04"}).text
    marked = client.post(
        f"{BASE}/seats/{first}/attendance",
        data={"csrf_token": csrf, "attended": "no", "day": "2026-03-04"},
        follow_redirects=False,
    )
    assert marked.status_code == 303 and "done=no_show" in marked.headers["location"]
    bad = client.post(f"{BASE}/seats/{first}/attendance", data={"csrf_token": csrf, "attended": "maybe"})
    assert bad.status_code == 422
    cancelled = client.post(
        f"{BASE}/seats/{second}/cancel",
        data={"csrf_token": csrf, "day": "2026-03-04"},
        follow_redirects=False,
    )
    assert cancelled.status_code == 303
    after = client.get(BASE, params={"day": "2026-03-04"}).text
    assert 'data-status="no_show"' in after and 'data-status="cancelled"' in after
    me = client.get("/member-api/v1/acme/me", headers=salon.identity("m-2")).json()
    assert me["balance"]["available"] == 500  # the store cancelled: refunded in full

    with db.read() as session:
        customer_id = session.execute(
            text("SELECT id FROM customers WHERE store_id = :s AND external_id = 'm-1'"), {"s": store.id}
        ).scalar_one()
    record = client.get(f"/console/acme/customers/{customer_id}")
    assert record.status_code == 200
    assert "Expert sessions" in record.text and "Styling session" in record.text and "No-show" in record.text
    assert f"{PRICE:,} points" in record.text
