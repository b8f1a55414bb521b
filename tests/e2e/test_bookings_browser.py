"""Expert sessions in a real browser: a shopper in Paris (the browser's zone, detected by the page) books
a styling session with points on the member page (hold -> confirm with the hold's countdown), gets the
invitation email with its ``.ics`` through a real SMTP peer (the journeys deliver job, aiosmtpd), tries to
cancel a session inside the cancellation window and is refused with the reason, cancels the other one
outside it and sees the points come back; a waitlisted shopper, in another browser, is offered the freed
slot and takes it. Then the agent's day view in the console.

The clock is a fake one set to the real time (the page counts the hold down with the browser's clock),
and the shoppers live where it is midday now, so that mail may go at once."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from loyaldesk.customers import Customer, CustomerProfile, upsert_customer
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.dispatcher import dispatch_until_idle
from loyaldesk.loyalty import check_ledger
from loyaldesk.settings import Settings
from tests.e2e.conftest import screenshot
from tests.e2e.test_journey_proof_browser import midday_zone, run_job
from tests.factories import StoreHandle
from tests.stores import conftest as accounts
from tests.web.bookings_fixtures import Salon, make_salon

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
smtp_peer = accounts.smtp_peer  # the real SMTP peer on 127.0.0.1


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def settings(settings: Settings, smtp_peer: accounts.MailPeer) -> Settings:
    return accounts.mailing_settings(settings, smtp_peer)


def _slots(live_server: str, salon: Salon, days: int = 7) -> list[str]:
    """Every free start (UTC, as the page's buttons carry them) for the next ``days`` days."""
    response = httpx.get(
        f"{live_server}/member-api/v1/{salon.store.slug}/bookings/session-types/{salon.styling_id}/slots",
        params={"time_zone": "Europe/Paris", "days": days},
        headers=salon.identity("m-1"),
    )
    assert response.status_code == 200, response.text
    return [slot["starts_at"] for day in response.json()["days"] for slot in day["slots"]]


def _calendar_of(message: EmailMessage) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            return str(part.get_content())
    raise AssertionError(f"no text/calendar part in {[p.get_content_type() for p in message.walk()]}")


def _deliver(db: Database) -> None:
    for _ in range(2):
        dispatch_until_idle(db)
        run_job("journeys.run_due", db)
        run_job("journeys.deliver", db)


def test_a_shopper_books_with_points_cancels_and_the_waitlist_takes_the_slot(
    live_server: str,
    browser,  # type: ignore[no-untyped-def]
    db: Database,
    store: StoreHandle,
    password_hash: str,
    smtp_peer: accounts.MailPeer,
    clock: FakeClock,
) -> None:
    for external_id, name in (("m-1", "Grace"), ("m-2", "Ada")):
        profile = CustomerProfile(first_name=name, email=f"{name.lower()}@example.com")
        db.write(upsert_customer, store.actor, store.id, external_id, profile)
    db.write(
        lambda uow: uow.session.execute(
            update(Customer).where(Customer.store_id == store.id).values(timezone=midday_zone(clock.now()))
        )
    )
    every_day = {day: [("07:00", "21:00")] for day in range(7)}  # some start within 2 to 24 hours
    salon = make_salon(
        db, store, password_hash, schedule={"weekly_hours": every_day, "minimum_notice_minutes": 0}
    )
    starts = _slots(live_server, salon)
    now = clock.now()
    soon = next(s for s in starts if datetime.fromisoformat(s) > now + timedelta(hours=2))  # inside 24 hours
    later = next(s for s in starts if datetime.fromisoformat(s) > now + timedelta(days=3))  # outside

    context = browser.new_context(
        viewport={"width": 1360, "height": 900}, timezone_id="Europe/Paris", locale="en-GB"
    )
    grace = context.new_page()
    grace.set_default_timeout(10_000)
    errors: list[str] = []
    grace.on("pageerror", lambda error: errors.append(str(error)))
    query = "&".join(f"{k}={v}" for k, v in salon.query("m-1").items())
    grace.goto(f"{live_server}/m/{store.slug}/sessions?{query}")
    expect(grace.get_by_label("Times are shown in your time zone")).to_have_value("Europe/Paris")
    balance = grace.get_by_test_id("balance")
    expect(balance).to_have_text("500")
    expect(grace.get_by_test_id("price-styling")).to_contain_text("100 points")

    # Book the later session: hold (the countdown runs), then confirm.
    grace.get_by_role("button", name="See free times").click()
    grace.locator(f'[data-starts-at="{later}"]').click()
    expect(grace.locator("#hold-countdown")).to_contain_text(re.compile(r"Held for (9|10):\d\d more"))
    grace.get_by_role("button", name="Confirm booking (100 points)").click()
    expect(grace.locator("#sessions-status")).to_contain_text("Booked: Styling session")
    expect(balance).to_have_text("400")
    screenshot(grace, "member-sessions")

    # The invitation, by email, with the session in its calendar file.
    _deliver(db)
    invitations = [message for _sender, to, message in smtp_peer.received if to == ["grace@example.com"]]
    assert invitations, [to for _s, to, _m in smtp_peer.received]
    calendar = _calendar_of(invitations[0])
    later_utc = datetime.fromisoformat(later).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    assert "BEGIN:VEVENT" in calendar and later_utc in calendar and "Styling session" in calendar

    # The soon session: booked, then a cancel inside the window is refused with the deadline.
    grace.get_by_role("button", name="See free times").click()
    grace.locator(f'[data-starts-at="{soon}"]').click()
    grace.get_by_role("button", name="Confirm booking (100 points)").click()
    expect(balance).to_have_text("300")
    soon_item = grace.locator(".my-session", has=grace.locator("[data-cancel]")).filter(
        has_text="Cancellation closed"
    )
    expect(soon_item).to_have_count(1)
    soon_item.get_by_role("button", name="Cancel session").click()
    expect(grace.locator("#sessions-error")).to_contain_text(re.compile("cancel", re.IGNORECASE))
    expect(balance).to_have_text("300")

    # Ada waits for a slot in the coming week (her own browser).
    ada_context = browser.new_context(viewport={"width": 1360, "height": 900}, timezone_id="Europe/Paris")
    ada = ada_context.new_page()
    ada.set_default_timeout(10_000)
    ada.on("pageerror", lambda error: errors.append(str(error)))
    ada_query = "&".join(f"{k}={v}" for k, v in salon.query("m-2").items())
    ada.goto(f"{live_server}/m/{store.slug}/sessions?{ada_query}")
    ada.get_by_role("button", name="See free times").click()
    ada.get_by_text("No time suits you? Join the waitlist").click()
    ada.get_by_role("button", name="Join the waitlist").click()
    expect(ada.locator("#sessions-status")).to_contain_text("You are on the waitlist")

    # Outside the window: cancelled and refunded.
    later_item = grace.locator(".my-session").filter(has_text="Free cancellation until")
    later_item.get_by_role("button", name="Cancel session").click()
    expect(grace.locator("#sessions-status")).to_contain_text("Cancelled. 100 points were refunded.")
    expect(balance).to_have_text("400")

    # The freed slot is offered to Ada; she takes it (and pays for it).
    _deliver(db)
    ada.reload()
    offer = ada.locator("[data-waitlist]").filter(has_text="A slot freed up")
    expect(offer).to_have_count(1)
    offer.get_by_role("button", name="Take this slot").click()
    expect(ada.locator("#sessions-status")).to_contain_text("Booked: Styling session")
    expect(ada.get_by_test_id("balance")).to_have_text("400")
    ada_context.close()
    context.close()
    assert errors == [], errors
    with db.read() as session:
        assert check_ledger(session) == []


def test_the_agents_day_view(
    live_server: str,
    page,  # type: ignore[no-untyped-def]
    db: Database,
    store: StoreHandle,
    password_hash: str,
    clock: FakeClock,
) -> None:
    for external_id, first, last in (("m-1", "Grace", "Hopper"), ("m-2", "Ada", "Lovelace")):
        profile = CustomerProfile(first_name=first, last_name=last, email=f"{first.lower()}@example.com")
        db.write(upsert_customer, store.actor, store.id, external_id, profile)
    every_day = {day: [("07:00", "19:00")] for day in range(7)}
    salon = make_salon(
        db, store, password_hash, schedule={"weekly_hours": every_day, "minimum_notice_minutes": 0}
    )
    starts = _slots(live_server, salon, days=7)
    tomorrow = (clock.now() + timedelta(days=1)).date()
    chosen = [s for s in starts if datetime.fromisoformat(s).astimezone(UTC).date() == tomorrow][:2]
    api = f"{live_server}/member-api/v1/{store.slug}/bookings"
    for who, starts_at in zip(("m-1", "m-2"), chosen, strict=True):
        held = httpx.post(
            api + "/holds",
            json={"session_type_id": salon.styling_id, "starts_at": starts_at},
            headers=salon.identity(who),
        )
        assert held.status_code == 201, held.text
        assert (
            httpx.post(f"{api}/{held.json()['id']}/confirm", headers=salon.identity(who)).status_code == 200
        )
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(salon.expert_email)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/console/.*"))
    page.get_by_role("link", name="Bookings").click()
    page.get_by_label("Day", exact=True).fill(tomorrow.isoformat())
    page.get_by_role("button", name="Show").click()
    rows = page.get_by_test_id("day-sessions").locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Styling session")
    screenshot(page, "console-bookings-day")
    rows.nth(1).get_by_role("button", name=re.compile("^Cancel")).click()
    expect(page.get_by_role("status")).to_contain_text("Cancelled")
    expect(page.locator('[data-status="cancelled"]')).to_have_count(1)


def test_the_widget_greets_a_signed_in_member_with_a_link_to_expert_sessions(
    live_server: str,
    page,  # type: ignore[no-untyped-def]
    db: Database,
    store: StoreHandle,
    password_hash: str,
) -> None:
    salon = make_salon(db, store, password_hash)
    identity = salon.query("m-1")
    page.goto(
        f"{live_server}/widget/{store.slug}/demo-shop?customer={identity['customer']}&signature={identity['signature']}"
    )
    page.get_by_role("button", name="Chat with us").click()
    link = page.get_by_role("link", name="Book a session with an expert")
    expect(link).to_be_visible()
    href = link.get_attribute("href") or ""
    assert href.startswith(f"{live_server}/m/{store.slug}/sessions?customer=m-1&signature=")
    page.goto(href)
    expect(page.get_by_role("heading", name="Expert sessions", level=1)).to_be_visible()
    expect(page.get_by_test_id("balance")).to_have_text("500")


def test_a_shopper_moves_a_session_to_another_time(
    live_server: str,
    page,  # type: ignore[no-untyped-def]
    db: Database,
    store: StoreHandle,
    password_hash: str,
    clock: FakeClock,
) -> None:
    every_day = {day: [("07:00", "21:00")] for day in range(7)}
    salon = make_salon(
        db, store, password_hash, schedule={"weekly_hours": every_day, "minimum_notice_minutes": 0}
    )
    starts = [
        s for s in _slots(live_server, salon) if datetime.fromisoformat(s) > clock.now() + timedelta(days=2)
    ]
    first, second = starts[0], starts[3]
    api = f"{live_server}/member-api/v1/{store.slug}/bookings"
    held = httpx.post(
        api + "/holds",
        json={"session_type_id": salon.styling_id, "starts_at": first},
        headers=salon.identity("m-1"),
    )
    assert httpx.post(f"{api}/{held.json()['id']}/confirm", headers=salon.identity("m-1")).status_code == 200

    query = "&".join(f"{k}={v}" for k, v in salon.query("m-1").items())
    page.goto(f"{live_server}/m/{store.slug}/sessions?{query}")
    expect(page.get_by_test_id("balance")).to_have_text("400")
    page.get_by_role("button", name="Reschedule").click()
    page.locator(f'[data-starts-at="{second}"]').click()
    page.get_by_role("button", name=re.compile("^Move my session to")).click()
    expect(page.locator("#sessions-status")).to_contain_text("Moved to")
    expect(page.locator(".my-session[data-status=confirmed]")).to_have_count(1)
    expect(page.get_by_test_id("balance")).to_have_text("400")  # carried over, not charged again
    mine = httpx.get(api, headers=salon.identity("m-1")).json()["bookings"]
    live = [booking for booking in mine if booking["status"] == "confirmed"]
    assert [booking["starts_at"] for booking in live] == [second]
