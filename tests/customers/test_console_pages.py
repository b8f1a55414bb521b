"""The customer pages of the console: list and search, the customer page, edits and privacy requests."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from loyaldesk.kernel.db import Database
from tests.factories import StoreHandle, csrf_of, login, make_staff, order_payload, table_counts


def _seed(client: TestClient, store: StoreHandle) -> dict:
    client.post(
        "/api/v1/customers",
        headers=store.auth,
        json={
            "external_id": "g",
            "email": "grace@example.com",
            "first_name": "Grace",
            "last_name": "Hopper",
            "tags": ["vip"],
        },
    )
    order = client.post("/api/v1/orders", headers=store.auth, json=order_payload(status="delivered")).json()[
        "order"
    ]
    client.post(
        f"/api/v1/orders/{order['id']}/refunds",
        headers=store.auth,
        json={
            "external_id": "r1",
            "kind": "return",
            "reason": "too small",
            "lines": [{"line_external_id": "l1", "quantity": 1}],
        },
    )
    return order


def test_list_search_and_open_a_customer(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    order = _seed(client, store)
    login(client, make_staff(db, store, "analyst", password_hash))
    listing = client.get("/console/acme/customers")
    assert listing.status_code == 200
    assert "Grace Hopper" in listing.text and "Emma" in listing.text
    assert "2 customers" in listing.text
    found = client.get("/console/acme/customers", params={"q": "hopper"})
    assert "Grace Hopper" in found.text and "emma@example.com" not in found.text
    tagged = client.get("/console/acme/customers", params={"tag": "vip"})
    assert "Grace Hopper" in tagged.text and "emma@example.com" not in tagged.text
    nothing = client.get("/console/acme/customers", params={"q": "zzz"})
    assert "No customers found" in nothing.text

    page = client.get(f"/console/acme/customers/{order['customer_id']}")
    assert page.status_code == 200
    text = page.text
    assert "Emma" in text and "#1001" in text
    assert "Returned goods from order #1001" in text  # the timeline, in words
    assert "Placed order #1001" in text and "Became a customer" in text
    assert "€" in text
    assert "Edit profile" not in text and "Erase personal data" not in text  # analysts only read

    order_page = client.get(f"/console/acme/orders/{order['id']}")
    assert order_page.status_code == 200
    assert "too small" in order_page.text and "Organic tee" in order_page.text


def test_agent_edits_a_profile_and_bad_input_is_shown_on_the_form(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    order = _seed(client, store)
    customer_id = order["customer_id"]
    login(client, make_staff(db, store, "agent", password_hash))
    page = client.get(f"/console/acme/customers/{customer_id}")
    assert "Edit profile" in page.text and "Erase personal data" not in page.text
    token = csrf_of(page.text)
    form = {
        "csrf_token": token,
        "first_name": "Emma",
        "last_name": "Stone",
        "email": "emma@example.com",
        "phone": "+31 6 9999 0000",
        "birthday": "1990-01-31",
        "locale": "nl-NL",
        "timezone": "Europe/Amsterdam",
        "tags": "vip, returns",
        "marketing_consent": "yes",
    }
    saved = client.post(f"/console/acme/customers/{customer_id}/profile", data=form, follow_redirects=False)
    assert saved.status_code == 303
    customer = client.get(f"/api/v1/customers/{customer_id}", headers=store.auth).json()
    assert customer["last_name"] == "Stone" and customer["tags"] == ["vip", "returns"]
    assert customer["marketing_consent"] is True

    before = table_counts(db, "customers", "domain_events", "audit_log")
    bad = client.post(
        f"/console/acme/customers/{customer_id}/profile",
        data={**form, "email": "not-an-email", "timezone": "Nowhere/Land"},
    )
    assert bad.status_code == 422
    assert "email" in bad.text and "Nowhere/Land" in bad.text  # the typed value stays in the form
    assert table_counts(db, "customers", "domain_events", "audit_log") == before
    assert (
        client.post(
            f"/console/acme/customers/{customer_id}/erase", data={"csrf_token": token, "confirm": "ERASE"}
        ).status_code
        == 403
    )


def test_admin_exports_and_erases_from_the_console(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    order = _seed(client, store)
    customer_id = order["customer_id"]
    login(client, make_staff(db, store, "admin", password_hash))
    token = csrf_of(client.get(f"/console/acme/customers/{customer_id}").text)
    exported = client.post(f"/console/acme/customers/{customer_id}/export", data={"csrf_token": token})
    assert exported.status_code == 200
    assert "attachment" in exported.headers["content-disposition"]
    assert json.loads(exported.text)["profile"]["email"] == "emma@example.com"
    unconfirmed = client.post(
        f"/console/acme/customers/{customer_id}/erase", data={"csrf_token": token, "confirm": "x"}
    )
    assert unconfirmed.status_code == 422
    assert client.get(f"/api/v1/customers/{customer_id}", headers=store.auth).json()["erased"] is False
    erased = client.post(
        f"/console/acme/customers/{customer_id}/erase",
        data={"csrf_token": token, "confirm": "ERASE"},
        follow_redirects=True,
    )
    assert erased.status_code == 200 and "Personal data erased" in erased.text
    assert f"Erased customer #{customer_id}" in erased.text


def test_unknown_customer_and_other_stores_customers_are_not_found(
    client: TestClient, db: Database, store: StoreHandle, other_store: StoreHandle, password_hash: str
) -> None:
    theirs = client.post(
        "/api/v1/customers", headers=other_store.auth, json={"email": "x@example.com"}
    ).json()
    login(client, make_staff(db, store, "owner", password_hash))
    assert client.get(f"/console/acme/customers/{theirs['id']}").status_code == 404
    assert client.get("/console/acme/customers/999999").status_code == 404
    assert client.get("/console/acme/customers/abc").status_code == 422
