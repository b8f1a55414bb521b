"""Conversation tokens, thread keys of inbound mail, reply headers, and replies built then parsed back."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyaldesk.channels.email.compose import build_reply, render_html
from loyaldesk.channels.email.loop_guard import Verdict, classify
from loyaldesk.channels.email.parsing import parse_message
from loyaldesk.channels.email.threading import (
    MAX_REFERENCES,
    ThreadKey,
    compose_reply_headers,
    make_conversation_token,
    reply_subject,
    thread_keys,
    verify_conversation_token,
)
from tests.channels.test_email_parsing import assert_safe_html

CORPUS = Path(__file__).parents[1] / "data" / "email"
SECRET = "test-secret"
SENT_AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def corpus(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


# --- tokens ------------------------------------------------------------------------------------------------


def test_token_format_is_short_lower_case_and_matches_the_corpus() -> None:
    assert make_conversation_token(SECRET, 1234) == "1234-ifp2yqwzvekznweu"
    assert make_conversation_token(SECRET, 0).startswith("0-")
    assert len(make_conversation_token(SECRET, 10**19 - 1)) == 19 + 1 + 16


@given(st.integers(0, 10**19 - 1), st.binary(min_size=1, max_size=64))
def test_tokens_verify_to_their_conversation(conversation_id: int, secret: bytes) -> None:
    token = make_conversation_token(secret, conversation_id)
    assert verify_conversation_token(secret, token) == conversation_id
    assert verify_conversation_token(secret, token.upper()) == conversation_id  # servers may change case


@given(st.integers(0, 10**6), st.integers(0, 15), st.sampled_from("abcdefghijklmnopqrstuvwxyz234567"))
def test_any_altered_mac_character_is_rejected(conversation_id: int, position: int, replacement: str) -> None:
    token = make_conversation_token(SECRET, conversation_id)
    identifier, mac = token.split("-")
    altered = mac[:position] + replacement + mac[position + 1 :]
    expected = conversation_id if altered == mac else None
    assert verify_conversation_token(SECRET, f"{identifier}-{altered}") == expected


@pytest.mark.parametrize(
    "token",
    [
        "1235-ifp2yqwzvekznweu",  # another conversation with this one's mac
        "1234-ifp2yqwzvekznwea",  # mac altered
        "01234-ifp2yqwzvekznweu",  # same number, non-canonical
        "1234-ifp2yqwzvekznwe",  # short mac
        "1234-ifp2yqwzvekznweu0",
        "1234_ifp2yqwzvekznweu",
        "-1234-ifp2yqwzvekznweu",
        "99999999999999999999-ifp2yqwzvekznweu",
        "",
        "1234",
        "\uff11234-ifp2yqwzvekznweu",  # a full-width digit
    ],
)
def test_forged_and_malformed_tokens_are_rejected(token: str) -> None:
    assert verify_conversation_token(SECRET, token) is None


def test_a_token_from_another_secret_is_rejected() -> None:
    assert verify_conversation_token("other-secret", make_conversation_token(SECRET, 1234)) is None


@pytest.mark.parametrize("bad_id", [-1, 10**19, True])
def test_make_token_rejects_ids_out_of_range(bad_id: int) -> None:
    with pytest.raises(ValueError):
        make_conversation_token(SECRET, bad_id)


# --- thread keys -------------------------------------------------------------------------------------------


def test_keys_come_in_priority_order_address_subject_in_reply_to_then_references_newest_first() -> None:
    keys = thread_keys(parse_message(corpus("token_reply.eml")), reply_domain="shop.example", secret=SECRET)
    assert keys == [
        ThreadKey("address", conversation_id=1234),
        ThreadKey("subject", conversation_id=77),
        ThreadKey("in-reply-to", message_id="reply-1@shop.example"),
        ThreadKey("references", message_id="start-1@mail.example.com"),
    ]


def test_address_tokens_count_only_on_the_reply_domain() -> None:
    keys = thread_keys(parse_message(corpus("token_reply.eml")), reply_domain="other.example", secret=SECRET)
    assert ThreadKey("address", conversation_id=1234) not in keys


def test_forged_tokens_yield_no_conversation_keys() -> None:
    keys = thread_keys(parse_message(corpus("forged_token.eml")), reply_domain="shop.example", secret=SECRET)
    assert keys == []


def test_a_new_message_has_no_keys() -> None:
    assert thread_keys(parse_message(corpus("chain_1.eml")), reply_domain="shop.example", secret=SECRET) == []


def test_every_message_of_a_five_message_chain_resolves_to_the_first() -> None:
    """Given a store that records each message id it sees, every reply lands in chain_1's conversation."""
    conversation_of_message: dict[str, str] = {}
    resolved = []
    for number in range(1, 6):
        inbound = parse_message(corpus(f"chain_{number}.eml"))
        keys = thread_keys(inbound, reply_domain="shop.example", secret=SECRET)
        found = next(
            (
                conversation_of_message[key.message_id]
                for key in keys
                if key.message_id in conversation_of_message
            ),
            None,
        )
        conversation = found or inbound.message_id
        assert inbound.message_id is not None and conversation is not None
        conversation_of_message[inbound.message_id] = conversation
        resolved.append(conversation)
    assert resolved == ["chain-1@mail.example.com"] * 5


def test_chain_five_without_in_reply_to_resolves_through_its_newest_reference() -> None:
    keys = thread_keys(parse_message(corpus("chain_5.eml")), reply_domain="shop.example", secret=SECRET)
    assert [key.message_id for key in keys] == [
        "chain-4@shop.example",
        "chain-3@mail.example.com",
        "chain-2@shop.example",
        "chain-1@mail.example.com",
    ]


# --- reply headers -----------------------------------------------------------------------------------------


def headers_for(**overrides: object):  # type: ignore[no-untyped-def]
    options: dict[str, object] = {
        "secret": SECRET,
        "conversation_id": 1234,
        "message_id_domain": "Mail.Shop.Example",
        "reply_address": "support@shop.example",
        "subject": "Where is my order #1042?",
        "parent_message_id": "CAF1234.plain@mail.example.com",
        "parent_references": (),
        "unique": "r1",
    }
    return compose_reply_headers(**{**options, **overrides})  # type: ignore[arg-type]


def test_reply_headers_thread_onto_the_parent() -> None:
    headers = headers_for(parent_references=["root@example.com"])
    assert headers.message_id == "r1@mail.shop.example"
    assert headers.in_reply_to == "CAF1234.plain@mail.example.com"
    assert headers.references == ("root@example.com", "CAF1234.plain@mail.example.com")
    assert headers.subject == "Re: Where is my order #1042? [#c-1234-ifp2yqwzvekznweu]"
    assert headers.reply_to == "support+c-1234-ifp2yqwzvekznweu@shop.example"
    assert dict(headers.as_pairs())["X-Loyaldesk-Conversation"] == "1234-ifp2yqwzvekznweu"


def test_message_ids_are_random_unless_given() -> None:
    first, second = headers_for(unique=None), headers_for(unique=None)
    assert first.message_id != second.message_id and first.message_id.endswith("@mail.shop.example")


def test_references_are_capped_keeping_the_root_and_the_latest() -> None:
    chain = [f"m{number}@example.com" for number in range(40)]
    headers = headers_for(parent_references=chain[:-1], parent_message_id=chain[-1])
    assert len(headers.references) == MAX_REFERENCES
    assert headers.references[0] == "m0@example.com"
    assert headers.references[1:] == tuple(chain[-(MAX_REFERENCES - 1) :])


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Where is my order?", "Re: Where is my order?"),
        ("Re: Where is my order?", "Re: Where is my order?"),
        ("RE: Re: AW: SV: Where is my order?", "Re: Where is my order?"),
        ("Re[2]: Where is my order?", "Re: Where is my order?"),
        ("Re: Where is my order? [#c-1-aaaaaaaaaaaaaaaa]", "Re: Where is my order?"),
        ("Return policy", "Re: Return policy"),
        ("", "Re: (no subject)"),
        ("Line\r\nBcc: victim@example.com", "Re: Line Bcc: victim@example.com"),
    ],
)
def test_reply_subject_has_one_re_and_one_tag(subject: str, expected: str) -> None:
    assert reply_subject(subject, "5-abcdefghijklmnop") == f"{expected} [#c-5-abcdefghijklmnop]"


def test_auto_submitted_only_on_automatic_replies() -> None:
    assert "Auto-Submitted" not in dict(headers_for().as_pairs())
    automatic = dict(headers_for(automatic=True).as_pairs())
    assert automatic["Auto-Submitted"] == "auto-replied" and automatic["X-Auto-Response-Suppress"] == "All"


@pytest.mark.parametrize(
    "overrides",
    [{"message_id_domain": "bad domain"}, {"reply_address": "no-at-sign"}, {"unique": "has space"}],
)
def test_bad_configuration_is_refused(overrides: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        headers_for(**overrides)


# --- build_reply -------------------------------------------------------------------------------------------


def reply(body: str = "Hello Jane,\n\nYour teapot ships today.", **options: object) -> bytes:
    inbound = parse_message(corpus("chain_3.eml"))
    headers = headers_for(
        subject=inbound.subject, parent_message_id=inbound.message_id, parent_references=inbound.references
    )
    arguments: dict[str, object] = {
        "headers": headers,
        "from_address": "support@shop.example",
        "from_name": "Teapot Shop — Support",
        "to": [inbound.from_address],
        "body": body,
        "sent_at": SENT_AT,
    }
    return build_reply(**{**arguments, **options})  # type: ignore[arg-type]


def test_a_built_reply_parses_back_with_both_parts_and_the_right_threading() -> None:
    raw = reply()
    parsed = parse_message(raw)
    assert parsed.problems == ()
    assert parsed.message_id == "r1@mail.shop.example"
    assert parsed.in_reply_to == "chain-3@mail.example.com"
    assert parsed.references == (
        "chain-1@mail.example.com",
        "chain-2@shop.example",
        "chain-3@mail.example.com",
    )
    assert parsed.subject == "Re: Broken lid [#c-1234-ifp2yqwzvekznweu]"  # from "Re: Re: Broken lid"
    assert parsed.reply_to_addresses == ("support+c-1234-ifp2yqwzvekznweu@shop.example",)
    assert parsed.from_name == "Teapot Shop — Support" and parsed.to_addresses == ("jane.doe@example.com",)
    assert parsed.date == SENT_AT
    assert parsed.text_body == "Hello Jane,\n\nYour teapot ships today."
    assert "<p" in parsed.html_body and "Your teapot ships today." in parsed.html_body
    assert "auto-submitted" not in parsed.loop_headers
    assert classify(parsed, our_domains=["shop.example"]).verdict is Verdict.OURS

    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
    assert all(part.get_content_charset() == "utf-8" for part in message.iter_parts())
    assert b"\r\n" in raw and raw.isascii()


def test_a_reply_threads_back_into_its_conversation() -> None:
    parsed = parse_message(reply())
    customer_answer = parse_message(
        b"From: jane.doe@example.com\r\nTo: support+c-1234-ifp2yqwzvekznweu@shop.example\r\n"
        b"Subject: " + parsed.subject.encode() + b"\r\nIn-Reply-To: <r1@mail.shop.example>\r\n\r\nThanks"
    )
    keys = thread_keys(customer_answer, reply_domain="shop.example", secret=SECRET)
    assert keys[0] == ThreadKey("address", conversation_id=1234)
    assert keys[1:] == [ThreadKey("in-reply-to", message_id="r1@mail.shop.example")]


def test_agent_text_is_escaped_and_html_has_no_scripts_or_images() -> None:
    hostile = (
        'Try <script>alert(1)</script> and <img src=x onerror=alert(2)> "quotes" & [x](javascript:alert(3))'
    )
    raw = reply(hostile, body_format="markdown")
    html_part = email.message_from_bytes(raw, policy=email.policy.default).get_body(("html",)).get_content()
    assert "<script" not in html_part and "<img" not in html_part and 'href="javascript' not in html_part
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html_part and "&quot;quotes&quot; &amp;" in html_part
    assert_safe_html(parse_message(raw).html_body)


def test_markdown_subset_renders_lists_emphasis_links_and_quotes() -> None:
    document = render_html(
        "# Your order\n\nHi **Jane**, *thanks* for `ORDER-1`.\n\n- one\n- two\n\n1. first\n2. second\n\n"
        "> earlier\n\nSee [tracking](https://track.example/x?a=1&b=2) or https://shop.example/help.",
        body_format="markdown",
    )
    assert 'font-weight:bold;">Your order</p>' in document
    assert (
        "<strong>Jane</strong>" in document
        and "<em>thanks</em>" in document
        and ">ORDER-1</code>" in document
    )
    assert "<ul" in document and "<li>one</li><li>two</li></ul>" in document
    assert "<ol" in document and "<li>first</li>" in document
    assert "<blockquote" in document and "earlier</blockquote>" in document
    assert 'href="https://track.example/x?a=1&amp;b=2"' in document and ">tracking</a>" in document
    assert 'href="https://shop.example/help"' in document and "help</a>." in document
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in document
    assert "max-width:600px" in document and "<style" not in document and "<script" not in document


def test_plain_text_format_keeps_markup_characters_literal() -> None:
    document = render_html("5 * 3 = **fifteen**\nline two", body_format="text")
    assert "5 * 3 = **fifteen**<br>line two" in document


def test_signature_goes_after_the_sig_separator_in_text_and_muted_in_html() -> None:
    parsed = parse_message(reply(signature="Ana\nTeapot Shop"))
    assert parsed.text_body.endswith("-- \nAna\nTeapot Shop")
    assert "Ana<br>Teapot Shop" in parsed.html_body


def test_non_ascii_recipient_switches_to_smtputf8() -> None:
    raw = reply(to=["jürgen@example.de"])
    assert "jürgen@example.de".encode() in raw and parse_message(raw).to_addresses == ("jürgen@example.de",)


@pytest.mark.parametrize(
    "options",
    [
        {"body_format": "rich"},
        {"sent_at": datetime(2026, 3, 2, 10, 0)},
        {"to": ["not an address"]},
        {"from_address": "support@shop.example\r\nBcc: x@y.z"},
    ],
)
def test_build_reply_refuses_bad_arguments(options: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        reply(**options)
