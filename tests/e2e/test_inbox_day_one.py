"""What a support team notices on day one, in real browsers: a new chat cannot be missed (the count in the
tab title and beside Unassigned, a chime, a desktop notification, a banner when the open view does not
show it); the inbox shows times one way whether a row or message came live or with the page; a long
subject ends with an ellipsis; goodwill says what was given; the widget's offline form fits a 1280x800
window and its attach button is drawn, not an emoji."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from loyaldesk.kernel.db import Database
from loyaldesk.loyalty import Member
from loyaldesk.recommendations import ReasonKind
from loyaldesk.stores import store_by_id
from loyaldesk.stores.credentials import shopper_signature
from loyaldesk.support.actions import desk_settings
from tests.e2e.conftest import screenshot
from tests.factories import TEST_PASSWORD, StoreHandle, make_member, make_staff
from tests.recommendations.test_inbox_picks import add_picks, add_product
from tests.web.test_console_loyalty import give, ladder

pytestmark = pytest.mark.e2e

# The browser's notification centre is outside the machine's reach in a headless browser: record what the
# page shows there, and say the inbox's window is not the one in front (as when an agent works elsewhere).
NOTIFICATIONS_RECORDER = """
window.__notifications = [];
window.__permissionAsked = 0;
const Original = window.Notification;
if (Original) {
  class Recorded extends Original {
    constructor(title, options) {
      super(title, options);
      window.__notifications.push({ title, body: options && options.body });
    }
  }
  Recorded.requestPermission = (...args) => {
    window.__permissionAsked += 1;
    return Original.requestPermission(...args);
  };
  window.Notification = Recorded;
}
Document.prototype.hasFocus = () => false;
"""


def _no_auto_assign(db: Database, store: StoreHandle) -> None:
    db.write(desk_settings.update_settings, store.actor, store.id, {"auto_assign": False})


def _log_in(page, live_server: str, db: Database, store: StoreHandle, password_hash: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(make_staff(db, store, "agent", password_hash))
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/customers")


def _open_inbox(page, url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(url)
    page.locator("[data-inbox][data-live='true']").wait_for()


def _chat_from_the_demo_shop(
    shopper, live_server: str, store: StoreHandle, text: str, query: str = ""
) -> None:  # type: ignore[no-untyped-def]
    shopper.goto(f"{live_server}/widget/{store.slug}/demo-shop{query}")
    shopper.get_by_role("button", name="Chat with us").click()
    box = shopper.get_by_role("dialog").get_by_label("Your message")
    box.wait_for()
    shopper.locator(".ldw-messages > li").first.wait_for()
    box.fill(text)
    box.press("Enter")
    shopper.locator(".ldw-from-customer[data-message-id]").last.wait_for()


def test_a_new_unassigned_chat_cannot_be_missed(
    live_server: str,
    browser,  # type: ignore[no-untyped-def]
    shopper,  # type: ignore[no-untyped-def]
    db: Database,
    store: StoreHandle,
    password_hash: str,
) -> None:
    _no_auto_assign(db, store)  # nobody is given the chat: it waits, unassigned
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    context.grant_permissions(["notifications"], origin=live_server)
    context.add_init_script(NOTIFICATIONS_RECORDER)
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        _log_in(page, live_server, db, store, password_hash)
        _open_inbox(page, f"{live_server}/console/{store.slug}/inbox?view=mine")  # the agent's own view
        assert page.title() == "Inbox · loyaldesk"
        expect(page.locator("[data-unassigned-count]")).to_be_hidden()
        expect(page.locator("[data-notifications-ask]")).to_be_hidden()  # permission already given
        page.get_by_role("heading", name="Inbox").click()  # any click lets the page make sound

        _chat_from_the_demo_shop(shopper, live_server, store, "Hello? Is anyone there?")

        expect(page).to_have_title("(1) Inbox · loyaldesk")
        expect(page.locator("[data-unassigned-count]")).to_have_text("1")
        banner = page.locator("[data-new-arrival]")
        expect(banner).to_contain_text("is waiting for an answer")  # Mine does not list it: the banner does
        assert page.locator("[data-conversation-list] .conversation-item").count() == 0
        page.wait_for_function("() => window.loyaldeskInbox.chime.played === 1")
        assert page.evaluate("window.loyaldeskInbox.chime.context.state") != "closed"
        notifications = page.evaluate("window.__notifications")
        assert len(notifications) == 1
        assert notifications[0]["title"].startswith("New conversation: Visitor #")
        assert notifications[0]["body"] == "Hello? Is anyone there?"

        # The count is in the title of every later page load too, and the Unassigned view lists the chat.
        page.get_by_role("link", name=re.compile(r"^Unassigned")).click()
        page.locator("[data-inbox][data-live='true']").wait_for()
        assert page.title() == "(1) Inbox · loyaldesk"
        unassigned = page.locator("[data-conversation-list] .conversation-item[data-unassigned]")
        expect(unassigned).to_have_count(1)
        expect(unassigned).to_contain_text("Hello? Is anyone there?")
        screenshot(page, "inbox-new-chat")

        # Taking it answers the count: nothing waits for anyone else.
        unassigned.get_by_role("link").click()
        page.locator("[data-inbox][data-live='true']").wait_for()
        page.get_by_label("Assignee").select_option(label="Agent (online)")
        page.get_by_role("button", name="Assign").click()
        page.locator("[data-inbox][data-live='true']").wait_for()
        expect(page.locator("[data-unassigned-count]")).to_be_hidden()
        page.get_by_label("Reply to").fill("Yes, how can I help?")
        page.get_by_role("button", name="Send", exact=True).click()
        expect(page).to_have_title("Inbox · loyaldesk")
        assert page.evaluate("window.loyaldeskInbox.chime.played") == 0  # this page announced nothing
        assert errors == []
    finally:
        context.close()


def test_the_inbox_asks_before_showing_desktop_notifications(
    live_server: str,
    browser,  # type: ignore[no-untyped-def]
    db: Database,
    store: StoreHandle,
    password_hash: str,
) -> None:
    context = browser.new_context()
    context.add_init_script(NOTIFICATIONS_RECORDER)
    page = context.new_page()
    try:
        _log_in(page, live_server, db, store, password_hash)
        _open_inbox(page, f"{live_server}/console/{store.slug}/inbox")
        ask = page.get_by_role("button", name="Turn on desktop notifications")
        expect(ask).to_be_visible()
        ask.click()
        page.wait_for_function("() => window.__permissionAsked === 1")
        sound = page.locator("[data-sound]")
        expect(sound).to_have_text("Sound on")
        sound.click()
        expect(sound).to_have_text("Sound off")
        page.reload()
        expect(page.locator("[data-sound]")).to_have_text("Sound off")  # remembered in this browser
    finally:
        context.close()


def test_live_and_rendered_rows_and_messages_look_the_same(
    live_server: str,
    page,  # type: ignore[no-untyped-def]
    shopper,  # type: ignore[no-untyped-def]
    db: Database,
    store: StoreHandle,
    password_hash: str,
) -> None:
    _no_auto_assign(db, store)
    _log_in(page, live_server, db, store, password_hash)
    _open_inbox(page, f"{live_server}/console/{store.slug}/inbox")
    long_subject = "My order arrived with the wrong size and the colour is not what the pictures showed " * 3
    _chat_from_the_demo_shop(shopper, live_server, store, long_subject.strip())
    row = page.locator("[data-conversation-list] .conversation-item").first
    row.wait_for()  # inserted live
    live_row = row.inner_text()
    live_waiting = row.locator("[data-waiting-since]").inner_text()
    assert re.fullmatch(r"\d\d:\d\d", live_waiting), live_waiting  # today, in the store's time zone
    page.reload()
    page.locator("[data-inbox][data-live='true']").wait_for()
    assert page.locator("[data-conversation-list] .conversation-item").first.inner_text() == live_row

    # The thread: a message rendered with the page, then one inserted live; then both rendered again.
    page.locator("[data-conversation-list] .conversation-item a").first.click()
    page.locator("[data-inbox][data-live='true']").wait_for()
    subject = page.locator(".conversation-subject")
    assert subject.evaluate("node => getComputedStyle(node).textOverflow") == "ellipsis"
    assert subject.evaluate("node => node.scrollWidth > node.clientWidth"), (
        "the subject is cut with an ellipsis"
    )
    assert long_subject.startswith(subject.get_attribute("title") or "-")  # the whole subject on hover
    box = shopper.get_by_role("dialog").get_by_label("Your message")
    box.fill("And the box was wet.")
    box.press("Enter")
    thread = page.locator("[data-message-list] .message")
    expect(thread).to_have_count(2)
    live_authors = thread.locator(".message-author").all_inner_texts()
    page.reload()
    page.locator("[data-inbox][data-live='true']").wait_for()
    assert page.locator("[data-message-list] .message .message-author").all_inner_texts() == live_authors
    assert all(re.search(r" · \d\d:\d\d$", author) for author in live_authors), live_authors


def test_goodwill_says_what_was_given(
    live_server: str,
    page,  # type: ignore[no-untyped-def]
    shopper,  # type: ignore[no-untyped-def]
    db: Database,
    store: StoreHandle,
    password_hash: str,
) -> None:
    ladder(db, store)
    member = make_member(db, store, "m-7")
    give(db, store, member, 100, "welcome")
    with db.read() as session:
        customer_id = session.scalars(select(Member.customer_id).where(Member.id == member)).one()
    add_product(db, store, "BEANS-1", "Espresso beans 1 kg")
    add_picks(db, store, customer_id, [("BEANS-1", ReasonKind.REPURCHASE, {"days": 30})])
    with db.read() as session:
        secret = store_by_id(session, store.id).identity_secret
    query = "?" + urlencode({"customer": "m-7", "signature": shopper_signature(secret, "m-7")})
    _log_in(page, live_server, db, store, password_hash)
    _open_inbox(page, f"{live_server}/console/{store.slug}/inbox")
    _chat_from_the_demo_shop(shopper, live_server, store, "My parcel is late.", query)
    page.locator("[data-conversation-list] .conversation-item a").first.click()
    page.locator("[data-inbox][data-live='true']").wait_for()
    page.get_by_label("Points", exact=True).fill("40")
    page.get_by_label("Reason (the customer reads it)").fill("Sorry for the late parcel")
    page.get_by_role("button", name="Give", exact=True).click()
    confirmation = page.locator("[data-goodwill-result]")
    expect(confirmation).to_have_text(
        re.compile(
            r"^You gave .+ 40 points: “Sorry for the late parcel”\. Their balance is now 140 points\.$"
        )
    )
    expect(page.locator("[data-points]")).to_have_text("140")
    expect(page.get_by_label("Points", exact=True)).to_have_value("")  # ready for the next one
    screenshot(page, "inbox-goodwill-given")

    # Beside it, what the customer is likely to want next, and an offer for it within the budget left.
    expect(page.get_by_role("region", name="Likely next")).to_contain_text("Espresso beans 1 kg")
    page.get_by_role("button", name="Give 100 points").click()
    expect(page.locator("[data-goodwill-result]")).to_contain_text(
        "100 points: “Points toward Espresso beans 1 kg, with our thanks”. Their balance is now 240 points."
    )
    expect(page.locator("[data-budget]")).to_contain_text("360 of 500 points left this month.")


def test_the_offline_form_fits_a_1280_by_800_window_and_the_attach_button_is_drawn(
    live_server: str,
    browser,  # type: ignore[no-untyped-def]
    store: StoreHandle,
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    shopper = context.new_page()
    try:
        shopper.goto(f"{live_server}/widget/{store.slug}/demo-shop")  # nobody online: the offline form
        shopper.get_by_role("button", name="Chat with us").click()
        send = shopper.get_by_role("button", name="Send message")
        expect(send).to_be_visible()
        box = send.bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 800, box
        # Nothing covers it or cuts it off: the point at its centre is the button itself.
        assert (
            shopper.evaluate(
                """([x, y]) => document.elementFromPoint(x, y)?.closest('button')?.textContent""",
                [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
            )
            == "Send message"
        )
        screenshot(shopper, "widget-offline-form")
        attach = shopper.locator(".ldw-attach")
        assert attach.locator("svg path").count() == 1
        assert "📎" not in (attach.text_content() or "")
        assert attach.get_by_text("Attach files").count() == 1  # named for screen readers
    finally:
        context.close()


@pytest.mark.parametrize("path", ["/widget/{slug}/demo-shop"])
def test_shop_pages_have_a_favicon(live_server: str, page, store: StoreHandle, path: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(live_server + path.format(slug=store.slug))
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert icon == "/static/favicon.svg"
    assert page.request.get(live_server + icon).headers["content-type"].startswith("image/svg+xml")
