"""GDPR: export everything about a customer, erase their identity and keep the accounting history."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import select, text

from loyaldesk.kernel.db import Database
from loyaldesk.stores.models import AuditLogEntry
from tests.factories import StoreHandle, order_payload


def _customer_with_history(client: TestClient, store: StoreHandle) -> dict:
    order = client.post(
        "/api/v1/orders",
        headers=store.auth,
        json=order_payload(
            email="emma@example.com",
            shipping_address={"name": "Emma Stone", "address1": "Keizersgracht 1", "city": "Amsterdam"},
        ),
    ).json()["order"]
    client.patch(
        f"/api/v1/customers/{order['customer_id']}",
        headers=store.auth,
        json={"phone": "+31 6 1111 2222", "birthday": "1991-02-03", "preferences": {"size": "M"}},
    )
    client.post(
        f"/api/v1/orders/{order['id']}/refunds",
        headers=store.auth,
        json={"external_id": "r1", "lines": [{"line_external_id": "l2", "quantity": 1}]},
    )
    return order


def test_export_contains_profile_orders_and_events_and_is_audited(
    client: TestClient, db: Database, store: StoreHandle
) -> None:
    order = _customer_with_history(client, store)
    response = client.get(f"/api/v1/customers/{order['customer_id']}/export", headers=store.auth)
    assert response.status_code == 200
    document = response.json()
    assert document["format"] == "loyaldesk.customer-export/1"
    assert document["profile"]["email"] == "emma@example.com"
    assert document["profile"]["preferences"] == {"size": "M"}
    assert document["orders"][0]["external_id"] == order["external_id"]
    assert document["orders"][0]["refunds"][0]["external_id"] == "r1"
    types = [event["type"] for event in document["events"]]
    assert types[:3] == ["customer.created", "order.placed", "order.paid"]
    assert "order.refunded" in types
    with db.read() as session:
        actions = list(session.scalars(select(AuditLogEntry.action)))
    assert "customer.exported" in actions


def test_erase_removes_identity_keeps_amounts_and_is_final(
    client: TestClient, db: Database, store: StoreHandle
) -> None:
    order = _customer_with_history(client, store)
    customer_id = order["customer_id"]
    response = client.post(f"/api/v1/customers/{customer_id}/erase", headers=store.auth)
    assert response.status_code == 200
    erased = response.json()
    assert erased["erased"] is True
    for field in (
        "external_id",
        "email",
        "first_name",
        "last_name",
        "phone",
        "birthday",
        "locale",
        "timezone",
    ):
        assert erased[field] is None, field
    assert erased["tags"] == [] and erased["attributes"] == {} and erased["preferences"] == {}

    kept = client.get(f"/api/v1/orders/{order['id']}", headers=store.auth).json()
    assert kept["customer_id"] == customer_id
    assert kept["email"] is None
    assert kept["total"] == order["total"] and kept["refunded_total"] > 0

    # No trace of the person anywhere in the database.
    with db.read() as session:
        dump = []
        for table in ("customers", "orders", "order_lines", "refunds", "domain_events", "audit_log"):
            dump.append(
                json.dumps([list(map(str, row)) for row in session.execute(text(f"SELECT * FROM {table}"))])
            )
    everything = "\n".join(dump)
    for secret in ("emma@example.com", "Emma", "Keizersgracht", "+31 6 1111 2222", "1991-02-03", "cust-1"):
        assert secret not in everything, secret

    # Erasing again changes nothing; filling the profile back in is refused.
    assert client.post(f"/api/v1/customers/{customer_id}/erase", headers=store.auth).status_code == 200
    refill = client.patch(f"/api/v1/customers/{customer_id}", headers=store.auth, json={"first_name": "Emma"})
    assert refill.status_code == 409
    timeline = client.get(f"/api/v1/customers/{customer_id}/timeline", headers=store.auth).json()["data"]
    assert timeline[0]["title"] == "Personal data erased"
    # The store's id is free again: a new sign-up with it is a new person.
    again = client.put("/api/v1/customers/by-external-id/cust-1", headers=store.auth, json={})
    assert again.status_code == 201 and again.json()["customer"]["id"] != customer_id
