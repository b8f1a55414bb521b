"""Polling a store's existing mailbox over IMAP (against a small IMAP server on 127.0.0.1): unread mail
becomes conversations, each message once, read messages are marked seen only after they are stored, and
a wrong password is reported on the desk settings without stopping anything."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from loyaldesk.channels.email import imap_poller
from loyaldesk.kernel.actors import system_for
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.outbound import OutboundPolicy
from loyaldesk.settings import Settings
from loyaldesk.support.actions import desk_settings
from loyaldesk.support.models import Conversation, Message, SupportSettings
from tests.channels.fake_imap import FakeImapServer, Mailbox
from tests.factories import StoreHandle, login, make_staff

# These tests read a plain-IMAP server on this machine: an install that allows both.
LOCAL = imap_poller.MailboxAccess(OutboundPolicy(allow_private_network=True), allow_plain_login=True)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"allow_private_network": True, "imap_allow_plain_login": True})


def raw_mail(subject: str, body: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Lea <lea@example.org>"
    message["To"] = "support@shop.example"
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="example.org")
    message.set_content(body)
    return message.as_bytes()


def configure(db: Database, store: StoreHandle, port: int, password: str = "secret") -> None:
    db.write(
        desk_settings.update_settings,
        system_for(store.id),
        store.id,
        {
            "support_email": "support@shop.example",
            "imap_host": "127.0.0.1",
            "imap_port": port,
            "imap_ssl": False,
            "imap_username": "support@shop.example",
            "imap_password": password,
            "imap_folder": "INBOX",
        },
    )


def test_unread_mail_becomes_conversations_once(db: Database, store: StoreHandle) -> None:
    box = Mailbox()
    box.add(raw_mail("Size exchange", "Can I swap the M for an L?"))
    box.add(raw_mail("Invoice", "Please send me the invoice for order 1002."))
    with FakeImapServer(box) as server:
        configure(db, store, server.port)
        assert imap_poller.poll_all(db, LOCAL) == 2
        assert box.seen == {1, 2}
        assert imap_poller.poll_all(db, LOCAL) == 0  # nothing unread: nothing stored twice
        box.seen.discard(1)  # someone marked it unread again in their mail program
        assert imap_poller.poll_all(db, LOCAL) == 1
    with db.read() as session:
        conversations = session.scalars(select(Conversation).order_by(Conversation.id)).all()
        bodies = session.scalars(select(Message.body).order_by(Message.id)).all()
    assert [c.subject for c in conversations] == ["Size exchange", "Invoice"]
    assert {c.channel for c in conversations} == {"email"} and {c.store_id for c in conversations} == {
        store.id
    }
    assert bodies == ["Can I swap the M for an L?", "Please send me the invoice for order 1002."]


def test_a_wrong_password_is_reported_and_polling_goes_on(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    box = Mailbox()
    box.add(raw_mail("Hello", "Anyone there?"))
    with FakeImapServer(box) as server:
        configure(db, store, server.port, password="wrong")
        assert imap_poller.poll_all(db, LOCAL) == 0
        with db.read() as session:
            error = session.scalars(select(SupportSettings.imap_last_error)).one()
        assert error == "the server refused the user name or password"
        login(client, make_staff(db, store, "admin", password_hash))
        assert "refused the user name or password" in client.get("/console/acme/inbox-settings/desk").text
        # The admin corrects the password on the desk settings page.
        page = client.get("/console/acme/inbox-settings/desk").text
        from tests.factories import csrf_of

        saved = client.post(
            "/console/acme/inbox-settings/desk/mailbox",
            data={
                "imap_host": "127.0.0.1",
                "imap_port": str(server.port),
                "imap_username": "support@shop.example",
                "imap_password": "secret",
                "imap_folder": "INBOX",
                "csrf_token": csrf_of(page),
            },
            follow_redirects=False,
        )
        assert saved.status_code == 303
        assert imap_poller.poll_all(db, LOCAL) == 1
        with db.read() as session:
            assert session.scalars(select(SupportSettings.imap_last_error)).one() is None
    from loyaldesk.stores.models import AuditLogEntry

    with db.read() as session:
        details = [str(entry.details) for entry in session.scalars(select(AuditLogEntry))]
    assert all("secret" not in text for text in details)  # the password never reaches the audit log
