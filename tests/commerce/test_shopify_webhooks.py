"""Shopify-format webhooks over HTTP: signatures, documented payload shapes, re-delivery."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from loyaldesk.commerce.shopify import signature
from loyaldesk.kernel.db import Database
from loyaldesk.stores import actions as store_actions
from tests.factories import StoreHandle, table_counts

DATA = Path(__file__).resolve().parent.parent / "data" / "shopify"
SECRET = "shpss_test_secret_1234"
TABLES = ("orders", "order_lines", "refunds", "customers", "domain_events", "webhook_receipts")


@pytest.fixture
def shopify_store(db: Database, store: StoreHandle) -> StoreHandle:
    db.write(store_actions.set_shopify_webhook_secret, store.actor, store.id, SECRET)
    return store


def payload(name: str) -> bytes:
    return (DATA / name).read_bytes()


def deliver(
    client: TestClient,
    store: StoreHandle,
    topic: str,
    body: bytes,
    webhook_id: str,
    secret: str = SECRET,
    hmac_value: str | None = None,
) -> Any:
    headers = {
        "X-Shopify-Topic": topic,
        "X-Shopify-Webhook-Id": webhook_id,
        "X-Shopify-Hmac-Sha256": hmac_value if hmac_value is not None else signature(secret, body),
        "X-Shopify-Shop-Domain": "acme.myshopify.com",
        "Content-Type": "application/json",
    }
    return client.post(f"/webhooks/shopify/{store.slug}", content=body, headers=headers)


def test_documented_order_example_is_accepted(client: TestClient, shopify_store: StoreHandle) -> None:
    response = deliver(client, shopify_store, "orders/create", payload("orders_create.json"), "wh-1")
    assert response.status_code == 200, response.text
    assert response.json()["outcome"] == "processed"
    order = client.get("/api/v1/orders/by-external-id/820982911946154508", headers=shopify_store.auth).json()
    assert order["number"] == "#9999"
    assert order["currency"] == "USD"
    assert order["status"] == "cancelled"
    assert order["total"] == 38800
    assert order["shipping_total"] == 1000
    assert [(line["sku"], line["unit_price"], line["external_id"]) for line in order["lines"]] == [
        ("IPOD2008PINK", 19900, "866550311766439020"),
        ("IPOD2008PINK", 19900, "141249953214522974"),
    ]
    assert order["placed_at"] == "2022-01-01T00:00:00Z"
    # Its total_discounts (20.00) is allocated to no line: spread over both, so the total adds up.
    assert [line["discount"] for line in order["lines"]] == [1000, 1000]
    assert [note["kind"] for note in order["notes"]] == ["note"]
    assert "not allocated to its lines" in order["notes"][0]["message"]
    customer = client.get(f"/api/v1/customers/{order['customer_id']}", headers=shopify_store.auth).json()
    assert (customer["external_id"], customer["email"], customer["first_name"]) == (
        "115310627314723954",
        "john@example.com",
        "John",
    )
    assert customer["source"] == "shopify" and customer["attributes"] == {"country": "CA"}


def test_shopify_test_notification_with_its_quirks_is_accepted(
    client: TestClient, shopify_store: StoreHandle
) -> None:
    response = deliver(
        client, shopify_store, "orders/create", payload("orders_create_test_notification.json"), "t-1"
    )
    assert response.status_code == 200, response.text
    notes = response.json()["notes"]
    assert "line_items.1 discount clamped to the line's price" in notes
    order = client.get("/api/v1/orders/by-external-id/820982911946154509", headers=shopify_store.auth).json()
    assert order["total"] == 500 and order["lines"][1]["discount"] == 0


def test_paid_order_then_refund_and_redelivery(
    client: TestClient, db: Database, shopify_store: StoreHandle
) -> None:
    assert deliver(client, shopify_store, "orders/create", payload("paid_order.json"), "a").status_code == 200
    order = client.get("/api/v1/orders/by-external-id/450789469", headers=shopify_store.auth).json()
    assert order["status"] == "paid" and order["total"] == 59195
    assert order["lines"][0]["discount"] == 1000 and order["lines"][0]["category"] == "Electronics"
    assert order["discount_codes"] == ["TENOFF"]
    customer = client.get(f"/api/v1/customers/{order['customer_id']}", headers=shopify_store.auth).json()
    assert customer["marketing_consent"] is True and customer["tags"] == ["loyal", "vip"]

    refund = deliver(client, shopify_store, "refunds/create", payload("refunds_create.json"), "b")
    assert refund.status_code == 200, refund.text
    order = client.get("/api/v1/orders/by-external-id/450789469", headers=shopify_store.auth).json()
    assert order["refunded_total"] == 19900 and order["refunds"][0]["kind"] == "return"
    assert order["lines"][1]["refunded_quantity"] == 1

    before = table_counts(db, *TABLES)
    for webhook_id, topic, name in (
        ("a", "orders/create", "paid_order.json"),
        ("b", "refunds/create", "refunds_create.json"),
    ):
        again = deliver(client, shopify_store, topic, payload(name), webhook_id)
        assert again.status_code == 200 and again.json()["outcome"] == "duplicate"
    assert table_counts(db, *TABLES) == before

    # The same order re-sent under a new webhook id (orders/updated) is recognised by its id.
    updated = json.loads(payload("paid_order.json"))
    updated["fulfillment_status"] = "fulfilled"
    updated["fulfillments"] = [{"created_at": "2026-03-02T09:00:00+01:00", "shipment_status": "in_transit"}]
    updated["refunds"] = [json.loads(payload("refunds_create.json"))]
    body = json.dumps(updated).encode()
    result = deliver(client, shopify_store, "orders/updated", body, "c")
    assert result.status_code == 200 and "updated" in result.json()["detail"]
    counts = table_counts(db, *TABLES)
    assert counts["orders"] == before["orders"] and counts["refunds"] == before["refunds"]
    assert counts["webhook_receipts"] == before["webhook_receipts"] + 1


def test_customer_webhooks_upsert(client: TestClient, shopify_store: StoreHandle) -> None:
    assert (
        deliver(client, shopify_store, "customers/create", payload("customers_create.json"), "c1").status_code
        == 200
    )
    update = json.loads(payload("customers_create.json"))
    update.update(first_name="Robert", phone="555-555-BILL")
    result = deliver(client, shopify_store, "customers/update", json.dumps(update).encode(), "c2")
    assert result.status_code == 200
    assert any("phone dropped" in note for note in result.json()["notes"])
    customer = client.get(
        "/api/v1/customers/by-external-id/706405506930370084", headers=shopify_store.auth
    ).json()
    assert (
        customer["first_name"] == "Robert"
        and customer["email"] == "bob@biller.com"
        and customer["phone"] is None
    )


def test_forged_or_missing_signature_is_rejected_and_changes_nothing(
    client: TestClient, db: Database, shopify_store: StoreHandle
) -> None:
    body = payload("paid_order.json")
    before = table_counts(db, *TABLES)
    forged = deliver(client, shopify_store, "orders/create", body, "f1", secret="not-the-secret")
    assert forged.status_code == 401 and "signature" in forged.json()["error"]["message"]
    tampered_body = body.replace(b'"591.95"', b'"1.00"')
    tampered = deliver(
        client, shopify_store, "orders/create", tampered_body, "f2", hmac_value=signature(SECRET, body)
    )
    assert tampered.status_code == 401
    missing = deliver(client, shopify_store, "orders/create", body, "f3", hmac_value="")
    assert missing.status_code == 401
    assert table_counts(db, *TABLES) == before


def test_store_without_secret_refuses_webhooks(client: TestClient, store: StoreHandle) -> None:
    response = deliver(client, store, "orders/create", payload("paid_order.json"), "x")
    assert response.status_code == 401
    assert "no Shopify webhook secret" in response.json()["error"]["message"]


def test_unknown_store_and_bad_payloads(client: TestClient, db: Database, shopify_store: StoreHandle) -> None:
    before = table_counts(db, *TABLES)
    ghost = StoreHandle(id=0, slug="ghost", token="", actor=shopify_store.actor)
    assert deliver(client, ghost, "orders/create", b"{}", "g").status_code == 404
    not_json = deliver(client, shopify_store, "orders/create", b"{nope", "n1")
    assert not_json.status_code == 422 and not_json.json()["error"]["fields"][0]["field"] == "body"
    no_id = deliver(client, shopify_store, "orders/create", b'{"currency": "EUR"}', "n2")
    assert no_id.status_code == 422 and no_id.json()["error"]["fields"][0]["field"] == "id"
    bad_currency = json.loads(payload("paid_order.json"))
    bad_currency["currency"] = "EURO"
    response = deliver(client, shopify_store, "orders/create", json.dumps(bad_currency).encode(), "n3")
    assert response.status_code == 422 and response.json()["error"]["fields"][0]["field"] == "currency"
    bad_price = json.loads(payload("paid_order.json"))
    bad_price["line_items"][0]["price"] = "abc"
    response = deliver(client, shopify_store, "orders/create", json.dumps(bad_price).encode(), "n4")
    assert (
        response.status_code == 422 and response.json()["error"]["fields"][0]["field"] == "line_items.0.price"
    )
    early_refund = deliver(client, shopify_store, "refunds/create", payload("refunds_create.json"), "n5")
    assert (
        early_refund.status_code == 409 and "not been received yet" in early_refund.json()["error"]["message"]
    )
    missing_header = client.post(
        f"/webhooks/shopify/{shopify_store.slug}", content=b"{}", headers={"X-Shopify-Topic": "orders/create"}
    )
    assert missing_header.status_code == 422
    assert table_counts(db, *TABLES) == before
    # A failed delivery left no receipt: the same webhook id can succeed later.
    assert (
        deliver(client, shopify_store, "orders/create", payload("paid_order.json"), "n3").status_code == 200
    )


def test_a_body_over_the_limit_is_refused_with_413_and_changes_nothing(
    client: TestClient, db: Database, shopify_store: StoreHandle
) -> None:
    from loyaldesk.web.api.shopify_webhooks import MAX_BODY_BYTES

    big = json.loads(payload("paid_order.json"))
    big["note"] = "x" * MAX_BODY_BYTES
    before = table_counts(db, *TABLES)
    response = deliver(client, shopify_store, "orders/create", json.dumps(big).encode(), "big-1")
    assert response.status_code == 413
    assert response.json()["error"] == {
        "code": "too_large",
        "message": f"the body is larger than {MAX_BODY_BYTES} bytes",
    }
    assert table_counts(db, *TABLES) == before


def test_a_nul_in_an_unused_field_does_not_refuse_the_order(
    client: TestClient, db: Database, shopify_store: StoreHandle
) -> None:
    order = json.loads(payload("paid_order.json"))
    order["note"] = "gift\u0000wrap"
    order["note_attributes"] = [{"name": "gift\u0000", "value": "\u0000"}]
    order["billing_address"] = {"address2": "\u0000", "city": "Berlin"}
    # Text loyaldesk keeps loses its NULs (PostgreSQL could not store them).
    order["line_items"][0]["title"] = "IPod\u0000 Nano"
    order["shipping_address"] = {"city": "Ber\u0000lin", "country_code": "DE"}
    order["discount_codes"][0]["code"] = "TEN\u0000OFF"
    order["customer"]["first_name"] = "Bob\u0000"
    raw = json.dumps(order).encode()
    assert b"\\u0000" in raw
    response = deliver(client, shopify_store, "orders/create", raw, "nul-1")
    assert response.status_code == 200, response.text
    stored = client.get("/api/v1/orders/by-external-id/450789469", headers=shopify_store.auth).json()
    assert stored["lines"][0]["title"] == "IPod Nano" and stored["discount_codes"] == ["TENOFF"]
    customer = client.get(f"/api/v1/customers/{stored['customer_id']}", headers=shopify_store.auth).json()
    assert customer["first_name"] == "Bob"

    # A NUL in a required fact is a 422 naming it, and nothing is stored.
    before = table_counts(db, *TABLES)
    order["id"] = "450789470\u0000"
    refused = deliver(client, shopify_store, "orders/create", json.dumps(order).encode(), "nul-2")
    assert refused.status_code == 422
    assert refused.json()["error"]["fields"] == [{"field": "id", "reason": "must not contain NUL characters"}]
    assert table_counts(db, *TABLES) == before
    # Elsewhere NULs are still refused before anything reads them.
    api = client.post("/api/v1/orders", headers=shopify_store.auth, content=b'{"external_id": "a\\u0000"}')
    assert api.status_code == 422 and api.json()["error"]["fields"] == [
        {"field": "external_id", "reason": "must not contain NUL characters"}
    ]
