"""Shopify product webhooks into the catalogue: products/create and /update (one product per Shopify
product, the lowest variant price, stock over the variants, the page on the shop's domain), products/delete
and archiving (inactive, kept), inventory_levels/update (found by the variant's inventory item)."""

from __future__ import annotations

import copy
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
SECRET = "shpss_products_secret_42"
SHOP = "juniper-demo.myshopify.com"
PRODUCT_ID = "7953012375681"


@pytest.fixture
def shop(db: Database, store: StoreHandle) -> StoreHandle:
    db.write(store_actions.set_shopify_webhook_secret, store.actor, store.id, SECRET)
    return store


def load(name: str) -> dict[str, Any]:
    return json.loads((DATA / name).read_text())  # type: ignore[no-any-return]


def deliver(
    client: TestClient,
    store: StoreHandle,
    topic: str,
    body: dict[str, Any],
    webhook_id: str,
    *,
    status: int = 200,
    shop_domain: str | None = SHOP,
) -> Any:
    raw = json.dumps(body).encode()
    headers = {
        "X-Shopify-Topic": topic,
        "X-Shopify-Webhook-Id": webhook_id,
        "X-Shopify-Hmac-Sha256": signature(SECRET, raw),
        "X-Shopify-API-Version": "2024-10",
        "Content-Type": "application/json",
    }
    if shop_domain is not None:
        headers["X-Shopify-Shop-Domain"] = shop_domain
    response = client.post(f"/webhooks/shopify/{store.slug}", content=raw, headers=headers)
    assert response.status_code == status, response.text
    return response.json()


def product(client: TestClient, store: StoreHandle) -> dict[str, Any]:
    [found] = [
        p
        for p in client.get("/api/v1/products", headers=store.auth).json()["data"]
        if p["external_id"] == PRODUCT_ID
    ]
    return found  # type: ignore[no-any-return]


def test_a_created_product_enters_the_catalogue(client: TestClient, shop: StoreHandle) -> None:
    outcome = deliver(client, shop, "products/create", load("products_create.json"), "wh-p1")
    assert outcome["outcome"] == "processed" and "created" in outcome["detail"]
    got = product(client, shop)
    assert got["title"] == "Merino crew sweater"
    assert got["sku"] == "MER-SWT-S"  # the first variant's
    assert (got["price"], got["currency"]) == (8400, "EUR")  # the lowest variant price, the store's currency
    assert got["category"] == "Apparel"
    assert got["url"] == f"https://{SHOP}/products/merino-crew-sweater"
    assert got["image_url"].startswith("https://cdn.shopify.com/") and "merino-grey.jpg" in got["image_url"]
    assert (got["in_stock"], got["inventory_quantity"], got["active"]) == (True, 3, True)
    assert got["attributes"]["handle"] == "merino-crew-sweater"
    # A re-delivery is recognised and changes nothing.
    assert (
        deliver(client, shop, "products/create", load("products_create.json"), "wh-p1")["outcome"]
        == "duplicate"
    )


def test_stock_follows_the_inventory_levels(client: TestClient, shop: StoreHandle) -> None:
    deliver(client, shop, "products/create", load("products_create.json"), "wh-p1")
    outcome = deliver(client, shop, "inventory_levels/update", load("inventory_levels_update.json"), "wh-i1")
    assert outcome["outcome"] == "processed"
    got = product(client, shop)
    assert (got["in_stock"], got["inventory_quantity"]) == (False, 0)  # S was 0 already, now M is too
    restock = {**load("inventory_levels_update.json"), "inventory_item_id": 45668001104001, "available": 7}
    deliver(client, shop, "inventory_levels/update", restock, "wh-i2")
    got = product(client, shop)
    assert (got["in_stock"], got["inventory_quantity"]) == (True, 7)
    stranger = {**restock, "inventory_item_id": 1}
    assert deliver(client, shop, "inventory_levels/update", stranger, "wh-i3")["outcome"] == "ignored"


def test_what_sells_when_out_counts_as_in_stock(client: TestClient, shop: StoreHandle) -> None:
    payload = load("products_create.json")
    for variant in payload["variants"]:
        variant["inventory_quantity"] = 0
    payload["variants"][0]["inventory_policy"] = "continue"
    deliver(client, shop, "products/create", payload, "wh-p1")
    assert product(client, shop)["in_stock"] is True
    payload = copy.deepcopy(payload)
    payload["variants"][0]["inventory_policy"] = "deny"
    deliver(client, shop, "products/update", payload, "wh-p2")
    assert product(client, shop)["in_stock"] is False
    payload["variants"][1]["inventory_management"] = None  # Shopify does not track this one's stock
    deliver(client, shop, "products/update", payload, "wh-p3")
    assert product(client, shop)["in_stock"] is True


def test_archived_and_deleted_products_become_inactive(
    client: TestClient, shop: StoreHandle, db: Database
) -> None:
    deliver(client, shop, "products/create", load("products_create.json"), "wh-p1")
    archived = {**load("products_create.json"), "status": "archived"}
    deliver(client, shop, "products/update", archived, "wh-p2")
    assert product(client, shop)["active"] is False
    deliver(client, shop, "products/update", load("products_create.json"), "wh-p3")
    assert product(client, shop)["active"] is True
    outcome = deliver(client, shop, "products/delete", load("products_delete.json"), "wh-p4")
    assert "inactive" in outcome["detail"]
    assert product(client, shop)["active"] is False
    assert table_counts(db, "products")["products"] == 1  # kept: its order history still names it
    # Deleting a product never sent is harmless.
    assert deliver(client, shop, "products/delete", {"id": 42}, "wh-p5")["outcome"] == "processed"


def test_without_the_shop_domain_the_page_is_unknown(client: TestClient, shop: StoreHandle) -> None:
    deliver(client, shop, "products/create", load("products_create.json"), "wh-p1", shop_domain=None)
    assert product(client, shop)["url"] is None
    deliver(client, shop, "products/update", load("products_create.json"), "wh-p2", shop_domain="not a host/")
    assert product(client, shop)["url"] is None


def test_a_product_without_price_is_refused_and_can_be_retried(
    client: TestClient, shop: StoreHandle, db: Database
) -> None:
    payload = load("products_create.json")
    no_variants = {key: value for key, value in payload.items() if key != "variants"}
    body = deliver(client, shop, "products/create", no_variants, "wh-p1", status=422)
    assert "variants" in json.dumps(body)
    bad_price = copy.deepcopy(payload)
    bad_price["variants"][0]["price"] = "eighty"
    body = deliver(client, shop, "products/create", bad_price, "wh-p2", status=422)
    assert "variants.0.price" in json.dumps(body)
    assert table_counts(db, "products", "webhook_receipts") == {"products": 0, "webhook_receipts": 0}
    deliver(client, shop, "products/create", payload, "wh-p1")  # the same delivery, fixed, goes through
    assert product(client, shop)["price"] == 8400


def test_an_unknown_product_in_an_order_still_counts(client: TestClient, shop: StoreHandle) -> None:
    """An order naming a product the catalogue lacks is taken as it is (its line keeps title and price)."""
    order = {
        "external_id": "o-1",
        "currency": "EUR",
        "lines": [
            {
                "product_id": "no-such-product",
                "sku": "GHOST",
                "title": "Ghost",
                "quantity": 1,
                "unit_price": 500,
            }
        ],
    }
    response = client.post("/api/v1/orders", headers=shop.auth, json=order)
    assert response.status_code == 201, response.text
    assert response.json()["order"]["lines"][0]["product_id"] == "no-such-product"
