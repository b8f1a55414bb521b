"""Live chat in two real browsers: a signed-in shopper on a store's page with the chat widget, an agent in
the console's inbox. The conversation appears in the inbox as it starts, the agent answers with a canned
reply filled from the customer's loyalty facts, resolves, and the shopper rates the conversation. Hostile
markup typed on either side stays text in both pages. Screenshots go to LOYALDESK_SCREENSHOTS."""

from __future__ import annotations

import re
import struct
import zlib
from urllib.parse import urlencode

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from loyaldesk.kernel.db import Database
from loyaldesk.stores import store_by_id
from loyaldesk.stores.credentials import shopper_signature
from loyaldesk.support.models import CsatResponse
from tests.e2e.conftest import screenshot
from tests.factories import TEST_PASSWORD, StoreHandle, make_member, make_staff, order_payload
from tests.web.test_console_loyalty import give, ladder

pytestmark = pytest.mark.e2e

CUSTOMER = "cust-1"  # order_payload's customer: Emma, emma@example.com
HOSTILE = [
    "<script>window.__pwned=1</script>",
    '<img src=x onerror="window.__pwned=1">',
    "[click](javascript:window.__pwned=1)",
    '<svg onload="window.__pwned=1">',
]


def _tiny_png() -> bytes:
    """A real 1x1 PNG, so the browser can draw the thumbnail."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x80\x00"))
        + chunk(b"IEND", b"")
    )


TINY_PNG = _tiny_png()


def _member_with_an_order(live_server: str, db: Database, store: StoreHandle) -> None:
    ladder(db, store)
    with httpx.Client(base_url=live_server, headers=store.auth) as api:
        made = api.post("/api/v1/orders", json=order_payload(status="delivered"))
        assert made.status_code in (200, 201), made.text
    member = make_member(db, store, CUSTOMER)
    give(db, store, member, 1_250, "welcome")


def _log_in_to_the_inbox(
    page, live_server: str, db: Database, store: StoreHandle, password_hash: str
) -> None:  # type: ignore[no-untyped-def]
    email = make_staff(db, store, "agent", password_hash)
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server}/console/{store.slug}/customers")
    _open_inbox(page, f"{live_server}/console/{store.slug}/inbox")


def _open_inbox(page, url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(url)
    page.locator("[data-inbox][data-live='true']").wait_for()  # the console's socket is connected
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads


def _open_the_widget_signed_in(shopper, live_server: str, db: Database, store: StoreHandle) -> None:  # type: ignore[no-untyped-def]
    with db.read() as session:
        secret = store_by_id(session, store.id).identity_secret
    query = urlencode({"customer": CUSTOMER, "signature": shopper_signature(secret, CUSTOMER)})
    shopper.goto(f"{live_server}/widget/{store.slug}/demo-shop?{query}")
    shopper.get_by_role("button", name="Chat with us").click()
    chat = shopper.get_by_role("dialog")
    chat.get_by_label("Your message").wait_for()
    # The welcome frame has arrived once the greeting (or the history) is shown.
    shopper.locator(".ldw-messages > li").first.wait_for()


def _send_from_the_widget(shopper, text: str) -> None:  # type: ignore[no-untyped-def]
    box = shopper.get_by_role("dialog").get_by_label("Your message")
    box.fill(text)
    box.press("Enter")


def _open_the_conversation(page, live_server: str, store: StoreHandle) -> int:  # type: ignore[no-untyped-def]
    item = page.locator("[data-conversation-list] .conversation-item").filter(has_text="Emma")
    item.wait_for()  # arrived live: the inbox was opened before the conversation existed
    assert page.evaluate("window.__sameDocument === true"), "the inbox reloaded instead of updating"
    conversation_id = int(item.get_attribute("data-conversation-id") or 0)
    item.get_by_role("link").click()
    page.wait_for_url(re.compile(rf".*[?&]c={conversation_id}\b.*"))
    page.locator("[data-inbox][data-live='true']").wait_for()
    return conversation_id


def test_a_shopper_chats_an_agent_answers_with_a_canned_reply_and_gets_rated(
    live_server: str,
    page,  # type: ignore[no-untyped-def]
    shopper,  # type: ignore[no-untyped-def]
    db: Database,
    store: StoreHandle,
    password_hash: str,
) -> None:
    _member_with_an_order(live_server, db, store)
    _log_in_to_the_inbox(page, live_server, db, store, password_hash)
    # A canned reply, made through the form.
    page.goto(f"{live_server}/console/{store.slug}/inbox-settings/canned")
    page.get_by_label("Shortcut").fill("status")
    page.get_by_label("Title").fill("Order status")
    page.get_by_label("Text").fill(
        "Hi {{customer.first_name}}! Order {{order.latest.number}} is on its way, "
        "and you have {{loyalty.points}} points to spend."
    )
    page.get_by_role("button", name="Save").click()
    assert page.get_by_role("cell", name="/status").is_visible()
    _open_inbox(page, f"{live_server}/console/{store.slug}/inbox")
    assert page.locator("[data-conversation-list] .conversation-item").count() == 0

    _open_the_widget_signed_in(shopper, live_server, db, store)
    _send_from_the_widget(shopper, "Where is my order? It has been a week.")
    widget_messages = shopper.locator(".ldw-messages")
    widget_messages.locator(".ldw-from-customer[data-message-id]").wait_for()  # stored and echoed

    conversation_id = _open_the_conversation(page, live_server, store)
    thread = page.locator("[data-message-list]")
    assert "Where is my order?" in thread.inner_text()
    sidebar = page.locator(".inbox-customer")
    assert sidebar.get_by_role("heading", level=2).inner_text().startswith("Emma")
    assert page.locator("[data-tier]").inner_text() == "Bronze"
    assert page.locator("[data-points]").inner_text() == "1,250"
    assert "#1001" in page.locator("[data-orders]").inner_text()

    page.get_by_label("Canned reply").select_option(label="/status · Order status")
    composer = page.get_by_label("Reply to Emma")
    expected = "Hi Emma! Order #1001 is on its way, and you have 1,250 points to spend."
    page.wait_for_function(
        "expected => document.querySelector('#composer-body').value === expected", arg=expected
    )
    assert composer.input_value() == expected
    page.get_by_role("button", name="Send", exact=True).click()
    page.locator("[data-message-list] .message-agent").filter(has_text="on its way").wait_for()
    expect(composer).to_have_value("")  # cleared once the server has the reply

    reply = widget_messages.locator(".ldw-from-agent[data-message-id]").filter(has_text="on its way")
    reply.wait_for()
    assert "1,250 points" in reply.inner_text()

    # The shopper sends a photo of the parcel; the agent sees it live, as a thumbnail and a download.
    shopper.locator("#ldw-files").set_input_files(
        files=[{"name": "parcel.png", "mimeType": "image/png", "buffer": TINY_PNG}]
    )
    widget_messages.locator(".ldw-file").filter(has_text="parcel.png").wait_for()
    page.locator("[data-message-list] .message-file").filter(has_text="parcel.png").wait_for()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.message-file img')].some((img) => img.naturalWidth === 1)"
    )
    screenshot(shopper, "chat-widget")
    screenshot(page, "inbox")

    page.get_by_role("button", name="Resolve (e)").click()
    page.wait_for_url(re.compile(rf".*[?&]c={conversation_id}\b.*"))
    assert page.locator("[data-status-text]").inner_text() == "resolved"

    chat = shopper.get_by_role("dialog")
    chat.get_by_text("How did we do?").wait_for()
    chat.get_by_role("button", name="5 out of 5").click()
    assert chat.get_by_role("button", name="5 out of 5").get_attribute("aria-pressed") == "true"
    chat.get_by_label("Anything to add? (optional)").fill("Quick and friendly, thanks!")
    chat.get_by_role("button", name="Send rating").click()
    chat.get_by_text("Thank you for your rating!").wait_for()

    with db.read() as session:
        ratings = session.scalars(select(CsatResponse)).all()
    assert [(r.conversation_id, r.rating, r.comment) for r in ratings] == [
        (conversation_id, 5, "Quick and friendly, thanks!")
    ]
    assert ratings[0].agent_id is not None and ratings[0].answered_at is not None


NOT_PWNED = "() => window.__pwned === undefined"


def _assert_inert(target, messages_selector: str) -> None:  # type: ignore[no-untyped-def]
    """Nothing the payloads carried became markup or ran."""
    assert target.evaluate(NOT_PWNED), "a payload ran"
    messages = target.locator(messages_selector)
    assert messages.locator("script, img, svg, iframe, [onerror], [onload]").count() == 0
    hrefs = messages.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href') || '')")
    assert not [href for href in hrefs if href.strip().lower().startswith("javascript:")], hrefs
    links = messages.get_by_role("link", name="click")
    for index in range(links.count()):
        links.nth(index).click(modifiers=["ControlOrMeta"])  # a real link would open a new tab
    assert target.evaluate(NOT_PWNED), "clicking the link ran a payload"


def test_hostile_markup_stays_text_in_the_widget_and_the_inbox(
    live_server: str,
    page,  # type: ignore[no-untyped-def]
    shopper,  # type: ignore[no-untyped-def]
    db: Database,
    store: StoreHandle,
    password_hash: str,
) -> None:
    _member_with_an_order(live_server, db, store)
    _log_in_to_the_inbox(page, live_server, db, store, password_hash)
    _open_the_widget_signed_in(shopper, live_server, db, store)
    for payload in HOSTILE:
        _send_from_the_widget(shopper, payload)
    widget_messages = shopper.locator(".ldw-messages")
    stored = widget_messages.locator(".ldw-from-customer[data-message-id]")
    stored.nth(len(HOSTILE) - 1).wait_for()
    assert stored.count() == len(HOSTILE)

    _open_the_conversation(page, live_server, store)
    thread = page.locator("[data-message-list]")
    assert thread.locator(".message-customer").count() == len(HOSTILE)
    text = thread.inner_text()
    for payload in ("<script>window.__pwned=1</script>", '<svg onload="window.__pwned=1">'):
        assert payload in text  # shown as typed

    composer = page.get_by_label("Reply to Emma")
    composer.fill("Internal: " + " ".join(HOSTILE))
    page.get_by_label("Internal note (staff only)").check()
    page.get_by_role("button", name="Send", exact=True).click()
    thread.locator(".message-internal").wait_for()
    expect(composer).to_have_value("")
    page.get_by_label("Internal note (staff only)").uncheck()
    composer.fill("Reply: " + "\n\n".join(HOSTILE))
    composer.press("Control+Enter")
    thread.locator(".message-agent:not(.message-internal)").wait_for()

    reply = widget_messages.locator(".ldw-from-agent[data-message-id]")
    reply.wait_for()
    assert reply.count() == 1 and "Reply:" in reply.inner_text()
    assert "<script>window.__pwned=1</script>" in reply.inner_text()
    assert "Internal:" not in widget_messages.inner_text()  # notes stay in the console

    _assert_inert(shopper, ".ldw-messages")
    _assert_inert(page, "[data-message-list]")
    # The same after a reload, where the inbox renders the thread on the server and the widget from history.
    page.reload()
    page.locator("[data-inbox][data-live='true']").wait_for()
    assert thread.locator(".message").count() == len(HOSTILE) + 2
    _assert_inert(page, "[data-message-list]")
    _assert_inert(page, "[data-conversation-list]")
    shopper.reload()
    shopper.get_by_role("button", name="Chat with us").click()
    shopper.locator(".ldw-messages .ldw-from-agent[data-message-id]").wait_for()
    _assert_inert(shopper, ".ldw-messages")
