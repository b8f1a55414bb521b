"""The customers API, driven over HTTP as a store backend would."""

from __future__ import annotations

from fastapi.testclient import TestClient

from loyaldesk.kernel.db import Database
from tests.factories import StoreHandle, make_api_key, table_counts


def test_create_read_update_and_upsert_a_customer(client: TestClient, store: StoreHandle) -> None:
    created = client.post(
        "/api/v1/customers",
        headers=store.auth,
        json={
            "external_id": "c-42",
            "email": "Emma.Stone@Example.com",
            "first_name": "Emma",
            "last_name": "Stone",
            "phone": "+31 6 1234 5678",
            "birthday": "1990-05-17",
            "locale": "nl-NL",
            "timezone": "Europe/Amsterdam",
            "marketing_consent": True,
            "tags": ["vip", "vip", "newsletter"],
            "attributes": {"segment": "b2c", "orders_before_2020": 3},
            "preferences": {"sizes": ["M", "L"], "favourite_colour": "green"},
        },
    )
    assert created.status_code == 201, created.text
    customer = created.json()
    assert customer["email"] == "emma.stone@example.com"
    assert customer["tags"] == ["vip", "newsletter"]
    assert customer["marketing_consent_at"] is not None

    fetched = client.get(f"/api/v1/customers/{customer['id']}", headers=store.auth).json()
    assert fetched == customer

    patched = client.patch(
        f"/api/v1/customers/{customer['id']}",
        headers=store.auth,
        json={"last_name": "Stone-Watson", "marketing_consent": False},
    )
    assert patched.status_code == 200
    assert patched.json()["last_name"] == "Stone-Watson"
    assert patched.json()["first_name"] == "Emma"  # untouched
    assert patched.json()["marketing_consent"] is False

    upserted = client.put(
        "/api/v1/customers/by-external-id/c-42", headers=store.auth, json={"phone": "+31 20 555 0101"}
    )
    assert upserted.status_code == 200 and upserted.json()["created"] is False
    assert upserted.json()["customer"]["phone"] == "+31 20 555 0101"

    new = client.put(
        "/api/v1/customers/by-external-id/c-43", headers=store.auth, json={"email": "new@example.com"}
    )
    assert new.status_code == 201 and new.json()["created"] is True

    by_external = client.get("/api/v1/customers/by-external-id/c-43", headers=store.auth)
    assert by_external.json()["email"] == "new@example.com"
    # A blank id (found by schemathesis: a lone carriage return) is refused by name, not a server error.
    blank = client.put("/api/v1/customers/by-external-id/%0D", headers=store.auth, json={})
    assert blank.status_code == 422 and "external_id" in blank.text

    timeline = client.get(f"/api/v1/customers/{customer['id']}/timeline", headers=store.auth).json()["data"]
    titles = [item["title"] for item in timeline]
    assert titles[-1] == "Became a customer"
    assert "Withdrew marketing consent" in titles
    assert "Profile updated" in titles


def test_duplicate_external_id_is_a_conflict(client: TestClient, store: StoreHandle) -> None:
    assert client.post("/api/v1/customers", headers=store.auth, json={"external_id": "x"}).status_code == 201
    response = client.post("/api/v1/customers", headers=store.auth, json={"external_id": "x"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"


def test_search_and_paginate(client: TestClient, store: StoreHandle) -> None:
    for index in range(7):
        client.post(
            "/api/v1/customers",
            headers=store.auth,
            json={
                "external_id": f"p{index}",
                "email": f"person{index}@example.com",
                "first_name": "Ada" if index % 2 else "Grace",
                "last_name": "Lovelace" if index % 2 else "Hopper",
                "tags": ["vip"] if index < 2 else [],
            },
        )
    page1 = client.get("/api/v1/customers?limit=3", headers=store.auth).json()
    page2 = client.get(f"/api/v1/customers?limit=3&cursor={page1['next_cursor']}", headers=store.auth).json()
    page3 = client.get(f"/api/v1/customers?limit=3&cursor={page2['next_cursor']}", headers=store.auth).json()
    seen = [c["external_id"] for page in (page1, page2, page3) for c in page["data"]]
    assert seen == [f"p{i}" for i in range(6, -1, -1)]
    assert page3["next_cursor"] is None

    ada = client.get("/api/v1/customers", params={"q": "ada lovelace"}, headers=store.auth).json()["data"]
    assert {c["external_id"] for c in ada} == {"p1", "p3", "p5"}
    by_email = client.get("/api/v1/customers", params={"q": "person4@"}, headers=store.auth).json()["data"]
    assert [c["external_id"] for c in by_email] == ["p4"]
    vip = client.get("/api/v1/customers", params={"tag": "vip"}, headers=store.auth).json()["data"]
    assert {c["external_id"] for c in vip} == {"p0", "p1"}
    percent = client.get("/api/v1/customers", params={"q": "%"}, headers=store.auth).json()["data"]
    assert percent == []  # a LIKE wildcard is searched for literally


def test_bad_input_names_the_field(client: TestClient, store: StoreHandle, db: Database) -> None:
    before = table_counts(db, "customers", "domain_events")
    cases = [
        ({"email": "not-an-email"}, "email"),
        ({"birthday": "2999-01-01"}, "birthday"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"locale": "xx-YY-zz"}, "locale"),
        ({"phone": "call me maybe"}, "phone"),
        ({"tags": ["x" * 65]}, "tags.0"),
        ({"attributes": {"k": "v" * 1001}}, "attributes"),
        ({"unknown_field": 1}, "unknown_field"),
        ({"first_name": "a\x00b"}, "first_name"),
    ]
    for body, field in cases:
        response = client.post("/api/v1/customers", headers=store.auth, json=body)
        assert response.status_code == 422, (body, response.text)
        fields = [problem["field"] for problem in response.json()["error"]["fields"]]
        assert any(f.startswith(field) for f in fields), (body, fields)
    response = client.post(
        "/api/v1/customers", headers={**store.auth, "content-type": "application/json"}, content=b"{not json"
    )
    assert response.status_code == 422
    assert "JSON" in response.json()["error"]["fields"][0]["reason"]
    assert table_counts(db, "customers", "domain_events") == before


def test_denials_change_nothing(
    client: TestClient, db: Database, store: StoreHandle, other_store: StoreHandle
) -> None:
    customer = client.post(
        "/api/v1/customers", headers=store.auth, json={"external_id": "mine", "email": "a@example.com"}
    ).json()
    before = table_counts(db, "customers", "domain_events", "audit_log")
    read_only = make_api_key(db, store, ["customers:read"])
    after_keys = table_counts(db, "customers", "domain_events", "audit_log")
    path = f"/api/v1/customers/{customer['id']}"

    # No key, a malformed key, a forged key.
    assert client.patch(path, json={"first_name": "X"}).status_code == 401
    assert (
        client.patch(path, json={"first_name": "X"}, headers={"Authorization": "Bearer nope"}).status_code
        == 401
    )
    forged = store.token[:-4] + "AAAA"
    assert (
        client.patch(
            path, json={"first_name": "X"}, headers={"Authorization": f"Bearer {forged}"}
        ).status_code
        == 401
    )
    # Another store's key: the customer does not exist for it.
    assert client.get(path, headers=other_store.auth).status_code == 404
    assert client.patch(path, json={"first_name": "X"}, headers=other_store.auth).status_code == 404
    assert client.post(f"{path}/erase", headers=other_store.auth).status_code == 404
    assert client.get(f"{path}/export", headers=other_store.auth).status_code == 404
    # A key without the scope.
    assert client.get(path, headers=read_only).status_code == 200
    denied = client.patch(path, json={"first_name": "X"}, headers=read_only)
    assert denied.status_code == 403 and "customers:write" in denied.json()["error"]["message"]
    assert client.post(f"{path}/erase", headers=read_only).status_code == 403
    assert client.get(f"{path}/export", headers=read_only).status_code == 403
    assert client.post("/api/v1/customers", json={"external_id": "x"}, headers=read_only).status_code == 403

    assert table_counts(db, "customers", "domain_events", "audit_log") == after_keys
    assert after_keys["customers"] == before["customers"]
    assert client.get(path, headers=store.auth).json()["first_name"] is None


def test_revoked_key_stops_working(client: TestClient, db: Database, store: StoreHandle) -> None:
    from sqlalchemy import select

    from loyaldesk.stores import actions
    from loyaldesk.stores.models import ApiKey

    headers = make_api_key(db, store, ["customers:read"])
    assert client.get("/api/v1/customers", headers=headers).status_code == 200
    with db.read() as session:
        key_id = session.scalars(select(ApiKey.id).where(ApiKey.name == "limited")).one()
    db.write(actions.revoke_api_key, store.actor, store.id, key_id)
    response = client.get("/api/v1/customers", headers=headers)
    assert response.status_code == 401
    assert "revoked" in response.json()["error"]["message"]
