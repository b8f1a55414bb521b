"""Replies by email to the widget's offline form, delivered to a real SMTP peer (aiosmtpd on 127.0.0.1):
threading across replies, a text and an HTML part, internal notes never mailed, and a mail server that is
down keeps the mail and sends it once when it is back."""

from __future__ import annotations

import email
from collections.abc import Iterator
from datetime import timedelta
from email.message import Message as MailMessage
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import select

from loyaldesk.channels.email.outbox import SmtpTransport, send_due
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.dispatcher import dispatch_until_idle
from loyaldesk.support.models import OutboundEmail
from tests.factories import StoreHandle, login, make_staff
from tests.servers import free_port
from tests.support.desk import agent_reply, console_csrf


class Inbox:
    """What the SMTP peer received: (envelope sender, recipients, parsed message)."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], MailMessage]] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        message = email.message_from_bytes(envelope.original_content, policy=default_policy)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"


@pytest.fixture
def smtp_peer() -> Iterator[tuple[Inbox, SmtpTransport]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, SmtpTransport("127.0.0.1", controller.port, starttls=False, timeout=5)
    finally:
        controller.stop()


def leave_offline_message(client: TestClient, slug: str) -> int:
    response = client.post(
        f"/widget-api/v1/{slug}/offline-messages",
        json={"name": "Mia Rossi", "email": "mia@example.org", "body": "Do you ship to Italy?"},
    )
    assert response.status_code == 201, response.text
    return int(response.json()["conversation_id"])


def test_replies_to_an_offline_message_are_mailed_and_threaded(
    client: TestClient,
    db: Database,
    store: StoreHandle,
    password_hash: str,
    smtp_peer: tuple[Inbox, SmtpTransport],
):
    inbox, transport = smtp_peer
    conversation_id = leave_offline_message(client, store.slug)
    login(client, make_staff(db, store, "agent", password_hash))
    csrf = console_csrf(client, store.slug)
    page = client.get(f"/console/{store.slug}/inbox", params={"c": conversation_id}).text
    assert "follows this conversation by email" in page and "mia@example.org" in page

    assert (
        agent_reply(
            client, store.slug, conversation_id, "Yes, we **do**! Delivery takes 3 days.", csrf=csrf
        ).status_code
        == 201
    )
    assert (
        agent_reply(
            client, store.slug, conversation_id, "Checking the fee for you", internal=True, csrf=csrf
        ).status_code
        == 201
    )
    dispatch_until_idle(db)
    assert (
        "waiting to be emailed"
        in client.get(f"/console/{store.slug}/inbox", params={"c": conversation_id}).text
    )
    assert send_due(db, transport) == 1
    assert (
        agent_reply(client, store.slug, conversation_id, "The fee is 9 euros.", csrf=csrf).status_code == 201
    )
    dispatch_until_idle(db)
    assert send_due(db, transport) == 1
    assert send_due(db, transport) == 0  # nothing is sent twice

    assert len(inbox.received) == 2  # the internal note was never mailed
    (sender, recipients, first), (_, _, second) = inbox.received
    assert sender == "acme@loyaldesk.localhost" and recipients == ["mia@example.org"]
    assert first["To"] == "mia@example.org"
    assert first["Subject"].startswith("Re: Do you ship to Italy? [#c-")
    assert first["Reply-To"].startswith("acme+")
    text = first.get_body(preferencelist=("plain",)).get_content()
    html = first.get_body(preferencelist=("html",)).get_content()
    assert "Yes, we **do**! Delivery takes 3 days." in text  # Markdown reads well as plain text
    assert "<strong>do</strong>" in html and "<script" not in html
    assert "Checking the fee" not in text + html
    # The second reply is threaded under the first.
    assert second["In-Reply-To"] == first["Message-ID"]
    assert first["Message-ID"] in second["References"]
    assert second["Subject"] == first["Subject"]
    assert "emailed" in client.get(f"/console/{store.slug}/inbox", params={"c": conversation_id}).text


def test_a_mail_server_that_is_down_keeps_the_mail_until_it_is_back(
    client: TestClient,
    db: Database,
    store: StoreHandle,
    password_hash: str,
    clock: FakeClock,
    smtp_peer: tuple[Inbox, SmtpTransport],
):
    inbox, transport = smtp_peer
    conversation_id = leave_offline_message(client, store.slug)
    login(client, make_staff(db, store, "agent", password_hash))
    agent_reply(
        client, store.slug, conversation_id, "We do ship to Italy.", csrf=console_csrf(client, store.slug)
    )
    dispatch_until_idle(db)

    down = SmtpTransport("127.0.0.1", free_port(), starttls=False, timeout=2)  # nobody listens there
    assert send_due(db, down) == 0
    with db.read() as session:
        row = session.scalars(select(OutboundEmail)).one()
        assert (row.status, row.attempts) == ("pending", 1)
        assert "ConnectionRefusedError" in (row.last_error or "")
    assert send_due(db, transport) == 0  # not due again before its backoff
    clock.advance(timedelta(minutes=2))
    assert send_due(db, transport) == 1
    assert len(inbox.received) == 1
    with db.read() as session:
        row = session.scalars(select(OutboundEmail)).one()
        assert (row.status, row.last_error) == ("sent", None)


def test_chats_that_are_not_followed_by_email_send_no_mail(
    client: TestClient,
    db: Database,
    store: StoreHandle,
    password_hash: str,
    smtp_peer: tuple[Inbox, SmtpTransport],
):
    from tests.support.desk import hello, send_message

    inbox, transport = smtp_peer
    with client.websocket_connect(f"/ws/widget/{store.slug}") as widget:
        hello(widget)
        conversation_id = send_message(widget, "Hi there", "c-1")["conversation_id"]
    login(client, make_staff(db, store, "agent", password_hash))
    agent_reply(client, store.slug, conversation_id, "Hello!", csrf=console_csrf(client, store.slug))
    dispatch_until_idle(db)
    assert send_due(db, transport) == 0 and inbox.received == []


def test_resolving_asks_an_email_customer_to_rate_by_a_link_that_works(
    client: TestClient,
    db: Database,
    store: StoreHandle,
    password_hash: str,
    smtp_peer: tuple[Inbox, SmtpTransport],
):
    import re

    from loyaldesk.support.models import CsatResponse

    inbox, transport = smtp_peer
    conversation_id = leave_offline_message(client, store.slug)
    login(client, make_staff(db, store, "agent", password_hash))
    csrf = console_csrf(client, store.slug)
    agent_reply(client, store.slug, conversation_id, "Yes, we ship to Italy.", csrf=csrf)
    resolved = client.post(
        f"/console/{store.slug}/inbox/{conversation_id}/status",
        data={"status": "resolved", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert resolved.status_code == 303
    dispatch_until_idle(db)
    dispatch_until_idle(db)  # handling the first event twice must not queue a second mail
    assert send_due(db, transport) == 2
    reply, rating_request = (message for _, _, message in inbox.received)
    assert rating_request["Auto-Submitted"] == "auto-replied"  # machine-sent: auto-responders stay quiet
    assert rating_request["In-Reply-To"] == reply["Message-ID"]
    text = rating_request.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"http://127\.0\.0\.1:8000(/csat/\S+)", text)
    assert link, text

    client.cookies.clear()  # the customer is nobody's session
    form = client.get(link.group(1))
    assert form.status_code == 200 and "How did we do" in form.text
    thanks = client.post(link.group(1), data={"rating": "4", "comment": "Quick answer"})
    assert thanks.status_code == 200 and "Thank you" in thanks.text
    with db.read() as session:
        answer = session.scalars(select(CsatResponse)).one()
        assert (answer.rating, answer.comment, answer.agent_id is not None) == (4, "Quick answer", True)
    # A forged or edited link rates nothing.
    forged = client.post(link.group(1)[:-2] + "00", data={"rating": "1"}, follow_redirects=False)
    assert forged.status_code == 404 and "rating link is not valid" in forged.text
    with db.read() as session:
        assert session.scalars(select(CsatResponse.rating)).one() == 4
