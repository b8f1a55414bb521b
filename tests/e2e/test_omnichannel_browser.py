"""In a real browser: a customer's email (through the product's own SMTP receiver) and their chat from
the shop page are one history in the inbox, and the agent gives goodwill points within their budget and
is refused over it."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from playwright.sync_api import expect

from loyaldesk.channels.email.smtp_receiver import start_receiver
from loyaldesk.customers import CustomerProfile, upsert_customer
from loyaldesk.kernel.actors import system_for
from loyaldesk.kernel.db import Database
from tests.e2e.conftest import screenshot
from tests.e2e.test_live_chat_browser import _log_in_to_the_inbox, _send_from_the_widget
from tests.factories import StoreHandle, make_member
from tests.servers import free_port

pytestmark = pytest.mark.e2e
CUSTOMER = "c-9"


def _mia(db: Database, store: StoreHandle) -> None:
    profile = CustomerProfile(email="mia@example.org", first_name="Mia", last_name="Rossi")
    db.write(upsert_customer, system_for(store.id), store.id, CUSTOMER, profile, source="api")
    make_member(db, store, CUSTOMER)


def _email_from_mia(db: Database, store: StoreHandle) -> None:
    port = free_port()
    receiver = start_receiver(db, "loyaldesk.localhost", host="127.0.0.1", port=port)
    try:
        message = EmailMessage()
        message["From"] = "Mia Rossi <mia@example.org>"
        message["To"] = f"{store.slug}@loyaldesk.localhost"
        message["Subject"] = "Refund for order 1001?"
        message["Message-ID"] = make_msgid(domain="example.org")
        message.set_content("Hello, I returned the shoes two weeks ago. When will I get my refund?")
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.send_message(message)
    finally:
        receiver.stop()


def test_email_and_chat_are_one_history_and_goodwill_respects_the_budget(
    page, shopper, live_server: str, db: Database, store: StoreHandle, password_hash: str
):  # type: ignore[no-untyped-def]
    from urllib.parse import urlencode

    from loyaldesk.stores import store_by_id
    from loyaldesk.stores.credentials import shopper_signature

    _mia(db, store)
    _email_from_mia(db, store)
    _log_in_to_the_inbox(page, live_server, db, store, password_hash)
    emailed = page.locator("[data-conversation-list] .conversation-item").filter(has_text="Mia Rossi")
    expect(emailed).to_have_count(1)
    assert "email" in emailed.inner_text()

    with db.read() as session:
        secret = store_by_id(session, store.id).identity_secret
    query = urlencode({"customer": CUSTOMER, "signature": shopper_signature(secret, CUSTOMER)})
    shopper.goto(f"{live_server}/widget/{store.slug}/demo-shop?{query}")
    shopper.get_by_role("button", name="Chat with us").click()
    shopper.locator(".ldw-messages > li").first.wait_for()
    _send_from_the_widget(shopper, "Hi, I also wrote an email about my refund.")
    shopper.locator(".ldw-messages .ldw-from-customer[data-message-id]").wait_for()

    # The chat appears live beside the email; both are Mia's, and each shows the other in her history.
    chat = page.locator("[data-conversation-list] .conversation-item").filter(has_text="webchat")
    chat.wait_for()
    chat.get_by_role("link").click()
    history = page.get_by_role("complementary").locator("[aria-label='Past conversations']")
    expect(history).to_contain_text("Refund for order 1001?")
    expect(history).to_contain_text("email")

    # Goodwill within the agent's monthly budget (500 points by default) ...
    budget = page.locator("[data-budget]")
    expect(budget).to_have_text("500 of 500 points left this month.")
    page.get_by_label("Points", exact=True).fill("300")
    page.get_by_label("Reason (the customer reads it)").fill("Sorry your refund is taking so long")
    page.get_by_role("button", name="Give", exact=True).click()
    expect(page.locator("[data-budget]")).to_have_text("200 of 500 points left this month.")
    expect(page.locator("[data-message-list]")).to_contain_text("gave 300 goodwill points")
    expect(page.locator("[data-points]")).to_have_text("300")
    screenshot(page, "inbox-goodwill")

    # ... and refused over it, saying what is left.
    page.get_by_label("Points", exact=True).fill("250")
    page.get_by_label("Reason (the customer reads it)").fill("Another gesture")
    page.get_by_role("button", name="Give", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text(
        "over your goodwill budget: 200 of 500 points left this month"
    )
