"""Acting on what customers say, in a real browser: (a) a detractor's answer about delivery makes a
conversation appear in the delivery team's inbox, where an agent of that team finds it (high priority,
its SLA shown), and not in another team's; (b) a manager marks the delivery theme fixed in the console,
seeing beforehand who will be told, and the customer's "we fixed it" email arrives through a real SMTP
peer (aiosmtpd) by journeys' own jobs, while the customer who opted out gets nothing.

The clock is a fake one set to the real time, and the customers live where it is midday now, so that a
feedback message may go at once (it waits for waking hours)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from loyaldesk.customers import Customer
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database, UnitOfWork
from loyaldesk.kernel.dispatcher import dispatch_until_idle
from loyaldesk.settings import Settings
from loyaldesk.support import save_team, set_agent_teams
from tests.e2e.conftest import screenshot
from tests.e2e.test_journey_proof_browser import engine_pass, html_of, midday_zone, run_job
from tests.factories import TEST_PASSWORD, StoreHandle, make_staff
from tests.feedback.test_close_loop import opt_out, raised
from tests.feedback.test_detractors import answer, invite, make_customer, make_survey, make_theme, tag
from tests.stores import conftest as accounts

pytestmark = pytest.mark.e2e
smtp_peer = accounts.smtp_peer  # the real SMTP peer on 127.0.0.1


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def settings(settings: Settings, smtp_peer: accounts.MailPeer) -> Settings:
    return accounts.mailing_settings(settings, smtp_peer)


def log_in(page, live_server: str, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/console/acme/**")


def staff_id(db: Database, email: str) -> int:
    from sqlalchemy import select

    from loyaldesk.stores.models import StaffAccount

    with db.read() as session:
        return int(session.scalar(select(StaffAccount.id).where(StaffAccount.email == email)) or 0)


def test_a_detractor_answer_reaches_the_delivery_teams_inbox(
    live_server: str,
    page,
    db: Database,
    store: StoreHandle,
    password_hash: str,
    clock: FakeClock,  # type: ignore[no-untyped-def]
) -> None:
    delivery_team = db.write(save_team, store.actor, store.id, name="Delivery").id
    pricing_team = db.write(save_team, store.actor, store.id, name="Pricing").id
    agent = make_staff(db, store, "agent", password_hash)
    db.write(set_agent_teams, store.actor, store.id, staff_id(db, agent), [delivery_team])
    delivery = make_theme(db, store, "delivery", delivery_team)
    make_theme(db, store, "price", pricing_team)
    survey = make_survey(db, store, name="How are we doing?")
    emma = make_customer(db, store, "emma", last_name="Stone")
    # Emma gives a 2 and says why; the classifier (another part) tags it "delivery".
    response = answer(
        db, invite(db, store, survey, emma), {"score": 2, "why": "The parcel came a week late."}
    )
    tag(db, response, delivery, confidence=0.9)
    dispatch_until_idle(db)
    clock.advance(timedelta(seconds=10))
    assert run_job("feedback.open_detractor_conversations", db) == 1
    dispatch_until_idle(db)

    log_in(page, live_server, agent)
    page.goto(f"{live_server}/console/acme/inbox?status=active")
    page.get_by_label("Team").select_option(label="Delivery")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(rf".*team={delivery_team}.*"))
    row = page.locator("[data-conversation-list]").get_by_role("link", name=re.compile("Emma Stone"))
    expect(row).to_have_count(1)
    expect(row).to_contain_text("high")
    expect(row).to_contain_text("SLA due")
    expect(row).to_contain_text("The parcel came a week late.")
    screenshot(page, "feedback-detractor-inbox")
    row.click()
    expect(page.locator("main")).to_contain_text("Detractor: How are we doing?: 2/10")
    # The pricing team's view does not have it.
    page.goto(f"{live_server}/console/acme/inbox?status=active&team={pricing_team}")
    expect(
        page.locator("[data-conversation-list]").get_by_role("link", name=re.compile("Emma Stone"))
    ).to_have_count(0)


def test_a_manager_marks_a_theme_fixed_and_the_email_arrives(
    live_server: str,
    page,  # type: ignore[no-untyped-def]
    db: Database,
    store: StoreHandle,
    password_hash: str,
    smtp_peer: accounts.MailPeer,
    clock: FakeClock,
) -> None:
    survey = make_survey(db, store)
    delivery = make_theme(db, store, "delivery")
    grace = make_customer(db, store, "grace", email="grace@example.com")
    linus = make_customer(db, store, "linus", email="linus@example.com")
    raised(db, store, survey, grace, delivery)
    raised(db, store, survey, linus, delivery)
    opt_out(db, store, linus)

    def at_midday(uow: UnitOfWork) -> None:
        uow.session.execute(update(Customer).values(timezone=midday_zone(clock.now())))

    db.write(at_midday)
    log_in(page, live_server, make_staff(db, store, "admin", password_hash))
    page.goto(f"{live_server}/console/acme/feedback/themes/{delivery}/fix")
    expect(page.locator("[data-audience]")).to_contain_text("1 customer will be told; 1 opted out of email")
    page.get_by_label("What was fixed").fill("Parcels now leave our warehouse the same day.")
    screenshot(page, "feedback-fix-theme")
    page.get_by_role("button", name=re.compile("Mark fixed and tell 1 customer")).click()
    page.wait_for_url(re.compile(r".*/feedback/closures/\d+\?done=1"))
    expect(page.get_by_role("status")).to_contain_text("Marked fixed")
    expect(page.locator("table")).to_contain_text("Grace")

    engine_pass(db)
    assert len(smtp_peer.received) == 1
    _sender, recipients, message = smtp_peer.received[0]
    assert recipients == ["grace@example.com"]
    assert str(message["Subject"]) == "You told us, we fixed it"
    assert "Parcels now leave our warehouse the same day." in html_of(message)
    engine_pass(db)
    assert len(smtp_peer.received) == 1  # once, however often the jobs run
    page.reload()
    expect(page.locator('[data-send-status="sent"]')).to_have_count(1)
    expect(page.locator('[data-send-status="suppressed"]')).to_have_count(1)
    screenshot(page, "feedback-closure")
    assert run_job("journeys.deliver", db) == 0
