"""In-widget messages in a real browser, on a store's own site (another origin, its strict policy with
Trusted Types, as in test_widget_cross_origin.py): a notice a journey delivers while the signed-in shopper
is on the page appears at once as a banner, is read as text (markup in it is not markup), and closes
from the keyboard, which journeys counts as an open. With web push on, the chat offers notifications."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from loyaldesk.channels.push import set_push_enabled
from loyaldesk.channels.widget import WidgetAdapter
from loyaldesk.customers import CustomerProfile, upsert_customer
from loyaldesk.journeys import Channel, Send, SendStatus
from loyaldesk.kernel.db import Database
from loyaldesk.runtime import Runtime
from loyaldesk.stores import shopper_signature, store_by_id
from loyaldesk.web.console.widget_install import push_snippet, snippets
from tests.channels.engine_double import message_for, run_send
from tests.e2e.conftest import screenshot
from tests.e2e.test_widget_cross_origin import StoreSite, _merged_policy, _shop_page, store_site  # noqa: F401
from tests.factories import StoreHandle

pytestmark = pytest.mark.e2e


def _send_row(db: Database, store: StoreHandle, customer_id: int) -> int:
    def add(uow: Any) -> int:
        now = uow.now()
        send = Send(
            store_id=store.id,
            customer_id=customer_id,
            channel="widget",
            category="marketing",
            idempotency_key="browser-1",
            status=SendStatus.SENDING.value,
            due_at=now,
            created_at=now,
            content={},
        )
        uow.session.add(send)
        uow.session.flush()
        return int(send.id)

    return db.write(add)


def test_a_notice_appears_on_the_store_page_while_the_shopper_is_there(
    live_server: str,
    runtime: Runtime,
    shopper,  # type: ignore[no-untyped-def]
    db: Database,
    store: StoreHandle,
    store_site: StoreSite,  # noqa: F811
) -> None:
    runtime.settings.public_base_url = live_server
    customer_id = db.write(
        upsert_customer, store.actor, store.id, "C-7", CustomerProfile(first_name="Nora")
    ).customer.id
    db.write(set_push_enabled, store.actor, store.id, enabled=True, subject="mailto:shop@example.com")
    with db.read() as session:
        secret = store_by_id(session, store.id).identity_secret
    tag = push_snippet(live_server, store.slug)
    store_site.body = _shop_page(
        tag.replace("CUSTOMER_ID", "C-7").replace("SIGNATURE", shopper_signature(secret, "C-7"))
    )
    store_site.policy = _merged_policy(snippets(live_server, store.slug)["csp"])
    violations: list[str] = []
    shopper.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    shopper.goto(f"http://127.0.0.1:{store_site.port}/shop")
    shopper.wait_for_function("() => Boolean(window.loyaldeskChat && window.loyaldeskChat.ticket)")

    # The journey's send goes out while the shopper is on the page: the banner appears without a reload.
    send_id = _send_row(db, store, customer_id)
    run_send(
        db,
        WidgetAdapter(),
        message_for(
            store.id,
            customer_id,
            Channel.WIDGET,
            send_id=send_id,
            subject="Your points expire soon",
            text="<img src=x onerror=alert(1)> 120 points expire on 31 March.",
            url="https://shop.example/rewards",
        ),
    )
    banner = shopper.locator(".ldw-notices[role='status'] .ldw-notice")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Your points expire soon")
    expect(banner).to_contain_text("<img src=x onerror=alert(1)> 120 points expire on 31 March.")
    assert banner.locator("img").count() == 0
    expect(banner.get_by_role("link", name="Open")).to_have_attribute("href", "https://shop.example/rewards")
    screenshot(shopper, "widget-notice")

    # Closed from the keyboard; journeys counts the open.
    banner.get_by_role("button", name="Dismiss").focus()
    shopper.keyboard.press("Enter")
    expect(banner).to_have_count(0)

    def opened() -> bool:
        with db.read() as session:
            send = session.get(Send, send_id)
            return send is not None and send.opened_at is not None

    shopper.wait_for_function("() => true")  # let the dismissal's request land
    for _ in range(50):
        if opened():
            break
        shopper.wait_for_timeout(100)
    assert opened()

    # Web push is on and the browser has not refused: the chat offers notifications.
    shopper.get_by_role("button", name="Chat with us").click()
    expect(shopper.get_by_role("button", name="Get notified about your points and orders")).to_be_visible()
    assert violations == [], violations
