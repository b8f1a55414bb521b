"""Where a shopper finds expert sessions: the member page links to its "Expert sessions" page, and the chat
widget's greeting of a signed-in shopper carries a link to it, once the store has a session type to book
(never before)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import text

from loyaldesk.kernel.db import Database
from loyaldesk.runtime import Runtime
from loyaldesk.support.actions.contacts import identify_contact
from loyaldesk.support.widget_ticket import issue_ticket
from tests.factories import StoreHandle, make_member
from tests.web.bookings_fixtures import make_salon


def _ticket(runtime: Runtime, db: Database, store: StoreHandle, external_id: str) -> str:
    with db.read() as session:
        customer_id = session.execute(
            text("SELECT id FROM customers WHERE store_id = :s AND external_id = :e"),
            {"s": store.id, "e": external_id},
        ).scalar_one()
    contact = db.write(identify_contact, store.id, customer_id=customer_id, visitor_token=None)
    return issue_ticket(runtime.secret_key, store.id, contact.contact_id)


def test_the_member_page_and_the_widget_link_to_expert_sessions(
    client: TestClient, db: Database, store: StoreHandle, runtime: Runtime, password_hash: str
) -> None:
    make_member(db, store, "early")
    ticket = _ticket(runtime, db, store, "early")
    before = client.get("/widget-api/v1/acme/greeting", params={"ticket": ticket, "language": "en"}).json()
    assert "sessions" not in before

    salon = make_salon(db, store, password_hash)
    page = client.get("/m/acme", params=salon.query("m-1"))
    assert page.status_code == 200
    assert 'data-testid="sessions-link"' in page.text and "/m/acme/sessions?customer=m-1" in page.text

    greeting = client.get(
        "/widget-api/v1/acme/greeting",
        params={"ticket": _ticket(runtime, db, store, "m-1"), "language": "en"},
    ).json()
    assert greeting["personal"] is True
    assert greeting["sessions"] == {"label": "Book a session with an expert", "path": "/m/acme/sessions"}

    sessions = client.get("/m/acme/sessions", params=salon.query("m-1"))
    assert sessions.status_code == 200
    assert "Styling session" in sessions.text and "100 points" in sessions.text
    assert (
        client.get("/m/acme/sessions", params={"customer": "m-1", "signature": "0" * 64}).status_code == 401
    )
    german = client.get("/m/acme/sessions", params=salon.query("m-1"), headers={"Accept-Language": "de"})
    assert "Expertentermine" in german.text and "100 Punkte" in german.text and "60 Minuten" in german.text
    assert "Freie Zeiten ansehen" in german.text and "Wird geladen" in german.text  # the script's words too


def test_a_tier_that_books_free_sees_it_free(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    base = client.post(
        "/api/v1/loyalty/tiers", json={"name": "Member", "rank": 0, "threshold": 0}, headers=store.auth
    )
    assert base.status_code == 201, base.text
    tiers = client.post(
        "/api/v1/loyalty/tiers", json={"name": "Gold", "rank": 1, "threshold": 100000}, headers=store.auth
    )
    assert tiers.status_code == 201, tiers.text
    gold = tiers.json()["id"]
    salon = make_salon(db, store, password_hash, free_for_tier_ids=[gold])
    override = client.put(
        f"/api/v1/loyalty/members/{salon.members['m-1']}/tier-override",
        json={"tier_id": gold},
        headers=store.auth,
    )
    assert override.status_code == 200, override.text
    mine = client.get("/member-api/v1/acme/bookings/session-types", headers=salon.identity("m-1")).json()
    theirs = client.get("/member-api/v1/acme/bookings/session-types", headers=salon.identity("m-2")).json()
    assert (mine[0]["free_for_your_tier"], mine[0]["price_for_you"]) == (True, 0)
    assert (theirs[0]["free_for_your_tier"], theirs[0]["price_for_you"]) == (False, 100)
    assert "Free for your tier" in client.get("/m/acme/sessions", params=salon.query("m-1")).text
    assert "Free for your tier" not in client.get("/m/acme/sessions", params=salon.query("m-2")).text
