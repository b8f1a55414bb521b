"""An agent books an expert session for a customer from the customer's record: the week's free times in
the store's time zone, one click to book (paid from the customer's points, as if they booked it), and a
refusal in words with nothing held when the time was just taken or the role may not book."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from loyaldesk.customers import Customer
from loyaldesk.kernel.db import Database
from tests.factories import StoreHandle, csrf_of, login, make_staff, table_counts
from tests.web.bookings_fixtures import PRICE, WEDNESDAY_9_PARIS, Salon, make_salon


@pytest.fixture
def salon(db: Database, store: StoreHandle, password_hash: str) -> Salon:
    return make_salon(db, store, password_hash)


def _customer_id(db: Database, store: StoreHandle, external_id: str) -> int:
    with db.read() as session:
        found = session.scalar(
            select(Customer.id).where(Customer.store_id == store.id, Customer.external_id == external_id)
        )
    assert found is not None
    return int(found)


def test_an_agent_books_a_session_for_a_customer_and_a_taken_time_is_refused_in_words(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str, salon: Salon
) -> None:
    customer_id = _customer_id(db, store, "m-1")
    record = f"/console/acme/customers/{customer_id}"
    login(client, salon.expert_email)
    csrf = csrf_of(client.get("/console/account").text)
    assert 'data-testid="book-session"' in client.get(record).text

    page = client.get(f"{record}/sessions/new", params={"week": "2026-03-04"})
    assert page.status_code == 200
    assert "Styling session" in page.text and "Europe/Amsterdam" in page.text
    assert f'value="{WEDNESDAY_9_PARIS.isoformat()}"' in page.text  # 09:00 in Amsterdam

    booked = client.post(
        f"{record}/sessions",
        data={
            "csrf_token": csrf,
            "session_type_id": str(salon.styling_id),
            "starts_at": WEDNESDAY_9_PARIS.isoformat(),
        },
        follow_redirects=False,
    )
    assert booked.status_code == 303 and booked.headers["location"].endswith("?saved=session")
    shown = client.get(booked.headers["location"])
    assert "Session booked" in shown.text and "Styling session" in shown.text
    me = client.get("/member-api/v1/acme/me", headers=salon.identity("m-1")).json()
    assert me["balance"]["available"] == 500 - PRICE  # paid from their points
    after = client.get(f"{record}/sessions/new", params={"week": "2026-03-04"})
    assert f'value="{WEDNESDAY_9_PARIS.isoformat()}"' not in after.text  # no longer free

    other = _customer_id(db, store, "m-2")
    before = table_counts(db, "bookings_seats")
    taken = client.post(
        f"/console/acme/customers/{other}/sessions",
        data={
            "csrf_token": csrf,
            "session_type_id": str(salon.styling_id),
            "starts_at": WEDNESDAY_9_PARIS.isoformat(),
        },
    )
    assert taken.status_code == 409 and 'data-testid="problem"' in taken.text
    unnamed = client.post(
        f"/console/acme/customers/{other}/sessions",
        data={"csrf_token": csrf, "session_type_id": str(salon.styling_id), "starts_at": "tomorrow"},
    )
    assert unnamed.status_code == 422 and "starts_at" in unnamed.text
    assert table_counts(db, "bookings_seats") == before


def test_an_analyst_may_not_book_for_a_customer(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str, salon: Salon
) -> None:
    customer_id = _customer_id(db, store, "m-1")
    login(client, make_staff(db, store, "analyst", password_hash))
    csrf = csrf_of(client.get("/console/account").text)
    assert 'data-testid="book-session"' not in client.get(f"/console/acme/customers/{customer_id}").text
    assert client.get(f"/console/acme/customers/{customer_id}/sessions/new").status_code == 403
    before = table_counts(db, "bookings_seats")
    refused = client.post(
        f"/console/acme/customers/{customer_id}/sessions",
        data={
            "csrf_token": csrf,
            "session_type_id": str(salon.styling_id),
            "starts_at": WEDNESDAY_9_PARIS.isoformat(),
        },
    )
    assert refused.status_code == 403 and table_counts(db, "bookings_seats") == before
