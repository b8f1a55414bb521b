"""Staff accounts in a real browser: an owner invites someone on an install without mail and passes the
link on; the invitee chooses their own password and lands in the console. An agent's open inbox tells
them to log in again the moment their password is changed elsewhere."""

from __future__ import annotations

import os

import pytest

from loyaldesk.kernel.db import Database
from tests.e2e.conftest import screenshot
from tests.factories import TEST_PASSWORD, StoreHandle, make_staff

pytestmark = pytest.mark.e2e

# Where to keep the pictures a developer looks at (LOYALDESK_SCREENSHOTS keeps the README's).
LOOK = os.environ.get("LOYALDESK_ACCOUNT_SCREENSHOTS")


def _look(page, name: str) -> None:  # type: ignore[no-untyped-def]
    screenshot(page, name)
    if LOOK:
        page.screenshot(path=f"{LOOK}/{name}.png", full_page=True)


def _log_in(page, live_server: str, email: str, password: str = TEST_PASSWORD) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server}/console/**")


def test_an_owner_invites_and_the_invitee_sets_their_own_password(
    live_server: str,
    page,  # type: ignore[no-untyped-def]
    shopper,  # type: ignore[no-untyped-def]  # a second browser: the invitee's
    db: Database,
    store: StoreHandle,
    password_hash: str,
) -> None:
    _log_in(page, live_server, make_staff(db, store, "owner", password_hash))
    page.goto(f"{live_server}/console/{store.slug}/settings/staff")
    page.get_by_label("Name", exact=True).fill("Nina Nova")
    page.get_by_label("Email", exact=True).fill("nina@example.com")
    page.get_by_label("Role", exact=True).select_option("analyst")
    page.get_by_role("button", name="Create an invitation link").click()
    link = page.locator("#invitation-link").inner_text()
    assert "/invitations/" in link
    assert page.get_by_role("heading", name="Invitations waiting").is_visible()
    _look(page, "staff-invitation-link")

    invitee = shopper
    invitee.goto(link.replace("http://127.0.0.1:8000", live_server))
    assert invitee.get_by_role("heading", name="Join Acme").is_visible()
    assert invitee.get_by_label("Your name").input_value() == "Nina Nova"
    _look(invitee, "invitation")
    invitee.get_by_label("Password").fill("short")
    invitee.get_by_role("button", name="Accept the invitation").click()  # the browser refuses (minlength)
    assert "/invitations/" in invitee.url
    invitee.get_by_label("Password").fill("nina's own long secret")
    invitee.get_by_role("button", name="Accept the invitation").click()
    invitee.wait_for_url(f"{live_server}/console/acme/customers")
    assert invitee.get_by_role("heading", name="Customers", exact=True).is_visible()

    page.reload()
    staff = page.locator("table").first.inner_text()
    assert "Nina Nova" in staff and "nina@example.com" in staff
    assert page.get_by_role("heading", name="Invitations waiting").count() == 0


def test_an_open_inbox_says_log_in_again_when_the_password_changes_elsewhere(
    live_server: str,
    page,  # type: ignore[no-untyped-def]
    shopper,  # type: ignore[no-untyped-def]  # a second browser of the same agent
    db: Database,
    store: StoreHandle,
    password_hash: str,
) -> None:
    email = make_staff(db, store, "agent", password_hash)
    _log_in(page, live_server, email)
    page.goto(f"{live_server}/console/{store.slug}/inbox")
    page.locator("[data-inbox][data-live='true']").wait_for()

    elsewhere = shopper
    _log_in(elsewhere, live_server, email)
    elsewhere.goto(f"{live_server}/console/account")
    elsewhere.get_by_label("Current password").fill(TEST_PASSWORD)
    elsewhere.get_by_label("New password").fill("a brand new long one")
    elsewhere.get_by_role("button", name="Change password").click()
    elsewhere.wait_for_url(f"{live_server}/login?changed=1")

    again = page.locator("[data-login-again]")
    again.wait_for()
    assert "Your session ended" in page.locator("[data-live-status]").inner_text()
    assert page.locator("[data-inbox]").get_attribute("data-live") == "false"
    _look(page, "inbox-log-in-again")
    again.click()
    page.wait_for_url(f"{live_server}/login?next=%2Fconsole%2Facme%2Finbox")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("a brand new long one")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server}/console/acme/inbox")
    page.locator("[data-inbox][data-live='true']").wait_for()
