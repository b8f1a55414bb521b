"""An agent opens an order Shopify sent that does not add up, and sees why, with the notes on its amounts."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from loyaldesk.kernel.db import Database
from loyaldesk.stores import actions as store_actions
from tests.commerce.shopify_payloads import ShopifyOrder, envelope
from tests.e2e.conftest import screenshot
from tests.factories import StoreHandle, make_staff

pytestmark = pytest.mark.e2e

SECRET = "shpss_e2e_order_page"


def test_an_agent_sees_the_warning_and_the_notes_of_a_shopify_order(
    live_server: str,
    page,  # type: ignore[no-untyped-def]
    db: Database,
    store: StoreHandle,
    password_hash: str,
) -> None:
    db.write(store_actions.set_shopify_webhook_secret, store.actor, store.id, SECRET)
    email = make_staff(db, store, "agent", password_hash)
    order = ShopifyOrder("2024-10")
    apron = order.line("Linen apron", 4500, 2, tax_rate="0.19")
    order.line("Terracotta pot", 1990, 1, tax_rate="0.19")
    order.shipping("DHL Paket", 495)
    order.discount_code("SPRING20", percent="20")
    order.tip = 200
    body = order.payload()
    body["total_price"] = "101.57"  # 10.00 less than its parts
    with httpx.Client(base_url=live_server) as client:
        for topic, payload in (
            ("orders/create", body),
            ("orders/edited", order.edit(at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC), remove={apron: 1})),
        ):
            raw, headers = envelope(topic, payload, secret=SECRET)
            response = client.post(f"/webhooks/shopify/{store.slug}", content=raw, headers=headers)
            assert response.status_code == 200, response.text
        stored = client.get(f"/api/v1/orders/by-external-id/{order.id}", headers=store.auth).json()

    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server}/console/acme/customers")
    page.goto(f"{live_server}/console/acme/orders/{stored['id']}")

    alert = page.get_by_role("alert")
    assert alert.is_visible()
    assert "This order needs a look" in alert.inner_text()
    assert "The amounts do not add up" in alert.inner_text()
    assert "€10.00 is taken off the lines" in alert.inner_text()
    notes = page.get_by_role("region", name="Notes on the amounts")
    assert "includes a tip of €2.00, which earns no points" in notes.inner_text()
    assert "applied (revision 1): Linen apron: 2 → 1 unit" in notes.inner_text()
    assert page.get_by_text("edited (1 revision)").is_visible()
    screenshot(page, "shopify-order-warning")
