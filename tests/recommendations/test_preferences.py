"""Customer preferences (sizes, interests, categories to leave out, channels): the store API and the member
API round trip, validation naming the field, a shopper reaching only their own, staff audited, and GDPR
(in the export, gone after erasure)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text

from loyaldesk.kernel.db import Database
from loyaldesk.kernel.dispatcher import dispatch_until_idle
from loyaldesk.recommendations.actions.preferences import save_preferences
from loyaldesk.recommendations.schemas import PreferencesIn
from loyaldesk.stores import Store
from loyaldesk.stores.credentials import shopper_signature
from tests.factories import StoreHandle, make_api_key, table_counts

MINE = {
    "sizes": {"shoes": "42", "tops": "M"},
    "interests": ["Coffee", "Tea"],
    "excluded_categories": ["Gift cards"],
    "channels": ["email", "widget"],
}


CHANGED = "recommendations.preferences_changed"


def query(db: Database, sql: str, **values: Any) -> list[Any]:
    with db.read() as session:
        return list(session.execute(text(sql), values))


def signed(db: Database, store: StoreHandle, external_id: str) -> dict[str, str]:
    with db.read() as session:
        secret = session.get(Store, store.id).identity_secret  # type: ignore[union-attr]
    return {"X-Customer-Id": external_id, "X-Customer-Signature": shopper_signature(secret, external_id)}


def customer(client: TestClient, store: StoreHandle, external_id: str) -> int:
    response = client.post("/api/v1/customers", headers=store.auth, json={"external_id": external_id})
    assert response.status_code == 201, response.text
    return response.json()["id"]  # type: ignore[no-any-return]


def product(client: TestClient, store: StoreHandle, external_id: str, category: str, **extra: Any) -> None:
    body = {"external_id": external_id, "title": external_id, "price": 100, "currency": "EUR"}
    response = client.post(
        "/api/v1/products", headers=store.auth, json={**body, "category": category, **extra}
    )
    assert response.status_code == 201, response.text


def errors(response: Any) -> dict[str, str]:
    assert response.status_code == 422, response.text
    return {problem["field"]: problem["reason"] for problem in response.json()["error"]["fields"]}


def test_store_api_round_trip(client: TestClient, store: StoreHandle, db: Database) -> None:
    customer_id = customer(client, store, "c-1")
    path = f"/api/v1/customers/{customer_id}/preferences"
    empty = client.get(path, headers=store.auth).json()
    assert empty == {
        "sizes": {},
        "interests": [],
        "excluded_categories": [],
        "channels": [],
        "updated_at": None,
    }
    saved = client.put(path, headers=store.auth, json=MINE)
    assert saved.status_code == 200, saved.text
    assert {key: saved.json()[key] for key in MINE} == MINE and saved.json()["updated_at"]
    assert client.get(path, headers=store.auth).json() == saved.json()
    # Replaced as a whole: what is left out is cleared.
    assert client.put(path, headers=store.auth, json={"channels": ["sms"]}).json()["interests"] == []
    kinds = query(db, "SELECT event_type FROM domain_events WHERE event_type = :kind", kind=CHANGED)
    assert len(kinds) == 2


def test_validation_names_the_field_and_changes_nothing(
    client: TestClient, store: StoreHandle, db: Database
) -> None:
    customer_id = customer(client, store, "c-1")
    path = f"/api/v1/customers/{customer_id}/preferences"
    client.put(path, headers=store.auth, json=MINE)
    before = table_counts(db, "recommendation_preferences", "domain_events", "audit_log")
    for body, field in (
        ({"channels": ["carrier pigeon"]}, "channels.0"),
        ({"sizes": {"shoes": "x" * 21}}, "sizes.shoes"),
        ({"sizes": {f"kind{n}": "M" for n in range(21)}}, "sizes"),
        ({"interests": ["ok", ""]}, "interests.1"),
        ({"interests": [f"c{n}" for n in range(51)]}, "interests"),
        ({"excluded_categories": ["a\u0000b"]}, "excluded_categories.0"),
        ({"favourite_colour": "blue"}, "favourite_colour"),
        ({"interests": ["Coffee"], "excluded_categories": ["coffee"]}, "excluded_categories"),
    ):
        assert field in errors(client.put(path, headers=store.auth, json=body)), body
    assert table_counts(db, "recommendation_preferences", "domain_events", "audit_log") == before
    assert client.get(path, headers=store.auth).json()["interests"] == MINE["interests"]
    # Repeats are kept once, in the order given; channels too.
    again = client.put(
        path, headers=store.auth, json={"interests": ["Tea", "tea", "Coffee"], "channels": ["sms", "sms"]}
    )
    assert (again.json()["interests"], again.json()["channels"]) == (["Tea", "Coffee"], ["sms"])


def test_scopes_and_stores(
    client: TestClient, store: StoreHandle, other_store: StoreHandle, db: Database
) -> None:
    customer_id = customer(client, store, "c-1")
    path = f"/api/v1/customers/{customer_id}/preferences"
    reader = make_api_key(db, store, ["recommendations:read"])
    assert client.get(path, headers=reader).status_code == 200
    denied = client.put(path, headers=reader, json=MINE)
    assert denied.status_code == 403 and "recommendations:write" in denied.json()["error"]["message"]
    assert client.get(path, headers=other_store.auth).status_code == 404
    assert client.put(path, headers=other_store.auth, json=MINE).status_code == 404
    assert client.get("/api/v1/customers/999999/preferences", headers=store.auth).status_code == 404
    assert table_counts(db, "recommendation_preferences")["recommendation_preferences"] == 0


def test_member_api_round_trip_and_choices(client: TestClient, store: StoreHandle, db: Database) -> None:
    customer(client, store, "c-1")
    product(client, store, "beans", "Coffee")
    product(client, store, "old", "Discontinued", active=False)
    me = signed(db, store, "c-1")
    mine = client.get("/member-api/v1/acme/me/preferences", headers=me)
    assert mine.status_code == 200
    assert mine.json()["category_choices"] == ["Coffee"]  # the active catalogue's categories
    saved = client.put("/member-api/v1/acme/me/preferences", headers=me, json=MINE)
    assert saved.status_code == 200, saved.text
    assert saved.json()["sizes"] == MINE["sizes"]
    assert (
        client.get("/member-api/v1/acme/me/preferences", headers=me).json()["interests"] == MINE["interests"]
    )
    assert "channels.0" in errors(
        client.put("/member-api/v1/acme/me/preferences", headers=me, json={"channels": ["fax"]})
    )
    actions = [
        row[0] for row in query(db, "SELECT actor_kind FROM audit_log WHERE action = :kind", kind=CHANGED)
    ]
    assert actions == ["customer"]


def test_another_shopper_cannot_read_or_change_them(
    client: TestClient, store: StoreHandle, db: Database
) -> None:
    customer(client, store, "c-1")
    customer(client, store, "c-2")
    client.put("/member-api/v1/acme/me/preferences", headers=signed(db, store, "c-1"), json=MINE)
    before = table_counts(db, "recommendation_preferences", "domain_events")
    theirs = client.get("/member-api/v1/acme/me/preferences", headers=signed(db, store, "c-2")).json()
    assert theirs["interests"] == [] and theirs["sizes"] == {}
    forged = {**signed(db, store, "c-2"), "X-Customer-Id": "c-1"}
    assert client.get("/member-api/v1/acme/me/preferences", headers=forged).status_code == 401
    assert client.put("/member-api/v1/acme/me/preferences", headers=forged, json={}).status_code == 401
    assert client.put("/member-api/v1/acme/me/preferences", json={}).status_code == 401
    assert table_counts(db, "recommendation_preferences", "domain_events") == before
    # A shopper the store has not told loyaldesk about has nothing to keep preferences with.
    unknown = client.put("/member-api/v1/acme/me/preferences", headers=signed(db, store, "c-9"), json=MINE)
    assert unknown.status_code == 404


def test_only_the_customer_or_staff_who_edit_customers(
    client: TestClient, store: StoreHandle, db: Database
) -> None:
    from loyaldesk.kernel.actors import Actor
    from loyaldesk.kernel.errors import PermissionDenied

    first, second = customer(client, store, "c-1"), customer(client, store, "c-2")
    as_first = Actor(kind="customer", id=first, store_id=store.id, label="shopper c-1")
    try:
        db.write(save_preferences, as_first, store.id, second, PreferencesIn(interests=["Tea"]))
        raise AssertionError("a customer changed someone else's preferences")
    except PermissionDenied:
        pass
    analyst = Actor(kind="staff", id=1, store_id=store.id, label="Analyst", role="analyst")
    try:
        db.write(save_preferences, analyst, store.id, first, PreferencesIn(interests=["Tea"]))
        raise AssertionError("an analyst changed a customer's preferences")
    except PermissionDenied:
        pass
    agent = Actor(kind="staff", id=2, store_id=store.id, label="Agent", role="agent")
    db.write(save_preferences, agent, store.id, first, PreferencesIn(interests=["Tea"]))
    rows = query(
        db, "SELECT actor_kind, target_id, details FROM audit_log WHERE action = :kind", kind=CHANGED
    )
    assert [(row[0], row[1]) for row in rows] == [("staff", str(first))]
    assert "Tea" not in str(rows[0][2])  # the fields changed, never what the customer prefers


def test_exported_and_erased_with_the_customer(client: TestClient, store: StoreHandle, db: Database) -> None:
    customer_id = customer(client, store, "c-1")
    client.put(f"/api/v1/customers/{customer_id}/preferences", headers=store.auth, json=MINE)
    exported = client.get(f"/api/v1/customers/{customer_id}/export", headers=store.auth)
    assert exported.status_code == 200, exported.text
    section = exported.json()["recommendation_preferences"]
    assert section["preferences"]["sizes"] == MINE["sizes"]
    assert section["preferences"]["channels"] == MINE["channels"]
    erased = client.post(f"/api/v1/customers/{customer_id}/erase", headers=store.auth)
    assert erased.status_code in (200, 202), erased.text
    dispatch_until_idle(db)
    assert table_counts(db, "recommendation_preferences")["recommendation_preferences"] == 0
    # An erased customer's preferences cannot be set again.
    assert (
        client.put(f"/api/v1/customers/{customer_id}/preferences", headers=store.auth, json=MINE).status_code
        == 404
    )


def test_without_a_catalogue_the_choices_come_from_the_orders(
    client: TestClient, store: StoreHandle, db: Database
) -> None:
    customer(client, store, "c-1")
    line = {"sku": "TEA", "title": "Green tea", "category": "Tea", "quantity": 1, "unit_price": 500}
    order = {"external_id": "o-1", "currency": "EUR", "customer": {"external_id": "c-1"}, "lines": [line]}
    assert client.post("/api/v1/orders", headers=store.auth, json=order).status_code == 201
    mine = client.get("/member-api/v1/acme/me/preferences", headers=signed(db, store, "c-1")).json()
    assert mine["category_choices"] == ["Tea"]
