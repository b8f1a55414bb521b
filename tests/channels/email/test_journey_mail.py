"""Journeys' email adapter against a real SMTP peer (aiosmtpd on 127.0.0.1): the message as received
(headers, the text and HTML parts), and how SMTP answers map to delivery outcomes (4xx: retry; 550 for
the recipient: failed; 5xx for the whole transaction: retry; nobody listening or no server: retry)."""

from __future__ import annotations

import email
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from loyaldesk.channels.email.journey_mail import JourneyEmailAdapter
from loyaldesk.journeys import (
    Channel,
    DeliveryStatus,
    MessageCategory,
    OutgoingMessage,
    Recipient,
    render_message,
)
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.mail_transport import SmtpTransport
from loyaldesk.settings import Settings
from tests.factories import StoreHandle
from tests.journeys.helpers import VALUES, brand, email_template, links, make_customer
from tests.servers import free_port


@dataclass
class Peer:
    port: int
    rcpt_answer: str | None = None
    data_answer: str | None = None
    received: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, options):  # type: ignore[no-untyped-def]
        if self.rcpt_answer:
            return self.rcpt_answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        if self.data_answer:
            return self.data_answer
        message = email.message_from_bytes(envelope.original_content, policy=default_policy)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 OK"


@pytest.fixture
def peer() -> Iterator[Peer]:
    server = Peer(port=free_port())
    controller = Controller(server, hostname="127.0.0.1", port=server.port)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


def adapter_for(port: int | None, tmp_path: Path) -> JourneyEmailAdapter:
    settings = Settings(
        data_dir=tmp_path, mail_domain="mail.loyaldesk.test", account_mail_from="hello@desk.test"
    )
    transport = SmtpTransport("127.0.0.1", port, starttls=False, timeout=5) if port else None
    return JourneyEmailAdapter(transport, settings)


def outgoing(category: MessageCategory = MessageCategory.MARKETING, **changes: object) -> OutgoingMessage:
    rendered = render_message(
        email_template(), Channel.EMAIL, VALUES, brand(), links(), store_name="Acme", language="en",
        marketing=category is MessageCategory.MARKETING,
    )  # fmt: skip
    fields: dict[str, object] = {
        "store_id": 1, "send_id": 42, "idempotency_key": "rule:1|step:0|customer:7|occ:2026-03",
        "channel": Channel.EMAIL, "category": category,
        "recipient": Recipient(customer_id=7, address="emma@example.com", name="Emma Weber"),
        "subject": rendered.subject, "text": rendered.text, "html": rendered.html,
        "headers": rendered.headers,
        "sender_name": "Acme Shop", "sender_email": "news@acme.example",
    }  # fmt: skip
    return OutgoingMessage(**{**fields, **changes})  # type: ignore[arg-type]


def test_a_marketing_email_arrives_with_its_headers_and_both_parts(peer: Peer, tmp_path: Path) -> None:
    adapter = adapter_for(peer.port, tmp_path)
    result = adapter.deliver(outgoing())
    assert result.status is DeliveryStatus.SENT
    [(sender, recipients, message)] = peer.received
    assert sender == "news@acme.example" and recipients == ["emma@example.com"]
    assert message["From"] == "Acme Shop <news@acme.example>"
    assert message["To"] == "Emma Weber <emma@example.com>"
    assert message["Subject"] == "<Bob & *Al*>, 120 points expire on 3 Mar 2026"
    assert message["Date"]
    assert message["Message-ID"] == result.provider_id and result.provider_id.endswith(
        "@mail.loyaldesk.test>"
    )
    assert message["List-Unsubscribe"] == f"<{links().unsubscribe_url}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Auto-Submitted"] is None  # marketing is not an automatic reply
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Hi <Bob & *Al*>," in text and links().unsubscribe_url in text
    assert "&lt;Bob &amp; *Al*&gt;" in html and "/t/o/" in html
    # The same send is always the same message.
    assert adapter.deliver(outgoing()).provider_id == result.provider_id


def test_a_transactional_email_is_marked_auto_submitted_and_falls_back_to_the_install_sender(
    peer: Peer, tmp_path: Path
) -> None:
    adapter = adapter_for(peer.port, tmp_path)
    message = outgoing(MessageCategory.TRANSACTIONAL, sender_email="", sender_name="")
    assert adapter.deliver(message).status is DeliveryStatus.SENT
    [(sender, _recipients, received)] = peer.received
    assert sender == "hello@desk.test" and received["From"] == "hello@desk.test"
    assert received["Auto-Submitted"] == "auto-generated" and received["List-Unsubscribe"] is None


@pytest.mark.parametrize(
    ("where", "answer", "expected"),
    [
        ("rcpt", "450 4.2.1 Mailbox busy, try later", DeliveryStatus.RETRY),
        ("rcpt", "550 5.1.1 No such user", DeliveryStatus.FAILED),
        ("rcpt", "553 5.1.3 Bad address", DeliveryStatus.FAILED),
        ("data", "451 4.3.0 Temporary failure", DeliveryStatus.RETRY),
        ("data", "554 5.3.0 Transaction failed", DeliveryStatus.RETRY),
    ],
)
def test_smtp_answers_map_to_outcomes(
    peer: Peer, tmp_path: Path, where: str, answer: str, expected: DeliveryStatus
) -> None:
    setattr(peer, f"{where}_answer", answer)
    result = adapter_for(peer.port, tmp_path).deliver(outgoing())
    assert result.status is expected and answer.split()[0] in (result.error or "")
    assert peer.received == []


def test_no_server_listening_or_configured_is_retried_never_raised(tmp_path: Path) -> None:
    assert adapter_for(free_port(), tmp_path).deliver(outgoing()).status is DeliveryStatus.RETRY
    unconfigured = adapter_for(None, tmp_path).deliver(outgoing())
    assert unconfigured.status is DeliveryStatus.RETRY and "LOYALDESK_SMTP_HOST" in (unconfigured.error or "")


def test_the_address_is_the_customers_email_unless_erased(
    db: Database, store: StoreHandle, other_store: StoreHandle, tmp_path: Path
) -> None:
    from datetime import UTC, datetime

    adapter = adapter_for(None, tmp_path)
    emma = make_customer(db, store)
    erased = make_customer(db, store, email="gone@example.com", erased_at=datetime(2026, 1, 1, tzinfo=UTC))
    without = make_customer(db, store, email="", external_id="no-mail")
    with db.read() as session:
        assert adapter.address_of(session, store.id, emma) == "emma@example.com"
        assert adapter.address_of(session, store.id, erased) is None
        assert adapter.address_of(session, store.id, without) is None
        assert adapter.address_of(session, other_store.id, emma) is None


def test_attachments_arrive_as_parts_of_their_own_type(peer: Peer, tmp_path: Path) -> None:
    calendar = "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"
    message = outgoing(
        MessageCategory.TRANSACTIONAL,
        attachments=[
            {"filename": "invite.ics", "content_type": "text/calendar; method=REQUEST", "content": calendar},
            {"filename": "note.json", "content_type": "application/json", "content": '{"a": 1}'},
        ],
    )
    assert adapter_for(peer.port, tmp_path).deliver(message).status is DeliveryStatus.SENT
    [(_sender, _recipients, received)] = peer.received
    parts = {part.get_filename(): part for part in received.iter_attachments()}
    assert parts["invite.ics"].get_content_type() == "text/calendar"
    assert parts["invite.ics"].get_param("method") == "REQUEST"
    assert parts["invite.ics"].get_content().replace("\r\n", "\n") == calendar.replace("\r\n", "\n")
    assert parts["note.json"].get_content_type() == "application/json"
    assert parts["note.json"].get_content() == b'{"a": 1}'
    assert "Hi <Bob & *Al*>," in received.get_body(("plain",)).get_content()  # the body is kept
