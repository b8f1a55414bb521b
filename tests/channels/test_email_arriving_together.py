"""Mail that arrives together: several mail servers delivering at once to the SMTP receiver, and one IMAP
pass, share durable commits through the write queue, and each message is acknowledged (250, or marked
read on the IMAP server) only once it is stored; a store's support address that changes is honoured at
once by the receiver of the same process."""

from __future__ import annotations

import smtplib
import threading
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from sqlalchemy import func, select

from loyaldesk.channels.email import imap_poller
from loyaldesk.channels.email.smtp_receiver import start_receiver
from loyaldesk.kernel.actors import system_for
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.outbound import OutboundPolicy
from loyaldesk.kernel.write_queue import WriteQueue
from loyaldesk.support.actions import desk_settings
from loyaldesk.support.models import Conversation, Message
from tests.channels.fake_imap import FakeImapServer, Mailbox
from tests.factories import StoreHandle
from tests.servers import free_port

DOMAIN = "loyaldesk.localhost"
SUPPORT = f"acme@{DOMAIN}"


def mail(
    sender: str, subject: str, body: str, to: str = SUPPORT, in_reply_to: str | None = None
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="example.org")
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    message.set_content(body)
    return message


def stored(db: Database, message_id: str) -> bool:
    from loyaldesk.channels.email.inbound import email_source_key

    with db.read() as session:
        key = email_source_key(message_id.strip("<>"))
        return session.scalar(select(func.count()).where(Message.dedupe_key == key)) == 1


def test_servers_delivering_at_once_share_commits_and_each_is_stored_before_its_250(
    db: Database, store: StoreHandle
) -> None:
    port = free_port()
    controller = start_receiver(db, DOMAIN, host="127.0.0.1", port=port)
    queue = db.write_queue
    assert queue is not None and queue.running  # the receiver started the process's write queue
    not_stored_at_250: list[str] = []
    failures: list[BaseException] = []

    def server(n: int) -> None:
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
                first = mail(f"Customer {n} <c{n}@example.org>", f"Question {n}", f"Hello from {n}")
                follow_up = mail(
                    f"Customer {n} <c{n}@example.org>", f"Re: Question {n}", f"And more from {n}",
                    in_reply_to=first["Message-ID"],
                )  # fmt: skip
                for message in (first, follow_up):
                    client.send_message(message)  # returns on 250
                    if not stored(db, message["Message-ID"]):
                        not_stored_at_250.append(message["Message-ID"])
        except BaseException as error:  # reported below, in the test's thread
            failures.append(error)

    try:
        threads = [threading.Thread(target=server, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        controller.stop()
    assert failures == [] and not_stored_at_250 == []
    assert queue.units == 16 and queue.commits <= 16
    assert db.write_queue is None  # the receiver's own queue stopped with it
    with db.read() as session:
        counts = dict(
            session.execute(
                select(Conversation.subject, Conversation.message_count).where(
                    Conversation.store_id == store.id
                )
            ).all()
        )
    assert counts == {f"Question {n}": 2 for n in range(8)}  # each follow-up threaded to its question


def test_a_changed_support_address_is_honoured_at_once(db: Database, store: StoreHandle) -> None:
    port = free_port()
    controller = start_receiver(db, DOMAIN, host="127.0.0.1", port=port)
    change = {"support_email": "help@shop.example"}
    try:
        db.write(desk_settings.update_settings, system_for(store.id), store.id, change)
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.send_message(mail("Mia <mia@example.org>", "First", "Hi", to="help@shop.example"))
        change = {"support_email": "care@shop.example"}
        db.write(desk_settings.update_settings, system_for(store.id), store.id, change)
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            with pytest.raises(smtplib.SMTPRecipientsRefused):
                client.send_message(mail("Mia <mia@example.org>", "Old", "Hi", to="help@shop.example"))
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.send_message(mail("Mia <mia@example.org>", "New", "Hi", to="care@shop.example"))
    finally:
        controller.stop()
    with db.read() as session:
        subjects = session.scalars(select(Conversation.subject).order_by(Conversation.id)).all()
    assert subjects == ["First", "New"]


def test_one_imap_pass_goes_through_the_write_queue_and_marks_each_read_after_its_commit(
    db: Database, store: StoreHandle
) -> None:
    box = Mailbox()
    for n in range(6):
        box.add(mail(f"Customer {n} <c{n}@example.org>", f"Subject {n}", f"Body {n}").as_bytes())
    queue = WriteQueue(db)
    queue.start()
    try:
        with FakeImapServer(box) as server:
            db.write(
                desk_settings.update_settings,
                system_for(store.id),
                store.id,
                {
                    "support_email": "support@shop.example",
                    "imap_host": "127.0.0.1",
                    "imap_port": server.port,
                    "imap_ssl": False,
                    "imap_username": "support@shop.example",
                    "imap_password": "secret",
                    "imap_folder": "INBOX",
                },
            )
            units_before, commits_before = queue.units, queue.commits
            access = imap_poller.MailboxAccess(
                OutboundPolicy(allow_private_network=True), allow_plain_login=True
            )
            assert imap_poller.poll_all(db, access, mail_domain=DOMAIN) == 6
            assert box.seen == {1, 2, 3, 4, 5, 6}
            assert queue.units - units_before >= 6  # stored by the writer thread, not beside it
            assert queue.commits - commits_before < 6  # handed over together: they shared commits
    finally:
        queue.stop()
    with db.read() as session:
        subjects = session.scalars(select(Conversation.subject).order_by(Conversation.id)).all()
    assert subjects == [f"Subject {n}" for n in range(6)]


def test_a_batch_stores_what_each_message_alone_would(
    db: Database, store: StoreHandle, other_store: StoreHandle
) -> None:
    """One ``receive_parsed_emails`` batch holding a question, a reply to it, the question again, a reply
    to a conversation stored before and an auto-reply gives the outcomes, conversations and messages the
    same mail gets message by message."""
    from loyaldesk.channels.email.inbound import ArrivedEmail, receive_email, receive_parsed_emails
    from loyaldesk.channels.email.parsing import parse_message

    def mix(to: str) -> tuple[bytes, list[bytes]]:
        earlier = mail("Ana <ana@example.org>", "Earlier", "Stored before", to=to)
        question = mail("Bo <bo@example.org>", "Question", "Where is my parcel?", to=to)
        reply = mail(
            "Bo <bo@example.org>", "Re: Question", "It is urgent", to=to, in_reply_to=question["Message-ID"]
        )
        follow_up = mail(
            "Ana <ana@example.org>", "Re: Earlier", "Any news?", to=to, in_reply_to=earlier["Message-ID"]
        )
        auto = mail("Ana <ana@example.org>", "Out of office", "Away", to=to)
        auto["Auto-Submitted"] = "auto-replied"
        batch = [question.as_bytes(), question.as_bytes(), reply.as_bytes(), follow_up.as_bytes()]
        return earlier.as_bytes(), [*batch, follow_up.as_bytes(), auto.as_bytes()]

    def conversations(store_id: int) -> list[tuple[str, int, str, list[str]]]:
        with db.read() as session:
            rows = session.scalars(
                select(Conversation).where(Conversation.store_id == store_id).order_by(Conversation.id)
            ).all()
            return [
                (
                    row.subject,
                    row.message_count,
                    row.status,
                    list(
                        session.scalars(
                            select(Message.body).where(Message.conversation_id == row.id).order_by(Message.id)
                        )
                    ),
                )
                for row in rows
            ]

    outcomes = {}
    for handle, batched in ((store, True), (other_store, False)):
        to = f"{handle.slug}@{DOMAIN}"
        earlier, raws = mix(to)
        db.write(receive_email, earlier, [to], mail_domain=DOMAIN)
        if batched:
            arrived = [ArrivedEmail(parse_message(raw), raw, (to,)) for raw in raws]
            results = db.write(receive_parsed_emails, arrived, mail_domain=DOMAIN)
        else:
            results = [db.write(receive_email, raw, [to], mail_domain=DOMAIN) for raw in raws]
        outcomes[batched] = [result.outcome for result in results]
    assert (
        outcomes[True] == outcomes[False] == ["new", "duplicate", "joined", "joined", "duplicate", "dropped"]
    )
    assert conversations(store.id) == conversations(other_store.id)
    assert [(subject, count) for subject, count, *_ in conversations(store.id)] == [
        ("Earlier", 2),
        ("Question", 2),
    ]
