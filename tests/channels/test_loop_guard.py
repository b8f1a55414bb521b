"""The loop guard: which inbound mail may open a conversation or trigger an automatic reply."""

from __future__ import annotations

from pathlib import Path

import pytest

from loyaldesk.channels.email.loop_guard import Verdict, classify
from loyaldesk.channels.email.parsing import parse_message

CORPUS = Path(__file__).parents[1] / "data" / "email"
OUR_DOMAINS = ["shop.example"]


def verdict_of(raw: bytes, **options: list[str]) -> Verdict:
    return classify(parse_message(raw), **{"our_domains": OUR_DOMAINS, **options}).verdict


def message(*headers: str, subject: str = "Question about my order", body: str = "Hello") -> bytes:
    lines = ["From: Jane <jane@example.com>", "To: support@shop.example", f"Subject: {subject}", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


EXPECTED = {
    "plain_text.eml": Verdict.OK,
    "html_only.eml": Verdict.OK,
    "alternative.eml": Verdict.OK,
    "nested_deep.eml": Verdict.OK,
    "token_reply.eml": Verdict.OK,
    "chain_1.eml": Verdict.OK,
    "chain_2.eml": Verdict.OURS,
    "chain_4.eml": Verdict.OURS,
    "our_own_message.eml": Verdict.OURS,
    "auto_reply_rfc3834.eml": Verdict.AUTO_REPLY,
    "auto_reply_outlook.eml": Verdict.AUTO_REPLY,
    "auto_reply_x_autoreply.eml": Verdict.AUTO_REPLY,
    "auto_reply_german_subject.eml": Verdict.AUTO_REPLY,
    "auto_reply_french_subject.eml": Verdict.AUTO_REPLY,
    "auto_reply_precedence_bulk.eml": Verdict.AUTO_REPLY,
    "bounce_dsn.eml": Verdict.BOUNCE,
    "bounce_postmaster.eml": Verdict.BOUNCE,
    "mailing_list.eml": Verdict.MAILING_LIST,
}


@pytest.mark.parametrize(("name", "expected"), EXPECTED.items())
def test_corpus_samples_get_their_verdict(name: str, expected: Verdict) -> None:
    assert verdict_of((CORPUS / name).read_bytes()) is expected


def test_a_bounce_carrying_our_header_inside_its_report_is_still_a_bounce() -> None:
    verdict = classify(parse_message((CORPUS / "bounce_dsn.eml").read_bytes()), our_domains=OUR_DOMAINS)
    assert verdict.reason == "multipart/report; report-type=delivery-status"


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.eml")), ids=lambda path: path.name)
def test_only_ok_mail_may_open_a_conversation_or_trigger_a_reply(path: Path) -> None:
    verdict = classify(parse_message(path.read_bytes()), our_domains=OUR_DOMAINS)
    assert verdict.may_open_conversation is (verdict.verdict is Verdict.OK)
    if verdict.verdict is not Verdict.OK:
        assert not verdict.may_trigger_automatic_reply and verdict.suppress_automatic_reply
    assert verdict.reason


@pytest.mark.parametrize(
    ("headers", "expected", "reason"),
    [
        (["Auto-Submitted: no"], Verdict.OK, "no loop signal"),
        (["Auto-Submitted: auto-generated"], Verdict.AUTO_REPLY, "Auto-Submitted: auto-generated"),
        (
            ["Auto-Submitted: Auto-Replied; owner-email=x@y"],
            Verdict.AUTO_REPLY,
            "Auto-Submitted: auto-replied",
        ),
        (["X-Autoreply: yes"], Verdict.AUTO_REPLY, "x-autoreply header"),
        (["X-Autorespond: vacation"], Verdict.AUTO_REPLY, "x-autorespond header"),
        (["Precedence: auto_reply"], Verdict.AUTO_REPLY, "Precedence: auto_reply"),
        (["Precedence: junk"], Verdict.AUTO_REPLY, "Precedence: junk"),
        (["Precedence: bulk"], Verdict.AUTO_REPLY, "Precedence: bulk"),
        (["Precedence: list"], Verdict.MAILING_LIST, "Precedence: list"),
        (["List-Id: <x.lists.example>"], Verdict.MAILING_LIST, "list-id header"),
        (["List-Unsubscribe: <mailto:u@lists.example>"], Verdict.MAILING_LIST, "list-unsubscribe header"),
        (
            ["Precedence: bulk", "List-Unsubscribe: <https://x>"],
            Verdict.MAILING_LIST,
            "list-unsubscribe header",
        ),
        (["Return-Path: <>"], Verdict.BOUNCE, "null Return-Path (<>)"),
        (["Return-Path: <jane@example.com>"], Verdict.OK, "no loop signal"),
        (["X-Failed-Recipients: nobody@example.com"], Verdict.BOUNCE, "X-Failed-Recipients header"),
        (["X-Loyaldesk-Conversation: 1-abc"], Verdict.OURS, "carries our x-loyaldesk-conversation header"),
        (["Message-ID: <abc@mail.shop.example>"], Verdict.OURS, "Message-ID on our domain mail.shop.example"),
        (["Message-ID: <abc@notshop.example>"], Verdict.OK, "no loop signal"),
        (
            ['Content-Type: multipart/report; report-type="disposition-notification"; boundary=x'],
            Verdict.AUTO_REPLY,
            "read receipt (multipart/report; report-type=disposition-notification)",
        ),
        (
            ["Content-Type: multipart/report; boundary=x"],
            Verdict.BOUNCE,
            "multipart/report; report-type=missing",
        ),
    ],
)
def test_header_signals(headers: list[str], expected: Verdict, reason: str) -> None:
    verdict = classify(parse_message(message(*headers)), our_domains=OUR_DOMAINS)
    assert (verdict.verdict, verdict.reason) == (expected, reason)


@pytest.mark.parametrize(
    "sender", ["MAILER-DAEMON@mx.example.net", "postmaster@example.com", "Mailer-Daemon@example.org"]
)
def test_mailer_daemon_and_postmaster_senders_are_bounces(sender: str) -> None:
    raw = message().replace(b"Jane <jane@example.com>", sender.encode())
    assert verdict_of(raw) is Verdict.BOUNCE


def test_mail_from_one_of_our_addresses_is_ours_even_with_a_plus_part() -> None:
    raw = message().replace(b"jane@example.com", b"Support+c-1-x@Shop.Example")
    verdict = classify(parse_message(raw), our_addresses=["support@shop.example"])
    assert verdict.verdict is Verdict.OURS


@pytest.mark.parametrize(
    "subject",
    [
        "Out of Office: Your order",
        "Automatic reply: Re: points",
        "Auto-Reply: thanks",
        "AutoReply",
        "Abwesenheitsnotiz: Bestellung",
        "Automatische Antwort: Ihre Anfrage",
        "Réponse automatique : commande",
        "Absente du bureau",
        "Respuesta automática: pedido",
        "Fuera de la oficina",
        "Risposta automatica: ordine",
        "Automatisch antwoord: bestelling",
        "Resposta automática: pedido",
        "Autosvar: order",
        "Automatyczna odpowiedź: zamówienie",
        "自动回复: 订单",
        "自動返信: 注文",
    ],
)
def test_out_of_office_subjects_in_several_languages(subject: str) -> None:
    assert verdict_of(message(subject=subject)) is Verdict.AUTO_REPLY


@pytest.mark.parametrize(
    "subject", ["Re: office chair order", "Reply about my refund", "Automatic lawn mower arrived broken"]
)
def test_ordinary_subjects_are_not_mistaken_for_out_of_office(subject: str) -> None:
    assert verdict_of(message(subject=subject)) is Verdict.OK


def test_exchange_suppress_header_opens_a_conversation_but_blocks_automatic_replies() -> None:
    verdict = classify(parse_message(message("X-Auto-Response-Suppress: OOF, AutoReply")))
    assert verdict.verdict is Verdict.OK and verdict.may_open_conversation
    assert verdict.suppress_automatic_reply and not verdict.may_trigger_automatic_reply
