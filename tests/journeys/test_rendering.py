"""Rendering journeys' messages (``journeys.render_message``) and the signed links in them: variables
filled and escaped, staff HTML sanitised, the plain-text part, tracking and List-Unsubscribe for marketing
only, the MJML override, short channels; and the default templates, valid in every shipped language."""

from __future__ import annotations

import re
import time

import pytest

from loyaldesk.journeys import Channel, LinkKind, read_link_token, render_message
from loyaldesk.journeys.actions.templates import check_template
from loyaldesk.journeys.default_templates import EMAIL_KEYS, KEYS, default_templates
from loyaldesk.kernel.i18n import LANGUAGES
from tests.journeys.helpers import SECRET, VALUES, brand, email_template, links


def tags_of(document: str) -> set[str]:
    from html.parser import HTMLParser

    found: set[str] = set()

    class Tags(HTMLParser):
        def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
            found.add(tag)

    Tags().feed(document)
    return found


def render(template=None, channel=Channel.EMAIL, marketing=True, language="en", **values):  # type: ignore[no-untyped-def]
    return render_message(
        template or email_template(),
        channel,
        {**VALUES, **values},
        brand(),
        links(),
        store_name="Acme & Co",
        language=language,
        marketing=marketing,
    )


def test_variables_are_filled_and_escaped_in_the_html_and_plain_in_the_text() -> None:
    message = render()
    assert message.subject == "<Bob & *Al*>, 120 points expire on 3 Mar 2026"
    assert "<strong>&lt;Bob &amp; *Al*&gt;</strong>" in message.html
    assert "bob" not in tags_of(message.html)  # a value never becomes markup
    assert "Hi <Bob & *Al*>," in message.text
    assert "Use them by 3 Mar 2026" in message.html  # the preheader
    assert "Acme &amp; Co" in message.html and "10115 Berlin" in message.html  # the footer
    fallback = render(first_name="")
    assert fallback.subject.startswith("Hi, 120 points") and "Hi <strong>there</strong>" in fallback.html


def test_staff_html_is_sanitised() -> None:
    body = 'Hello <b onclick="steal()">you</b> <script>alert(1)</script> [x](javascript:alert(1))'
    message = render(email_template(body=body))
    assert "<b>you</b>" in message.html
    assert "script" not in tags_of(message.html)
    assert "onclick" not in message.html and 'href="javascript' not in message.html
    assert "alert(1) " not in message.text and "Hello you" in message.text  # the script's text dropped


def test_the_plain_text_part_has_links_as_text_and_url_and_ends_with_the_unsubscribe_link() -> None:
    message = render()
    assert "your page (https://desk.example/m/acme)" in message.text
    assert "the shop (https://shop.example/?a=1&b=2)" in message.text
    assert "- one\n- two" in message.text
    assert "Spend 500 points: https://desk.example/m/acme" in message.text
    assert message.text.rstrip().endswith(links().unsubscribe_url)


def test_marketing_email_is_tracked_and_carries_one_click_unsubscribe() -> None:
    message = render(marketing=True)
    assert message.headers == {
        "List-Unsubscribe": f"<{links().unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    hrefs = [href.replace("&amp;", "&") for href in re.findall(r'href="([^"]*)"', message.html)]
    clicks = [read_link_token(SECRET, href.rsplit("/", 1)[1]) for href in hrefs if "/t/c/" in href]
    assert {claims.url for claims in clicks if claims} == {
        "https://desk.example/m/acme",
        "https://shop.example/?a=1&b=2",
    }
    assert all(claims and claims.kind is LinkKind.CLICK and claims.send_id == 42 for claims in clicks)
    # The unsubscribe and preference links are never sent through the click redirect.
    assert links().unsubscribe_url in hrefs and links().preferences_url in hrefs
    assert links().open_url in message.html  # the open pixel


def test_transactional_email_has_no_tracking_and_no_list_unsubscribe() -> None:
    message = render(marketing=False)
    assert message.headers == {}
    assert "/t/c/" not in message.html and "/t/o/" not in message.html
    assert 'href="https://shop.example/?a=1&amp;b=2"' in message.html


def test_the_footer_follows_the_language() -> None:
    message = render(language="de")
    assert "Abmelden" in message.html and "Nachrichteneinstellungen" in message.html
    assert 'lang="de"' in message.html


def test_an_mjml_override_is_compiled_with_its_variables_escaped() -> None:
    mjml = (
        "<mjml><mj-body><mj-section><mj-column><mj-text>Dear {{ first_name }}</mj-text>"
        '<mj-button href="{{ member_url }}">Go</mj-button>'
        '<mj-text><a href="{{ unsubscribe_url }}">Leave</a></mj-text>'
        "</mj-column></mj-section></mj-body></mjml>"
    )
    message = render(email_template(mjml=mjml, body=""), marketing=False)
    assert "Dear &lt;Bob &amp; *Al*&gt;" in message.html
    assert 'href="https://desk.example/m/acme"' in message.html
    assert "Dear <Bob & *Al*>" in message.text and links().unsubscribe_url in message.text


def test_sms_gets_the_opt_out_line_for_marketing_and_is_cut_to_two_segments() -> None:
    sms = email_template(channel="sms", body="{{ first_name | Hi }}, points expire {{ expiring_on }}.")
    assert render(sms, Channel.SMS).text.endswith(" Reply STOP to opt out.")
    assert "STOP" not in render(sms, Channel.SMS, marketing=False).text
    assert render(sms, Channel.SMS, language="de").text.endswith("Antworten Sie mit STOP.")
    long = render(email_template(channel="sms", body="word " * 200), Channel.SMS)
    assert len(long.text) <= 306 and long.text.endswith("Reply STOP to opt out.") and "…" in long.text
    push = render(email_template(channel="push", subject="Your cart", body="x " * 300), Channel.PUSH)
    assert push.subject == "Your cart" and len(push.text) <= 240 and push.html is None


def test_rendering_takes_well_under_50_ms() -> None:
    render()  # the frame compiled once
    started = time.perf_counter()
    for number in range(50):
        render(points=str(number))
    per_message = (time.perf_counter() - started) / 50
    assert per_message < 0.05, f"{per_message * 1000:.1f} ms per message"


def test_link_tokens_are_refused_when_forged_altered_or_signed_with_another_secret() -> None:
    token = links().unsubscribe_url.rsplit("/", 1)[1]
    claims = read_link_token(SECRET, token)
    assert claims and claims.kind is LinkKind.UNSUBSCRIBE and (claims.store_id, claims.send_id) == (1, 42)
    payload, signature = token.split(".")
    assert read_link_token("another secret", token) is None
    assert read_link_token(SECRET, payload + "." + signature[:-2] + "AA") is None
    assert read_link_token(SECRET, payload[:-2] + "xx." + signature) is None
    assert read_link_token(SECRET, "not-a-token") is None
    assert read_link_token(SECRET, "") is None


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_default_template_is_valid_and_renders(language: str) -> None:
    templates = default_templates(language)
    assert tuple(templates) == KEYS and len(EMAIL_KEYS) == 14
    for key, default in templates.items():
        texts = {
            "name": default.name, "subject": default.subject, "preheader": default.preheader,
            "body": default.body, "button_label": default.button_label, "button_url": default.button_url,
            "mjml": "",
        }  # fmt: skip
        assert check_template(default.channel, texts) == [], key
        template = email_template(
            channel=default.channel.value, key=key, **{k: v for k, v in texts.items() if k != "mjml"}
        )
        message = render(template, default.channel, language=language)
        assert "{{" not in message.subject + message.text, key
    assert default_templates("de")["points_expiring_7"].subject.startswith("Nur noch eine Woche")
