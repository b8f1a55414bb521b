"""In a real browser: plain-text mail (through the product's own SMTP receiver) reads in the inbox as it
was written, on the page and when it arrives live, with a phone's photo shown; and an admin finds the
mail that was not kept on the desk settings page."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest
from playwright.sync_api import expect

from loyaldesk.channels.email.smtp_receiver import start_receiver
from loyaldesk.kernel.db import Database
from tests.e2e.conftest import screenshot
from tests.e2e.test_live_chat_browser import _log_in_to_the_inbox
from tests.factories import TEST_PASSWORD, StoreHandle, make_staff
from tests.servers import free_port

pytestmark = pytest.mark.e2e
SAMPLES = Path(__file__).parents[1] / "data" / "mail"


def _send(port: int, raw: bytes, store: StoreHandle) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.sendmail("sender@example.org", [f"{store.slug}@loyaldesk.localhost"], raw)


def test_plain_text_mail_reads_as_written_and_arrives_live_with_its_photo(
    page, browser, live_server: str, db: Database, store: StoreHandle, password_hash: str
):  # type: ignore[no-untyped-def]
    port = free_port()
    receiver = start_receiver(db, "loyaldesk.localhost", host="127.0.0.1", port=port)
    try:
        first = (SAMPLES / "plain_text_markdown_characters.eml").read_bytes()
        _send(port, first, store)
        _log_in_to_the_inbox(page, live_server, db, store, password_hash)
        page.locator("[data-conversation-list] .conversation-item").filter(has_text="Rosa Klein").get_by_role(
            "link"
        ).click()
        page.locator("[data-inbox][data-live='true']").wait_for()  # the console's socket is connected
        page.evaluate("window.__sameDocument = true")  # gone if the page reloads
        body = page.locator(".message-list .message-body").first
        # Server-rendered: every line as written, nothing turned into a heading, list or emphasis.
        expect(body).to_contain_text("# of items: 3")
        expect(body).to_contain_text("* the mug")
        expect(body).to_contain_text("1. ordered on Monday")
        expect(body).to_contain_text("My *new* address is _not_ on file")
        assert body.locator("h1, ul, ol, li, em, strong").count() == 0
        assert body.locator("br").count() >= 5  # line breaks kept
        link = body.get_by_role("link", name="https://shop.example/account")
        expect(link).to_have_attribute("href", "https://shop.example/account")
        expect(body.get_by_role("link", name="billing@example.com")).to_have_attribute(
            "href", "mailto:billing@example.com"
        )
        screenshot(page, "inbox-plain-text-mail")

        # Live: Rosa answers from her iPhone with a photo while the agent has the conversation open.
        reply = (SAMPLES / "iphone_photo.eml").read_bytes()
        reply = reply.replace(b"Subject: Mug arrived broken", b"Subject: Re: Three items")
        reply = reply.replace(
            b"From: Lena Berg <lena.berg@example.net>", b"From: Rosa Klein <rosa@example.org>"
        )
        reply = reply.replace(
            b"Message-Id: <7D3C2B1A", b"In-Reply-To: <pt-0010@example.org>\r\nMessage-Id: <7D3C2B1A"
        )
        reply = reply.replace(b"Photo below.", b"Photo below.\r\n* not a list item\r\n# not a heading")
        _send(port, reply, store)
        live = page.locator(".message-list .message").nth(1)
        expect(live.locator(".message-body")).to_contain_text("* not a list item")
        expect(live.locator(".message-body")).to_contain_text("# not a heading")
        assert live.locator(".message-body").locator("h1, ul, li").count() == 0
        photo = live.locator("a.message-file img")
        expect(photo).to_be_visible()
        expect(live.locator("a.message-file")).to_contain_text("IMG_0412.jpeg")
        photo.evaluate("img => img.decode()")  # the JPEG loads and decodes: a real picture
        assert photo.evaluate("img => img.naturalWidth") == 320
        assert page.evaluate("window.__sameDocument") is True  # it came over the socket, no reload
        screenshot(page, "inbox-mail-arrived-live-with-a-photo")

        # Mail that was not kept: an out-of-office reply, seen by an admin on the desk settings page.
        auto = EmailMessage()
        auto["From"] = "Rosa Klein <rosa@example.org>"
        auto["To"] = f"{store.slug}@loyaldesk.localhost"
        auto["Subject"] = "Automatic reply: Re: Three items"
        auto["Message-ID"] = make_msgid(domain="example.org")
        auto["Auto-Submitted"] = "auto-replied"
        auto.set_content("I am away until Monday.")
        _send(port, auto.as_bytes(), store)
    finally:
        receiver.stop()

    admin = browser.new_context(viewport={"width": 1360, "height": 900})
    try:
        admin_page = admin.new_page()
        admin_page.goto(f"{live_server}/login")
        admin_page.get_by_label("Email").fill(make_staff(db, store, "admin", password_hash))
        admin_page.get_by_label("Password").fill(TEST_PASSWORD)
        admin_page.get_by_role("button", name="Log in").click()
        admin_page.wait_for_url(f"{live_server}/console/{store.slug}/customers")
        admin_page.goto(f"{live_server}/console/{store.slug}/inbox-settings/desk")
        section = admin_page.get_by_role("region", name="Mail not kept")
        row = section.get_by_role("row").filter(has_text="Automatic reply: Re: Three items")
        expect(row).to_contain_text("rosa@example.org")
        expect(row).to_contain_text("SMTP")
        expect(row).to_contain_text("Automatic reply")
        expect(row).to_contain_text("Auto-Submitted: auto-replied")
        screenshot(admin_page, "desk-settings-mail-not-kept")
    finally:
        admin.close()
