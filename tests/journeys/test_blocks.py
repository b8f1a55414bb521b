"""Blocks below a message's body: a survey's first question as one link per answer in an email (HTML and
text), and its link at the end of an SMS, never cut."""

from __future__ import annotations

import html

from loyaldesk.journeys import Channel, render_message
from tests.journeys.helpers import brand, email_template, links

BLOCK = {
    "kind": "choices",
    "question": "How likely are you to recommend us?",
    "low": "Not likely",
    "high": "Very likely",
    "options": [
        {"label": str(v), "title": f"{v}", "url": f"https://desk.example/s/acme/tok?a={v}"} for v in range(11)
    ],
    "url": "https://desk.example/s/acme/tok",
}


def test_an_email_carries_the_question_as_one_link_per_answer_in_both_parts() -> None:
    message = render_message(
        email_template(body="Hi {{ first_name | there }}"),
        Channel.EMAIL,
        {"first_name": "Emma"},
        brand(),
        links(),
        store_name="Acme",
        language="en",
        marketing=False,
        blocks=[BLOCK],
    )
    page = html.unescape(message.html or "")
    for value in range(11):
        assert f'href="https://desk.example/s/acme/tok?a={value}"' in page
    assert "How likely are you to recommend us?" in page and "Not likely" in page and "Very likely" in page
    assert 'href="https://desk.example/s/acme/tok"' in page and "Open the survey" in page
    assert "10: https://desk.example/s/acme/tok?a=10" in message.text
    assert "/t/c/" not in page  # not marketing: links are not rewritten for tracking


def test_the_german_email_says_open_the_survey_in_german() -> None:
    message = render_message(
        email_template(body="Hallo"),
        Channel.EMAIL,
        {},
        brand(),
        links(),
        store_name="Acme",
        language="de",
        marketing=False,
        blocks=[BLOCK],
    )
    assert (
        "Zur Umfrage" in (message.html or "")
        and "Zur Umfrage: https://desk.example/s/acme/tok" in message.text
    )


def test_an_sms_ends_with_the_surveys_link_however_long_the_text() -> None:
    template = email_template(channel="sms", subject="", body="How did we do? " + "Really, tell us. " * 40)
    message = render_message(
        template,
        Channel.SMS,
        {},
        brand(),
        links(),
        store_name="Acme",
        language="en",
        marketing=False,
        blocks=[BLOCK],
    )
    assert message.text.endswith(" https://desk.example/s/acme/tok")
    assert len(message.text) <= 2 * 153
