"""Video calls through HTTP: expert sessions' calls (the member page's "Join the video call" and the day
view's "Start the video call" only from 10 minutes before the session until its end; another customer's
seat refused, nothing written) and the shopper ringing the desk from the chat widget."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from loyaldesk import calls
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.support.widget_ticket import issue_ticket
from tests.calls.conftest import customer_conversation
from tests.factories import StoreHandle, csrf_of, login, table_counts
from tests.web.bookings_fixtures import WEDNESDAY_9_PARIS, Salon, make_salon

API = "/member-api/v1/acme/bookings"
STARTS = WEDNESDAY_9_PARIS
ENDS = STARTS + timedelta(hours=1)


def _booked(client: TestClient, salon: Salon, who: str = "m-1") -> int:
    held = client.post(
        API + "/holds",
        json={"session_type_id": salon.styling_id, "starts_at": STARTS.isoformat()},
        headers=salon.identity(who),
    )
    assert held.status_code == 201, held.text
    booking_id = int(held.json()["id"])
    assert client.post(f"{API}/{booking_id}/confirm", headers=salon.identity(who)).status_code == 200
    return booking_id


def _join_link_shown(client: TestClient, salon: Salon, booking_id: int) -> bool:
    page = client.get("/m/acme/sessions", params=salon.query("m-1"))
    assert page.status_code == 200, page.text
    return f'data-call-join="{booking_id}"' in page.text


def test_the_shopper_joins_the_video_call_only_in_its_window(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str, clock: FakeClock
) -> None:
    salon = make_salon(db, store, password_hash)
    booking_id = _booked(client, salon)

    clock.set(STARTS - timedelta(minutes=11))
    assert not _join_link_shown(client, salon, booking_id)
    early = client.post(f"{API}/{booking_id}/call", headers=salon.identity("m-1"))
    assert early.status_code == 409 and "10 minutes before" in early.text
    assert client.get(f"/m/acme/sessions/{booking_id}/call", params=salon.query("m-1")).status_code == 409
    assert table_counts(db, "calls_sessions") == {"calls_sessions": 0}

    clock.set(STARTS - timedelta(minutes=9))
    assert _join_link_shown(client, salon, booking_id)
    page = client.get(f"/m/acme/sessions/{booking_id}/call", params=salon.query("m-1"))
    assert page.status_code == 200 and "Join the video call" in page.text
    opened = client.post(f"{API}/{booking_id}/call", headers=salon.identity("m-1"))
    assert opened.status_code == 201, opened.text
    session = opened.json()["session"]
    assert (session["kind"], session["state"], session["booking_seat_id"]) == (
        "video",
        "requested",
        booking_id,
    )
    assert session["requested_by"] == "shopper"
    assert opened.json()["socket"] == f"/ws/calls/acme/{session['id']}"
    # Asking again (a reload): the same call.
    again = client.post(f"{API}/{booking_id}/call", headers=salon.identity("m-1"))
    assert again.json()["session"]["id"] == session["id"]

    clock.set(ENDS)
    assert not _join_link_shown(client, salon, booking_id)
    assert client.post(f"{API}/{booking_id}/call", headers=salon.identity("m-1")).status_code == 409


def test_another_customer_cannot_open_or_see_the_call_of_a_seat(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str, clock: FakeClock
) -> None:
    salon = make_salon(db, store, password_hash)
    booking_id = _booked(client, salon)
    clock.set(STARTS)
    before = table_counts(db, "calls_sessions", "audit_log")
    refused = client.post(f"{API}/{booking_id}/call", headers=salon.identity("m-2"))
    assert refused.status_code == 404
    assert client.get(f"/m/acme/sessions/{booking_id}/call", params=salon.query("m-2")).status_code == 404
    assert table_counts(db, "calls_sessions", "audit_log") == before


def test_an_in_store_session_has_no_video_call(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str, clock: FakeClock
) -> None:
    from loyaldesk.bookings import SessionMode

    salon = make_salon(db, store, password_hash, mode=SessionMode.IN_STORE)
    booking_id = _booked(client, salon)
    clock.set(STARTS)
    assert not _join_link_shown(client, salon, booking_id)
    refused = client.post(f"{API}/{booking_id}/call", headers=salon.identity("m-1"))
    assert refused.status_code == 409 and "in the store" in refused.text
    assert table_counts(db, "calls_sessions") == {"calls_sessions": 0}


def test_the_expert_starts_the_video_call_from_the_day_view(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str, clock: FakeClock
) -> None:
    salon = make_salon(db, store, password_hash)
    booking_id = _booked(client, salon)
    clock.set(STARTS - timedelta(hours=1))
    login(client, salon.expert_email)  # after moving the clock: the console session lasts 12 hours
    day = f"/console/acme/bookings?day={STARTS.date().isoformat()}"
    page = client.get(day)
    assert page.status_code == 200 and "Start the video call" not in page.text
    csrf = csrf_of(page.text)
    early = client.post(f"/console/acme/bookings/seats/{booking_id}/call", data={"csrf_token": csrf})
    assert early.status_code == 409
    assert table_counts(db, "calls_sessions") == {"calls_sessions": 0}

    clock.set(STARTS - timedelta(minutes=5))
    page = client.get(day)
    assert f'data-call-booking="{booking_id}"' in page.text and "Start the video call" in page.text
    started = client.post(
        f"/console/acme/bookings/seats/{booking_id}/call", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert started.status_code == 303
    call_id = int(re.fullmatch(r"/console/acme/calls/(\d+)", started.headers["location"]).group(1))  # type: ignore[union-attr]
    call_page = client.get(started.headers["location"])
    assert call_page.status_code == 200 and "data-call-page" in call_page.text
    assert "/static/console-call.js" in call_page.text
    # The shopper joining now joins the same call (the expert rang: the shopper answers on the socket).
    joined = client.post(f"{API}/{booking_id}/call", headers=salon.identity("m-1"))
    assert joined.json()["session"]["id"] == call_id
    assert joined.json()["session"]["requested_by"] == "agent"


def test_the_shopper_rings_the_desk_from_the_widget(
    client: TestClient, db: Database, store: StoreHandle, other_store: StoreHandle, runtime: object
) -> None:
    _, contact_id, conversation_id = customer_conversation(db, store, "c-1")
    _, stranger_contact, _ = customer_conversation(db, store, "c-2")
    secret_key = runtime.secret_key  # type: ignore[attr-defined]
    ticket = issue_ticket(secret_key, store.id, contact_id)
    url = "/widget-api/v1/acme/calls"

    bad = client.post(url, json={"ticket": ticket, "conversation_id": conversation_id, "kind": "cobrowse"})
    assert bad.status_code == 422 and "kind" in bad.text
    stranger = client.post(
        url,
        json={
            "ticket": issue_ticket(secret_key, store.id, stranger_contact),
            "conversation_id": conversation_id,
            "kind": "video",
        },
    )
    assert stranger.status_code == 404
    assert table_counts(db, "calls_sessions") == {"calls_sessions": 0}

    rung = client.post(url, json={"ticket": ticket, "conversation_id": conversation_id, "kind": "voice"})
    assert rung.status_code == 201, rung.text
    session = rung.json()["session"]
    assert (session["kind"], session["requested_by"], session["conversation_id"]) == (
        "voice",
        "shopper",
        conversation_id,
    )
    with db.read() as read:
        assert calls.session_view(read, store.id, session["id"]).contact_id == contact_id


@pytest.mark.parametrize("kind", ["video", "voice"])
def test_an_agent_rings_from_the_conversation(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str, kind: str
) -> None:
    from tests.factories import make_staff

    _, _, conversation_id = customer_conversation(db, store, "c-1")
    login(client, make_staff(db, store, "agent", password_hash))
    inbox = client.get(f"/console/acme/inbox?c={conversation_id}")
    assert f'data-call-start="{kind}"' in inbox.text
    csrf = csrf_of(inbox.text)
    wrong = client.post(
        f"/console/acme/inbox/{conversation_id}/call", data={"csrf_token": csrf, "kind": "cobrowse"}
    )
    assert wrong.status_code == 422 and "kind" in wrong.text
    rung = client.post(
        f"/console/acme/inbox/{conversation_id}/call",
        data={"csrf_token": csrf, "kind": kind},
        follow_redirects=False,
    )
    assert rung.status_code == 303
    page = client.get(rung.headers["location"])
    assert page.status_code == 200 and f'data-kind="{kind}"' in page.text
