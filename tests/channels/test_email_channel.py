"""The email channel end to end with real SMTP: customers' mail reaches the product's own SMTP receiver
(sent with Python's smtplib), agents answer from the console, the answers reach an aiosmtpd peer, and
the customer's replies thread into the same conversation by every key a mail client leaves."""

from __future__ import annotations

import base64
import smtplib
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import make_msgid
from itertools import pairwise

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from loyaldesk.channels.email.outbox import SmtpTransport, send_due
from loyaldesk.channels.email.smtp_receiver import start_receiver
from loyaldesk.customers import Customer
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.dispatcher import dispatch_until_idle
from loyaldesk.support.models import Attachment, Conversation, DroppedEmail, Message
from tests.factories import StoreHandle, login, make_staff
from tests.servers import free_port
from tests.support.desk import agent_reply, console_csrf
from tests.support.test_email_replies import Inbox, smtp_peer  # noqa: F401  (fixture)

SUPPORT = "acme@loyaldesk.localhost"


@pytest.fixture
def receiver(db: Database) -> Iterator[int]:
    port = free_port()
    controller = start_receiver(db, "loyaldesk.localhost", host="127.0.0.1", port=port)
    try:
        yield port
    finally:
        controller.stop()


def mail(
    subject: str,
    body: str,
    *,
    sender: str = "Mia Rossi <mia@example.org>",
    to: str = SUPPORT,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="example.org")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    return message


def deliver(port: int, message: EmailMessage | bytes, to: str = SUPPORT) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        if isinstance(message, bytes):
            client.sendmail("mia@example.org", [to], message)
        else:
            client.send_message(message)


def conversations(db: Database) -> list[Conversation]:
    with db.read() as session:
        return list(session.scalars(select(Conversation).order_by(Conversation.id)))


def texts(db: Database, conversation_id: int) -> list[str]:
    with db.read() as session:
        return list(
            session.scalars(
                select(Message.body).where(Message.conversation_id == conversation_id).order_by(Message.id)
            )
        )


def test_an_email_conversation_threads_across_five_replies(
    client: TestClient,
    db: Database,
    store: StoreHandle,
    password_hash: str,
    receiver: int,
    smtp_peer: tuple[Inbox, SmtpTransport],  # noqa: F811
):
    from loyaldesk.customers import CustomerProfile, upsert_customer
    from loyaldesk.kernel.actors import system_for

    outbox, transport = smtp_peer
    db.write(
        upsert_customer,
        system_for(store.id),
        store.id,
        "c-42",
        CustomerProfile(email="mia@example.org", first_name="Mia"),
        source="api",
    )
    first = mail("Broken zipper on my jacket", "Hello, the zipper broke after two days.\n\nMia")
    deliver(receiver, first)
    [conversation] = conversations(db)
    assert (conversation.channel, conversation.subject) == ("email", "Broken zipper on my jacket")
    with db.read() as session:
        customer_id = session.scalar(select(Customer.id).where(Customer.external_id == "c-42"))
    assert conversation.customer_id == customer_id  # the same customer as on every other channel

    login(client, make_staff(db, store, "agent", password_hash))
    csrf = console_csrf(client, store.slug)

    def agent_answers(text: str):  # type: ignore[no-untyped-def]
        assert agent_reply(client, store.slug, conversation.id, text, csrf=csrf).status_code == 201
        dispatch_until_idle(db)
        assert send_due(db, transport) == 1
        return outbox.received[-1][2]

    # 1: the customer answers our reply with In-Reply-To and References, as every mail client does.
    ours = agent_answers("Sorry about that! Could you send a photo?")
    deliver(
        receiver,
        mail(
            ours["Subject"],
            "Here is the photo.\n\nOn Monday, Support wrote:\n> Could you send a photo?",
            headers={
                "In-Reply-To": ours["Message-ID"],
                "References": f"{first['Message-ID']} {ours['Message-ID']}",
            },
        ),
    )
    # 2: only References (some clients drop In-Reply-To).
    ours = agent_answers("Thanks, a new jacket is on its way.")
    deliver(receiver, mail("Re: jacket", "Great, thank you!", headers={"References": ours["Message-ID"]}))
    # 3: no threading headers at all, but sent to the Reply-To address with the conversation token.
    ours = agent_answers("Anything else?")
    deliver(
        receiver,
        mail("new phone, who dis", "Yes: when will it arrive?", to=ours["Reply-To"]),
        to=ours["Reply-To"],
    )
    # 4: nothing but the token in the subject (a forwarded copy, say).
    ours = agent_answers("Thursday.")
    deliver(receiver, mail(ours["Subject"], "Perfect."))
    # 5: a reply to the customer's own earlier message (their Message-ID in In-Reply-To).
    deliver(
        receiver,
        mail("Re: Broken zipper", "PS: same size please.", headers={"In-Reply-To": first["Message-ID"]}),
    )

    assert len(conversations(db)) == 1
    bodies = texts(db, conversation.id)
    assert [body for body in bodies if not body.startswith(("Sorry", "Thanks", "Anything", "Thursday"))] == [
        "Hello, the zipper broke after two days.\n\nMia",
        "Here is the photo.",  # the quoted history is not repeated
        "Great, thank you!",
        "Yes: when will it arrive?",
        "Perfect.",
        "PS: same size please.",
    ]
    # Our four replies were threaded for the customer too.
    received = [message for _, _, message in outbox.received]
    assert all(later["In-Reply-To"] == earlier["Message-ID"] for earlier, later in pairwise(received))
    # A new subject without any key starts a new conversation.
    deliver(receiver, mail("Another question", "Do you sell gift cards?"))
    assert len(conversations(db)) == 2


def test_unknown_addresses_are_refused_and_machines_do_not_open_conversations(
    db: Database, store: StoreHandle, receiver: int
):
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        deliver(
            receiver,
            mail("Hi", "Is this the right address?", to="nobody@loyaldesk.localhost"),
            to="nobody@loyaldesk.localhost",
        )
    deliver(
        receiver, mail("Out of office", "I am away until Monday.", headers={"Auto-Submitted": "auto-replied"})
    )
    deliver(receiver, mail("Newsletter", "Our weekly news", headers={"List-Id": "<news.example.org>"}))
    bounce = (
        b"From: MAILER-DAEMON@example.org\r\nTo: " + SUPPORT.encode() + b"\r\nSubject: Undelivered Mail\r\n"
        b"Message-ID: <bounce-1@example.org>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
        b"--b\r\nContent-Type: message/delivery-status\r\n\r\nStatus: 5.1.1\r\n--b--\r\n"
    )
    deliver(receiver, bounce)
    assert conversations(db) == []
    # The same message delivered twice (a sender's retry) is stored once.
    once = mail("Order 1001", "Where is it?")
    deliver(receiver, once)
    deliver(receiver, once)
    [conversation] = conversations(db)
    assert texts(db, conversation.id) == ["Where is it?"]


HOSTILE = {
    "script-html": (
        b"From: x@example.org\r\nTo: acme@loyaldesk.localhost\r\nSubject: <script>alert(1)</script>\r\n"
        b"Message-ID: <h1@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b"<p>Hi<script>alert(1)</script><img src=x onerror=alert(2)><a href='javascript:alert(3)'>x</a>"
        b"<svg onload=alert(4)></svg></p>"
    ),
    "broken-charset": (
        b"From: =?x-unknown?B?!!!?= <y@example.org>\r\nTo: acme@loyaldesk.localhost\r\n"
        b"Subject: =?utf-8?B?w6k?=\r\n"
        b"Message-ID: <h2@example.org>\r\nContent-Type: text/plain; charset=klingon\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n%%%not base64\xff\xfe\r\n"
    ),
    "nested-multipart": b"From: z@example.org\r\nTo: acme@loyaldesk.localhost\r\nSubject: nest\r\n"
    b"Message-ID: <h3@example.org>\r\nMIME-Version: 1.0\r\n"
    + b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (n, n) for n in range(99))
    + b"Content-Type: text/plain\r\n\r\ndeep\r\n",
    "oversized-attachment": b"From: w@example.org\r\nTo: acme@loyaldesk.localhost\r\nSubject: big file\r\n"
    b"Message-ID: <h4@example.org>\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="q"\r\n\r\n'
    b"--q\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--q\r\nContent-Type: application/pdf\r\n"
    b'Content-Disposition: attachment; filename="huge.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
    + (b"QUFB" * 19 + b"\r\n") * (11 * 1024 * 1024 // 57)  # 11 MB decoded, in 76-character lines
    + b"--q--\r\n",
    "svg-and-exe": b"From: v@example.org\r\nTo: acme@loyaldesk.localhost\r\nSubject: files\r\n"
    b"Message-ID: <h5@example.org>\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="q"\r\n\r\n'
    b"--q\r\nContent-Type: text/plain\r\n\r\nphotos\r\n--q\r\nContent-Type: image/svg+xml\r\n"
    b'Content-Disposition: attachment; filename="cat.svg"\r\n\r\n<svg onload="alert(1)"/>\r\n'
    b"--q\r\nContent-Type: application/x-msdownload\r\nContent-Transfer-Encoding: base64\r\n"
    b'Content-Disposition: attachment; filename="invoice.pdf.exe"\r\n\r\n'
    + base64.b64encode(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00")  # a program's start
    + b"\r\n--q\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n"
    b'Content-Disposition: attachment; filename="receipt.png"\r\n\r\n'
    + base64.b64encode(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")  # the signature and first chunk
    + b"\r\n--q--\r\n",
    "no-from": b"To: acme@loyaldesk.localhost\r\nSubject: who am I\r\n"
    b"Message-ID: <h6@example.org>\r\n\r\nhello\r\n",
}


def test_hostile_and_malformed_mail_is_stored_safely_or_refused_politely(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str, receiver: int
):
    for raw in HOSTILE.values():
        deliver(receiver, raw)  # accepted: no crash, no 451
    login(client, make_staff(db, store, "agent", password_hash))
    stored = conversations(db)
    assert len(stored) == len(HOSTILE) - 1  # the message without a sender cannot be answered: dropped
    with db.read() as session:
        html = " ".join(session.scalars(select(Message.body_html)))
        kept = session.scalars(select(Attachment.filename)).all()
        notes = " ".join(session.scalars(select(Message.body)))
    for payload in ("<script", "onerror=", "onload=", 'href="javascript:', "<svg"):
        assert payload not in html
    assert kept == ["receipt.png"]  # the SVG and the program were not kept, and the note says why
    assert "cat.svg" in notes and "invoice.pdf.exe" in notes and "huge.pdf" in notes
    for conversation in stored:
        page = client.get(f"/console/{store.slug}/inbox", params={"c": conversation.id})
        assert page.status_code == 200
        assert "<script>alert" not in page.text and "onerror=alert" not in page.text
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Message)) == len(HOSTILE) - 1
        # What was not kept is accounted for, each with its reason, for the store's admins.
        records = session.execute(
            select(DroppedEmail.subject, DroppedEmail.reason_kind, DroppedEmail.reason).order_by(
                DroppedEmail.id
            )
        ).all()
    assert [(subject, kind) for subject, kind, _ in records] == [
        ("nest", "part_not_kept"),
        ("big file", "part_not_kept"),
        ("files", "part_not_kept"),
        ("who am I", "no_sender"),
    ]
    reasons = [reason for _, _, reason in records]
    assert reasons[0] == (
        "more than 50 multipart containers; the rest not read; "
        "MIME parts nested deeper than 40 levels not read"
    )
    assert reasons[1] == "attachment huge.pdf (over the 10485760-byte part limit)"
    assert "attachment cat.svg (image/svg+xml files are not allowed" in reasons[2]
    assert "attachment invoice.pdf.exe (application/x-msdownload files are not allowed)" in reasons[2]


def test_mail_to_a_store_s_own_support_address_reaches_that_store(
    db: Database, store: StoreHandle, receiver: int
):
    from loyaldesk.kernel.actors import system_for
    from loyaldesk.support.actions import desk_settings

    db.write(
        desk_settings.update_settings,
        system_for(store.id),
        store.id,
        {"support_email": "help@shop.example.com"},
    )
    deliver(
        receiver, mail("Hello", "Is this the shop?", to="help@shop.example.com"), to="help@shop.example.com"
    )
    [conversation] = conversations(db)
    assert conversation.store_id == store.id and texts(db, conversation.id) == ["Is this the shop?"]


def test_a_mail_server_sending_too_much_is_told_to_come_back_later(db: Database, store: StoreHandle) -> None:
    """Over ``mail_messages_per_address`` the receiver answers 451 (the sender keeps the message and
    retries), stores nothing more, and takes mail again once the window has passed."""
    from loyaldesk.kernel.rate_limits import RateLimits

    port = free_port()
    limits = RateLimits({"mail_messages_per_address": "2/minute"})
    controller = start_receiver(db, "loyaldesk.localhost", host="127.0.0.1", port=port, rate_limits=limits)
    try:
        deliver(port, mail("First", "one"))
        deliver(port, mail("Second", "two"))
        with pytest.raises(smtplib.SMTPDataError) as deferred:
            deliver(port, mail("Third", "three"))
        assert deferred.value.smtp_code == 451 and b"try again" in deferred.value.smtp_error
        assert len(conversations(db)) == 2
        limits.reset()  # the window has passed
        deliver(port, mail("Third", "three"))
        assert len(conversations(db)) == 3
    finally:
        controller.stop()
