"""A staff member logs in with a real browser, finds a customer and opens their page."""

from __future__ import annotations

import httpx
import pytest

from loyaldesk.kernel.db import Database
from tests.e2e.conftest import screenshot
from tests.factories import StoreHandle, make_staff, order_payload

pytestmark = pytest.mark.e2e


def test_log_in_search_and_open_a_customer(
    live_server: str,
    page,
    db: Database,
    store: StoreHandle,  # type: ignore[no-untyped-def]
    password_hash: str,
) -> None:
    email = make_staff(db, store, "agent", password_hash)
    with httpx.Client(base_url=live_server, headers=store.auth) as api:
        api.post("/api/v1/orders", json=order_payload(status="delivered"))
        api.post(
            "/api/v1/customers",
            json={
                "external_id": "g",
                "email": "grace@example.com",
                "first_name": "Grace",
                "last_name": "Hopper",
            },
        )

    page.goto(f"{live_server}/console")
    assert page.url.startswith(f"{live_server}/login")
    screenshot(page, "login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Log in").click()
    assert "do not match an account" in page.get_by_role("alert").inner_text()
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server}/console/acme/customers")
    assert page.get_by_role("heading", name="Customers").is_visible()
    assert page.get_by_role("link", name="Customers").get_attribute("aria-current") == "page"

    # The "/" shortcut focuses the search box; typing and Enter searches.
    page.keyboard.press("/")
    page.keyboard.type("hopper")
    page.keyboard.press("Enter")
    page.wait_for_url("**/customers?q=hopper*")
    assert page.get_by_role("link", name="Grace Hopper").is_visible()
    assert page.get_by_text("emma@example.com").count() == 0

    page.get_by_label("Search by name, email, phone or id").fill("emma")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Emma").click()
    assert page.get_by_role("heading", name="Emma", exact=True).is_visible()
    assert page.get_by_role("link", name="#1001", exact=True).is_visible()
    timeline = page.locator("ol.timeline")
    assert "Placed order #1001" in timeline.inner_text()
    assert "Order #1001 delivered" in timeline.inner_text()
    screenshot(page, "customer")

    page.get_by_role("link", name="#1001", exact=True).click()
    assert page.get_by_role("heading", name="Order #1001").is_visible()
    assert page.get_by_role("cell", name="Organic tee").is_visible()

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{live_server}/login")
