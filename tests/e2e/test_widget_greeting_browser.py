"""The chat widget's greeting in a real browser, on a store's own site (another origin, its strict policy
with Trusted Types, as in test_widget_cross_origin.py): a shopper the store's page signs in is greeted by
first name, with their tier, their points, the points about to expire and their top pick; an anonymous
visitor on the same site sees only the store's generic greeting, nothing personal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect

from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.recommendations import ReasonKind
from loyaldesk.runtime import Runtime
from loyaldesk.stores import shopper_signature, store_by_id
from loyaldesk.support.actions import routing
from loyaldesk.web.console.widget_install import snippets
from tests.e2e.conftest import screenshot
from tests.e2e.test_widget_cross_origin import StoreSite, _merged_policy, _shop_page, store_site  # noqa: F401
from tests.factories import StoreHandle, app_serving, make_staff
from tests.recommendations.test_greeting import returning_shopper
from tests.recommendations.test_inbox_picks import add_picks, add_product
from tests.support.test_routing import staff_id

pytestmark = pytest.mark.e2e


def test_a_signed_in_shopper_is_greeted_personally_and_an_anonymous_visitor_is_not(
    live_server: str,
    runtime: Runtime,
    shopper,  # type: ignore[no-untyped-def]
    browser,  # type: ignore[no-untyped-def]
    db: Database,
    store: StoreHandle,
    clock: FakeClock,
    store_site: StoreSite,  # noqa: F811
    password_hash: str,
) -> None:
    runtime.settings.public_base_url = live_server
    # An agent is online, so the chat opens on its messages (away, the offline form takes the panel).
    agent = staff_id(db, make_staff(db, store, "agent", password_hash))
    db.write(routing.agent_connected, store.id, agent, delta=1)
    with app_serving(runtime) as app, TestClient(app, base_url="https://testserver") as client:
        customer_id = returning_shopper(client, db, store, clock)  # Nora, Gold, 40 points, 40 expiring
    add_product(db, store, "BEANS-1", "Espresso beans 1 kg")
    add_picks(db, store, customer_id, [("BEANS-1", ReasonKind.REPURCHASE, {"days": 30})])
    with db.read() as session:
        secret = store_by_id(session, store.id).identity_secret
    tags = snippets(live_server, store.slug)
    store_site.policy = _merged_policy(tags["csp"])
    store_site.body = _shop_page(
        tags["signed_in"]
        .replace("CUSTOMER_ID", "nora")
        .replace("SIGNATURE", shopper_signature(secret, "nora"))
    )
    violations: list[str] = []
    shopper.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    shopper.goto(f"http://127.0.0.1:{store_site.port}/shop")
    shopper.get_by_role("button", name="Chat with us").click()
    greeting = shopper.locator(".ldw-greeting")
    expect(greeting).to_contain_text("Welcome back, Nora!")
    expect(greeting).to_contain_text("You are a Gold member with 40 points.")
    expires = clock.now() + timedelta(days=20)
    expect(greeting).to_contain_text("40 of your points expire on")
    expect(greeting).to_contain_text(str(expires.year))
    expect(greeting.get_by_role("link", name="Espresso beans 1 kg")).to_have_attribute(
        "href", "https://shop.example/p/beans-1"
    )
    screenshot(shopper, "widget-greeting")
    assert violations == [], violations

    # The same site for a visitor who is not signed in: the store's own greeting, nothing personal.
    store_site.body = _shop_page(tags["anonymous"])
    context = browser.new_context()
    visitor = context.new_page()
    try:
        requests: list[str] = []
        visitor.on("request", lambda request: requests.append(request.url))
        visitor.goto(f"http://127.0.0.1:{store_site.port}/shop")
        visitor.wait_for_function("() => Boolean(window.loyaldeskChat && window.loyaldeskChat.ticket)")
        visitor.get_by_role("button", name="Chat with us").click()
        anonymous = visitor.locator(".ldw-greeting")
        expect(anonymous).to_have_text("Hi! How can we help?")
        for private in ("Nora", "Gold", "points", "Espresso"):
            expect(visitor.locator(".ldw-panel")).not_to_contain_text(private)
        assert not any("/greeting?" in url for url in requests)  # nothing personal is even asked for
    finally:
        context.close()
