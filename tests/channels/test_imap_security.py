"""Reading a store's mailbox goes only where the install allows, and never gives the password away: the
host must resolve to public addresses only (an IMAP server on 127.0.0.1 is refused unless the install
allows private networks), the connection goes to the address that was checked (a resolver answering a
public address and then a private one cannot make us connect to either), LOGIN only over TLS (IMAPS or
STARTTLS, the certificate checked for the host name) unless the install allows plain logins, and what the
console shows is our own words, never the server's banner or answers. All against a real IMAP server on
loopback with certificates from a test CA (trustme)."""

from __future__ import annotations

import ssl
from collections.abc import Iterator

import pytest
import trustme
from fastapi.testclient import TestClient
from sqlalchemy import select

from loyaldesk.channels.email import imap_poller
from loyaldesk.channels.email.imap_poller import MailboxAccess
from loyaldesk.kernel.actors import system_for
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.outbound import OutboundPolicy
from loyaldesk.support.actions import desk_settings
from loyaldesk.support.models import Conversation, SupportSettings
from tests.channels.fake_imap import FakeImapServer, Mailbox
from tests.channels.test_imap_polling import raw_mail
from tests.factories import StoreHandle, csrf_of, login, make_staff, table_counts

HOST = "mail.shop.test"


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def server_context(ca: trustme.CA, name: str = HOST) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(name).configure_cert(context)
    return context


def client_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


def resolving(*addresses: str) -> OutboundPolicy:
    """The policy of an install that does not allow private networks, with HOST resolving so."""
    return OutboundPolicy(resolver=lambda host, _port: list(addresses) if host == HOST else [])


def configure(db: Database, store: StoreHandle, port: int, *, use_ssl: bool, host: str = HOST) -> None:
    db.write(
        desk_settings.update_settings,
        system_for(store.id),
        store.id,
        {
            "support_email": "support@shop.example",
            "imap_host": host,
            "imap_port": port,
            "imap_ssl": use_ssl,
            "imap_username": "support@shop.example",
            "imap_password": "secret",
            "imap_folder": "INBOX",
        },
    )


def last_error(db: Database) -> str | None:
    with db.read() as session:
        return session.scalars(select(SupportSettings.imap_last_error)).one()


@pytest.fixture
def box() -> Mailbox:
    mailbox = Mailbox()
    mailbox.add(raw_mail("Hello", "Where is my parcel?"))
    return mailbox


@pytest.fixture
def starttls_server(box: Mailbox, ca: trustme.CA) -> Iterator[FakeImapServer]:
    with FakeImapServer(box, tls=server_context(ca)) as server:
        yield server


def test_a_mailbox_on_a_private_address_is_refused_unless_the_install_allows_it(
    db: Database, store: StoreHandle, box: Mailbox, ca: trustme.CA, starttls_server: FakeImapServer
) -> None:
    configure(db, store, starttls_server.port, use_ssl=False)
    refused = MailboxAccess(resolving("127.0.0.1"), ssl_context=client_context(ca))
    assert imap_poller.poll_all(db, refused) == 0
    assert box.connections == 0 and box.logins == 0
    assert "resolves to a loopback address" in (last_error(db) or "")

    allowed = MailboxAccess(
        OutboundPolicy(allow_private_network=True, resolver=refused.policy.resolver),
        ssl_context=client_context(ca),
    )
    assert imap_poller.poll_all(db, allowed) == 1
    assert last_error(db) is None


def test_a_resolver_answering_public_then_private_reaches_neither(
    db: Database, store: StoreHandle, box: Mailbox, ca: trustme.CA, starttls_server: FakeImapServer
) -> None:
    configure(db, store, starttls_server.port, use_ssl=False)
    for addresses in (("93.184.216.34", "127.0.0.1"), ("127.0.0.1", "93.184.216.34"), ("::ffff:127.0.0.1",)):
        access = MailboxAccess(resolving(*addresses), ssl_context=client_context(ca))
        assert imap_poller.poll_all(db, access) == 0
        assert "only public addresses" in (last_error(db) or ""), addresses
    assert box.connections == 0  # nothing was opened, to the private address or any other


def test_login_goes_over_starttls_and_the_connection_to_the_checked_address(
    db: Database, store: StoreHandle, box: Mailbox, ca: trustme.CA, starttls_server: FakeImapServer
) -> None:
    configure(db, store, starttls_server.port, use_ssl=False)
    # The name resolves to loopback (allowed here); the certificate is for the name, not the address.
    access = MailboxAccess(
        OutboundPolicy(allow_private_network=True, resolver=lambda host, _port: ["127.0.0.1"]),
        ssl_context=client_context(ca),
    )
    assert imap_poller.poll_all(db, access) == 1
    assert box.logins == 1
    commands = dict(box.commands)
    assert commands["STARTTLS"] is False and commands["LOGIN"] is True  # LOGIN only after STARTTLS
    with db.read() as session:
        assert session.scalars(select(Conversation.subject)).one() == "Hello"


def test_imaps_checks_the_certificate_for_the_host_name(
    db: Database, store: StoreHandle, box: Mailbox, ca: trustme.CA
) -> None:
    access = MailboxAccess(
        OutboundPolicy(allow_private_network=True, resolver=lambda host, _port: ["127.0.0.1"]),
        ssl_context=client_context(ca),
    )
    with FakeImapServer(box, tls=server_context(ca, "someone-else.test"), implicit_tls=True) as server:
        configure(db, store, server.port, use_ssl=True)
        assert imap_poller.poll_all(db, access) == 0
        assert last_error(db) == f"the server's certificate is not valid for {HOST}"
        assert box.logins == 0
    with FakeImapServer(box, tls=server_context(ca), implicit_tls=True) as server:
        configure(db, store, server.port, use_ssl=True)
        assert imap_poller.poll_all(db, access) == 1
        assert all(over_tls for _, over_tls in box.commands)


def test_login_never_goes_in_clear_unless_the_install_allows_it(
    db: Database, store: StoreHandle, box: Mailbox
) -> None:
    policy = OutboundPolicy(allow_private_network=True, resolver=lambda host, _port: ["127.0.0.1"])
    with FakeImapServer(box) as server:  # no TLS of any kind
        configure(db, store, server.port, use_ssl=False)
        assert imap_poller.poll_all(db, MailboxAccess(policy)) == 0
        assert "LOGIN" not in dict(box.commands) and box.logins == 0
        assert "offers no TLS" in (last_error(db) or "")
        assert imap_poller.poll_all(db, MailboxAccess(policy, allow_plain_login=True)) == 1


def test_the_console_shows_our_words_never_the_servers(
    client: TestClient, db: Database, store: StoreHandle, box: Mailbox, password_hash: str
) -> None:
    box.greeting = "internal-imap-7.corp ready, Dovecot build 2.3.1 (redis at 10.0.0.9:6379)"
    box.login_refusal = "[AUTHENTICATIONFAILED] user support@shop.example not in ldap://10.0.0.3"
    policy = OutboundPolicy(allow_private_network=True, resolver=lambda host, _port: ["127.0.0.1"])
    with FakeImapServer(box) as server:
        configure(db, store, server.port, use_ssl=False)
        db.write(desk_settings.update_settings, system_for(store.id), store.id, {"imap_password": "wrong"})
        assert imap_poller.poll_all(db, MailboxAccess(policy, allow_plain_login=True)) == 0
    assert last_error(db) == "the server refused the user name or password"
    login(client, make_staff(db, store, "admin", password_hash))
    page = client.get(f"/console/{store.slug}/inbox-settings/desk").text
    assert "refused the user name or password" in page
    for leaked in ("internal-imap-7", "Dovecot", "10.0.0.9", "ldap://", "AUTHENTICATIONFAILED"):
        assert leaked not in page and leaked not in (last_error(db) or "")


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "10.0.0.5", "169.254.169.254", "[::1]", "::ffff:10.0.0.1", "64:ff9b::a00:1", "localhost"],
)
def test_the_mailbox_form_refuses_a_host_that_is_not_public(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str, host: str
) -> None:
    login(client, make_staff(db, store, "admin", password_hash))
    page = client.get(f"/console/{store.slug}/inbox-settings/desk").text
    before = table_counts(db, "support_settings", "audit_log")
    response = client.post(
        f"/console/{store.slug}/inbox-settings/desk/mailbox",
        data={
            "imap_host": host,
            "imap_port": "993",
            "imap_ssl": "true",
            "imap_username": "support@shop.example",
            "imap_password": "secret",
            "csrf_token": csrf_of(page),
        },
        headers={"accept": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["fields"][0]["field"] == "imap_host"
    assert table_counts(db, "support_settings", "audit_log") == before
    with db.read() as session:
        assert session.scalars(select(SupportSettings.imap_host)).first() is None
