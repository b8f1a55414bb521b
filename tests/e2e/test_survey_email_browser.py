"""The survey proof in a real browser: a customer is asked an NPS survey (``feedback.ask_customer``); the
journeys deliver job mails the invitation through a real SMTP peer (aiosmtpd); the test reads the email,
follows its link for 9 in Chromium; the survey page shows 9 chosen and recorded (the database holds a
partial answer with score 9); the shopper answers the question that 9 brings up and a comment, sends,
reads the thank-you in their language, and the answer is complete.

The clock is a fake one set to the real time, and the shopper lives where it is midday now, so that the
feedback message (which waits for waking hours) may go at once."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from loyaldesk.customers import Customer, CustomerProfile, upsert_customer
from loyaldesk.feedback import SurveyInvitation, SurveyResponse, ask_customer
from loyaldesk.feedback.actions.surveys import create_survey, set_survey_status
from loyaldesk.feedback.schemas import SurveyIn
from loyaldesk.feedback.vocab import SurveyChannel, SurveyKind, SurveyStatus
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database, UnitOfWork
from loyaldesk.kernel.dispatcher import dispatch_until_idle
from loyaldesk.settings import Settings
from tests.e2e.conftest import screenshot
from tests.e2e.test_journey_proof_browser import html_of, midday_zone, run_job
from tests.factories import StoreHandle
from tests.stores import conftest as accounts
from tests.web.survey_fixtures import NPS_QUESTIONS

pytestmark = pytest.mark.e2e
smtp_peer = accounts.smtp_peer  # the real SMTP peer on 127.0.0.1


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def settings(settings: Settings, smtp_peer: accounts.MailPeer) -> Settings:
    return accounts.mailing_settings(settings, smtp_peer)


def test_a_shopper_answers_the_first_question_in_the_email_and_the_rest_on_the_page(
    live_server: str,
    page,  # type: ignore[no-untyped-def]
    db: Database,
    store: StoreHandle,
    smtp_peer: accounts.MailPeer,
    clock: FakeClock,
) -> None:
    profile = CustomerProfile(first_name="Grace", email="grace@example.com", locale="de")
    grace = db.write(upsert_customer, store.actor, store.id, "g-1", profile).customer.id
    db.write(
        lambda uow: uow.session.execute(
            update(Customer).where(Customer.id == grace).values(timezone=midday_zone(clock.now()))
        )
    )

    def a_survey(uow: UnitOfWork) -> int:
        data = SurveyIn(
            name="How are we doing?",
            kind=SurveyKind.NPS,
            languages=["en", "de"],
            questions=NPS_QUESTIONS,
            trigger={"kind": "api"},
            channel=SurveyChannel.EMAIL,
        )
        survey = create_survey(uow, store.actor, store.id, data)
        set_survey_status(uow, store.actor, store.id, survey.id, SurveyStatus.ACTIVE)
        return survey.id

    survey_id = db.write(a_survey)

    def ask(uow: UnitOfWork) -> int:
        result = ask_customer(
            uow,
            store_id=store.id,
            survey_id=survey_id,
            customer_id=grace,
            channel=SurveyChannel.EMAIL,
            context={},
            key="e2e-survey",
            base_url=live_server,
        )
        assert result.invitation is not None, result.reason
        return result.invitation.id

    invitation_id = db.write(ask)
    dispatch_until_idle(db)
    run_job("journeys.deliver", db)
    assert len(smtp_peer.received) == 1
    _sender, recipients, message = smtp_peer.received[0]
    assert recipients == ["grace@example.com"]
    html = html_of(message)
    assert "Wie wahrscheinlich empfehlen Sie uns?" in html  # the first question, in her language
    by_answer = {label: url for url, label in re.findall(r'<a href="([^"]+)"[^>]*>(\d+)</a>', html)}
    assert set(by_answer) == {str(n) for n in range(11)}
    nine = by_answer["9"].replace("&amp;", "&")
    assert nine.startswith(live_server) and nine.endswith("?a=9")

    # Her click on 9: the page shows it chosen and says it is recorded; the database has it.
    page.goto(nine)
    status = page.locator("#survey-status")
    expect(status).to_contain_text("Ihre Antwort 9 ist gespeichert")
    assert page.get_by_role("radio", name="9").is_checked()
    with db.read() as session:
        response = session.scalar(select(SurveyResponse).where(SurveyResponse.invitation_id == invitation_id))
        assert response is not None and response.score == 9 and response.complete is False
        assert session.get(SurveyInvitation, invitation_id).status == "partial"  # type: ignore[union-attr]
    screenshot(page, "survey-page-from-email")
    # On a phone: nothing wider than the screen, every answer still a big enough target.
    page.set_viewport_size({"width": 375, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert page.locator(".survey-point span").first.bounding_box()["height"] >= 44  # type: ignore[index]
    page.set_viewport_size({"width": 1360, "height": 900})

    # 9 brings up "what did you like" (not "what went wrong"); she answers it and leaves a comment.
    expect(page.get_by_role("group", name=re.compile("Was hat Ihnen gefallen"))).to_be_visible()
    expect(page.get_by_role("group", name=re.compile("Was lief schief"))).to_be_hidden()
    page.get_by_text("Die Geschwindigkeit").click()
    page.get_by_label("Noch etwas?").fill("Schnelle Lieferung, danke!")
    page.get_by_role("button", name="Antworten senden").click()
    expect(page.get_by_role("heading", name="Vielen Dank!")).to_be_visible()
    screenshot(page, "survey-thank-you")
    with db.read() as session:
        response = session.scalar(select(SurveyResponse).where(SurveyResponse.invitation_id == invitation_id))
        assert response is not None and response.complete and response.bucket == "promoter"
        assert response.answers == {"score": 9, "liked": ["speed"], "comment": "Schnelle Lieferung, danke!"}
        assert response.language == "de" and response.channel == "email"
        assert session.get(SurveyInvitation, invitation_id).status == "answered"  # type: ignore[union-attr]


def test_a_signed_in_shopper_answers_in_the_chat_widget(
    live_server: str,
    page,  # type: ignore[no-untyped-def]
    db: Database,
    store: StoreHandle,
) -> None:
    """The widget's survey card: the first question, then the one the answer brings up; answered
    without leaving the page."""
    from loyaldesk.stores import shopper_signature, store_by_id
    from tests.web.survey_fixtures import invite, make_customer, make_survey

    customer = make_customer(db, store, "w-1")
    invitation_id, _token = invite(db, store, make_survey(db, store), customer, channel="widget")
    with db.read() as session:
        secret = store_by_id(session, store.id).identity_secret
    signature = shopper_signature(secret, "w-1")
    page.goto(f"{live_server}/widget/{store.slug}/demo-shop?customer=w-1&signature={signature}")
    page.get_by_role("button", name="Chat with us").click()
    card = page.locator(".ldw-survey")
    expect(card.get_by_text("How likely are you to recommend us?")).to_be_visible()
    card.get_by_role("button", name="3", exact=True).click()
    expect(card.get_by_text("What went wrong?")).to_be_visible()
    screenshot(page, "survey-widget-card")
    card.get_by_role("button", name="Delivery").click()
    expect(card.get_by_text("Anything else?")).to_be_visible()
    card.get_by_role("textbox").fill("The parcel came late")
    card.get_by_role("button", name="Send").click()
    expect(card.get_by_text("Thank you for your answers!")).to_be_visible()
    with db.read() as session:
        response = session.scalar(select(SurveyResponse).where(SurveyResponse.invitation_id == invitation_id))
        assert response is not None and response.complete and response.bucket == "detractor"
        assert response.answers == {"score": 3, "why_low": "delivery", "comment": "The parcel came late"}
