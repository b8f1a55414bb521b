"""The journeys proof, end to end in a real browser: a manager switches on the points-expiring journey in
one click and sees it in the calendar; the engine's own jobs send the shopper's email through a real SMTP
peer (aiosmtpd); the email reads at 375 px without scrolling sideways; its one-click unsubscribe link
works; and the store's outgoing webhook receives the send, signed so that the standardwebhooks library
verifies it.

The clock is a fake one set to the real time (``standardwebhooks`` checks a delivery's timestamp against
the real clock), and the shopper lives in the zone where it is midday now, so that her email may go at
once (quiet hours are hers)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select, update

from loyaldesk.customers import Customer
from loyaldesk.journeys import Send
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database, UnitOfWork
from loyaldesk.kernel.dispatcher import dispatch_until_idle
from loyaldesk.kernel.jobs import jobs
from loyaldesk.loyalty.models import PointLot
from loyaldesk.settings import Settings
from tests.channels.webhooks.conftest import Receiver, deliver
from tests.channels.webhooks.conftest import receiver as receiver
from tests.e2e.conftest import SCREENSHOTS, screenshot
from tests.factories import StoreHandle, make_staff
from tests.stores import conftest as accounts
from tests.web.test_console_loyalty import enrolled, give, person

pytestmark = pytest.mark.e2e
smtp_peer = accounts.smtp_peer  # the real SMTP peer on 127.0.0.1


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def settings(settings: Settings, smtp_peer: accounts.MailPeer) -> Settings:
    """This install's outbound mail goes to the SMTP peer; its webhooks may reach loopback."""
    return accounts.mailing_settings(settings, smtp_peer).model_copy(update={"allow_private_network": True})


def midday_zone(now: datetime) -> str:
    """A zone whose local time is about noon at ``now`` (``Etc/GMT-5`` is UTC+5)."""
    offset = (12 - now.hour + 12) % 24 - 12  # -12..+11
    return f"Etc/GMT{-offset:+d}" if offset else "UTC"


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
    receiver: Receiver,
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    grace = person(db, store, "g", "Grace", "Hopper", "grace@example.com")
    give(db, store, enrolled(db, store, grace), 1_250, "welcome")
    now = clock.now()
    in_30_days = now.astimezone(ZoneInfo("Europe/Amsterdam")).date() + timedelta(days=30)

    def expiring_in_30_days(uow: UnitOfWork) -> None:
        expiry = datetime.combine(in_30_days, time(12), ZoneInfo("Europe/Amsterdam"))
        uow.session.execute(update(PointLot).values(expires_at=expiry))
        uow.session.execute(
            update(Customer)
            .where(Customer.id == grace)
            .values(marketing_consent=True, timezone=midday_zone(now))
        )

    db.write(expiring_in_30_days)
    # The store's backend listens for what journeys send.
    endpoint = httpx.post(
        f"{live_server}/api/v1/webhooks",
        json={"url": receiver.url, "event_types": ["journey.message_sent"]},
        headers=store.auth,
    )
    assert endpoint.status_code == 201, endpoint.text
    receiver.secret = endpoint.json()["secret"]

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
    assert "1,250 of your points" in html_of(message)
    assert f"{in_30_days.day} {in_30_days:%b %Y}" in html_of(message)
    unsubscribe = re.search(r"<(https?://[^>]+/u/[^>]+)>", str(message["List-Unsubscribe"]))
    assert unsubscribe is not None
    assert str(message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    engine_pass(db)
    assert len(smtp_peer.received) == 1  # sent once, however often the jobs run

    # The store's webhook hears of it, signed: the reference library verifies the delivery.
    assert deliver(db) == 1
    [got] = receiver.received
    assert not isinstance(got.verified, Exception), got.verified
    assert got.verified["type"] == "journey.message_sent"
    assert got.verified["customer_id"] == grace and got.verified["data"]["channel"] == "email"

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
