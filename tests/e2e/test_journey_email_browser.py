"""A journeys email, rendered as it is sent (through a real SMTP peer), opened in a real browser at a
phone's width: no horizontal scrolling at 375 px, and a screenshot to look at."""

from __future__ import annotations

import email
from email.policy import default as default_policy
from pathlib import Path

import pytest

from loyaldesk.channels.email.journey_mail import JourneyEmailAdapter
from loyaldesk.journeys import (
    Channel,
    DeliveryStatus,
    MessageCategory,
    OutgoingMessage,
    Recipient,
    render_message,
)
from loyaldesk.journeys.default_templates import default_templates
from loyaldesk.journeys.models import MessageTemplate
from loyaldesk.settings import Settings
from tests.e2e.conftest import SCREENSHOTS
from tests.journeys.helpers import brand, links
from tests.stores import conftest as accounts

pytestmark = pytest.mark.e2e
smtp_peer = accounts.smtp_peer  # the real SMTP peer on 127.0.0.1 (tests/stores/conftest.py)


def test_the_email_reads_at_phone_width_without_scrolling(
    browser,
    tmp_path: Path,
    smtp_peer,  # type: ignore[no-untyped-def]
) -> None:
    default = default_templates("en")["points_expiring_7"]
    template = MessageTemplate(
        key=default.key, channel="email", name=default.name, subject=default.subject,
        preheader=default.preheader, body=default.body, button_label=default.button_label,
        button_url=default.button_url, mjml=None,
    )  # fmt: skip
    values = {
        "first_name": "Emma", "expiring_points": "300", "expiring_on": "30 Apr 2026", "points": "1,250",
        "member_url": "https://desk.example/m/juniper", "store_name": "Juniper & Co",
    }  # fmt: skip
    rendered = render_message(
        template, Channel.EMAIL, values, brand(), links(), store_name="Juniper & Co", language="en",
        marketing=True,
    )  # fmt: skip
    adapter = JourneyEmailAdapter(smtp_peer.transport, Settings(data_dir=tmp_path))
    result = adapter.deliver(
        OutgoingMessage(
            store_id=1, send_id=42, idempotency_key="e2e-1", channel=Channel.EMAIL,
            category=MessageCategory.MARKETING, recipient=Recipient(7, "emma@example.com", "Emma"),
            subject=rendered.subject, text=rendered.text, html=rendered.html, headers=rendered.headers,
            sender_name="Juniper & Co", sender_email="news@juniper.example",
        )
    )  # fmt: skip
    assert result.status is DeliveryStatus.SENT
    [(_sender, _rcpt, message)] = smtp_peer.received
    received = email.message_from_bytes(message.as_bytes(), policy=default_policy)
    html = received.get_body(("html",)).get_content()
    context = browser.new_context(viewport={"width": 375, "height": 800})
    try:
        page = context.new_page()
        page.route("**/*", lambda route: route.abort())  # no pixel, no remote images: the mail as it is
        page.set_content(html)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"the email scrolls sideways at 375 px: {width} px wide"
        assert page.get_by_text("Use my points").is_visible()
        assert page.get_by_text("Unsubscribe").is_visible()
        folder = SCREENSHOTS or tmp_path
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / "journey-email-375.png"), full_page=True)
    finally:
        context.close()
