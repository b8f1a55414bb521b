"""The catalogue through the store API: what recommendations need (page, image, stock, cost, consumable,
active), partial updates of stock and price, and bad input refused with the field named."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from loyaldesk.kernel.db import Database
from tests.factories import StoreHandle, make_api_key, table_counts

BEANS = {
    "external_id": "p-beans",
    "sku": "BEANS-1KG",
    "title": "Coffee beans 1 kg",
    "category": "Coffee",
    "price": 2490,
    "currency": "EUR",
    "url": "https://shop.example/products/coffee-beans",
    "image_url": "https://cdn.shop.example/beans.jpg",
    "inventory_quantity": 12,
    "cost": 1100,
    "consumable": True,
}


def post(client: TestClient, store: StoreHandle, body: dict[str, Any], status: int) -> Any:
    response = client.post("/api/v1/products", headers=store.auth, json=body)
    assert response.status_code == status, response.text
    return response.json()


def patch(
    client: TestClient, store: StoreHandle, external_id: str, body: dict[str, Any], status: int = 200
) -> Any:
    response = client.patch(f"/api/v1/products/by-external-id/{external_id}", headers=store.auth, json=body)
    assert response.status_code == status, response.text
    return response.json()


def test_a_product_carries_what_recommendations_need(client: TestClient, store: StoreHandle) -> None:
    created = post(client, store, BEANS, 201)
    assert created["url"] == BEANS["url"]
    assert created["image_url"] == BEANS["image_url"]
    assert (created["in_stock"], created["inventory_quantity"]) == (True, 12)  # derived from the quantity
    assert (created["cost"], created["consumable"], created["active"]) == (1100, True, True)
    again = client.get(f"/api/v1/products/{created['id']}", headers=store.auth).json()
    assert again == created


def test_stock_only_from_the_quantity_unless_the_store_says(client: TestClient, store: StoreHandle) -> None:
    assert post(client, store, {**BEANS, "inventory_quantity": 0}, 201)["in_stock"] is False
    # Sold on backorder: the store's word wins over the quantity.
    backorder = post(client, store, {**BEANS, "inventory_quantity": 0, "in_stock": True}, 200)
    assert (backorder["in_stock"], backorder["inventory_quantity"]) == (True, 0)


def test_a_product_without_stock_information_is_unknown(client: TestClient, store: StoreHandle) -> None:
    plain = {key: BEANS[key] for key in ("external_id", "title", "price", "currency")}
    created = post(client, store, plain, 201)
    assert created["in_stock"] is None and created["inventory_quantity"] is None
    assert created["url"] is None and created["cost"] is None and created["consumable"] is None
    assert created["active"] is True


def test_a_feed_without_catalogue_fields_keeps_what_was_said(client: TestClient, store: StoreHandle) -> None:
    post(client, store, BEANS, 201)
    plain = {key: BEANS[key] for key in ("external_id", "sku", "title", "category", "currency")}
    updated = post(client, store, {**plain, "price": 2590}, 200)
    assert updated["price"] == 2590
    assert (updated["url"], updated["cost"], updated["inventory_quantity"]) == (BEANS["url"], 1100, 12)
    # Null clears a catalogue field explicitly.
    cleared = post(client, store, {**plain, "price": 2590, "cost": None, "image_url": None}, 200)
    assert (cleared["cost"], cleared["image_url"]) == (None, None)


def test_patch_changes_only_what_is_sent(client: TestClient, store: StoreHandle, db: Database) -> None:
    created = post(client, store, BEANS, 201)
    sold_out = patch(client, store, "p-beans", {"inventory_quantity": 0})
    assert (sold_out["in_stock"], sold_out["inventory_quantity"]) == (False, 0)
    assert sold_out["title"] == BEANS["title"] and sold_out["price"] == BEANS["price"]
    assert sold_out["updated_at"] >= created["updated_at"]
    repriced = patch(client, store, "p-beans", {"price": 1990, "active": False})
    assert (repriced["price"], repriced["active"], repriced["inventory_quantity"]) == (1990, False, 0)
    events = table_counts(db, "domain_events")["domain_events"]
    patch(client, store, "p-beans", {"price": 1990})  # nothing changes: no event
    assert table_counts(db, "domain_events")["domain_events"] == events


def test_patch_of_an_unknown_product_is_404(client: TestClient, store: StoreHandle, db: Database) -> None:
    body = patch(client, store, "never-sent", {"inventory_quantity": 3}, 404)
    assert "never-sent" in body["error"]["message"]
    assert table_counts(db, "products")["products"] == 0


def _field_errors(body: dict[str, Any]) -> dict[str, str]:
    return {problem["field"]: problem["reason"] for problem in body["error"]["fields"]}


def test_bad_input_names_the_field_and_writes_nothing(
    client: TestClient, store: StoreHandle, db: Database
) -> None:
    no_price = {key: value for key, value in BEANS.items() if key != "price"}
    assert "price" in _field_errors(post(client, store, no_price, 422))
    for field, value in (
        ("url", "javascript:alert(1)"),
        ("image_url", "ftp://cdn.shop.example/beans.jpg"),
        ("url", "https://"),
        ("cost", -1),
        ("inventory_quantity", "many"),
        ("currency", "XXY"),
        ("active", None),
    ):
        errors = _field_errors(post(client, store, {**BEANS, field: value}, 422))
        assert field in errors, (field, errors)
    assert "http" in _field_errors(post(client, store, {**BEANS, "url": "mailto:a@b.c"}, 422))["url"]
    batch = client.post(
        "/api/v1/products/batch",
        headers=store.auth,
        json={"products": [BEANS, {**BEANS, "external_id": "x", "price": None}]},
    )
    assert batch.status_code == 422
    assert "products.1.price" in _field_errors(batch.json())
    assert table_counts(db, "products")["products"] == 0
    post(client, store, BEANS, 201)
    for body in (
        {"title": None},
        {"price": None},
        {"image_url": "not a url"},
        {"price": -5},
        {"colour": "red"},
    ):
        field = next(iter(body))
        assert field in _field_errors(patch(client, store, "p-beans", body, 422)), body
    product = client.get("/api/v1/products", headers=store.auth).json()["data"][0]
    assert (product["title"], product["price"], product["image_url"]) == (
        BEANS["title"],
        BEANS["price"],
        BEANS["image_url"],
    )


def test_patch_needs_the_products_write_scope(client: TestClient, store: StoreHandle, db: Database) -> None:
    post(client, store, BEANS, 201)
    reader = make_api_key(db, store, ["products:read"])
    response = client.patch("/api/v1/products/by-external-id/p-beans", headers=reader, json={"price": 1})
    assert response.status_code == 403
    assert client.get("/api/v1/products", headers=store.auth).json()["data"][0]["price"] == BEANS["price"]


def test_another_store_cannot_patch(client: TestClient, store: StoreHandle, other_store: StoreHandle) -> None:
    post(client, store, BEANS, 201)
    response = client.patch(
        "/api/v1/products/by-external-id/p-beans", headers=other_store.auth, json={"inventory_quantity": 0}
    )
    assert response.status_code == 404
    assert client.get("/api/v1/products", headers=store.auth).json()["data"][0]["in_stock"] is True
