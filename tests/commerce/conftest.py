"""Fixtures of the Shopify tests: a store that receives Shopify's webhooks and runs a loyalty program."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.stores import actions as store_actions
from tests.commerce.shopify_payloads import envelope
from tests.factories import StoreHandle
from tests.loyalty.shop import Shop

SHOPIFY_SECRET = "shpss_5f1e0c8a9d7b4e2f"


class ShopifyStore(Shop):
    """A store receiving Shopify's deliveries over HTTP, with its loyalty program earning on paid orders
    (points pending until the order is fulfilled, no return window)."""

    def deliver(
        self,
        topic: str,
        body: dict[str, Any] | bytes,
        *,
        version: str = "2024-10",
        webhook_id: str | None = None,
        status: int | None = 200,
    ) -> Response:
        raw, headers = envelope(topic, body, secret=SHOPIFY_SECRET, version=version, webhook_id=webhook_id)
        response = self.client.post(f"/webhooks/shopify/{self.store.slug}", content=raw, headers=headers)
        if status is not None:
            assert response.status_code == status, response.text
        self.dispatch()
        return response

    def order_by_shopify_id(self, shopify_id: int) -> dict[str, Any]:
        return self.ok("GET", f"/api/v1/orders/by-external-id/{shopify_id}")  # type: ignore[no-any-return]

    def points(self, shopify_customer_id: int) -> tuple[int, int]:
        """(available, pending) of the Shopify customer."""
        return self.balance(str(shopify_customer_id))


@pytest.fixture
def shopify(client: TestClient, store: StoreHandle, db: Database, clock: FakeClock) -> ShopifyStore:
    db.write(store_actions.set_shopify_webhook_secret, store.actor, store.id, SHOPIFY_SECRET)
    shop = ShopifyStore(client, store, db, clock)
    # The payloads place orders on dates of their own, some before the test store was created.
    shop.settings(
        pending_days=0,
        unlock_after_status="fulfilled",
        earn_on_status="paid",
        starts_at="2020-01-01T00:00:00+00:00",
    )
    return shop
