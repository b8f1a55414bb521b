"""IMAP polling: a store that keeps its existing support mailbox (at its mail provider) has it read every
minute, and each unread message becomes a conversation message like mail to the SMTP receiver.

A message is marked ``\\Seen`` only after it is stored, so a crash in between reads it again next time and
the Message-ID de-duplication keeps it once. At most ``BATCH`` messages per pass. The mailbox is read with
no database transaction open; each message is stored in a unit of work of its own, and when the process
runs a write queue the messages fetched together (up to ``GROUP_BYTES``) are handed to it at once, so
that they share durable commits (each is still marked read only after the commit that stored it). A
failure to connect or log in is kept on the store's settings (``imap_last_error``) for the desk settings
page, in our own words (never the server's text: a host pointed at some other service must not read its
answers back to the console), and polling goes on next time. What ``receive_email`` drops is recorded and
logged there, as for the SMTP receiver; a message the server would not hand over is logged and left
unread, to be tried again next time.

Reaching the server follows the install's outbound policy (``kernel.outbound``): the host must resolve
to public addresses only, unless the install allows private networks, and the connection goes to the
address that was checked. The password is only ever sent over TLS, IMAPS or STARTTLS, unless the install
allows plain logins (``LOYALDESK_IMAP_ALLOW_PLAIN_LOGIN``); certificates are verified for the host name.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from sqlalchemy import select

from loyaldesk.channels.email.inbound import INBOUND_EMAIL, ArrivedEmail, receive_email, receive_parsed_emails
from loyaldesk.channels.email.parsing import parse_message
from loyaldesk.kernel.db import Database, UnitOfWork
from loyaldesk.kernel.errors import NotFound
from loyaldesk.kernel.outbound import Destination, OutboundPolicy, OutboundRefused
from loyaldesk.settings import Settings
from loyaldesk.stores import Store
from loyaldesk.support import MailPath, SupportSettings, support_address

log = logging.getLogger("loyaldesk.email.imap")

BATCH = 50
TIMEOUT_SECONDS = 30.0
# Fetched messages handed to the write queue together hold at most about this much memory.
GROUP_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True)
class Mailbox:
    store_id: int
    address: str  # the store's support address: where the mail counts as sent to
    host: str
    port: int
    use_ssl: bool
    username: str
    password: str
    folder: str


def _mailboxes(uow: UnitOfWork, mail_domain: str) -> list[Mailbox]:
    found = []
    for desk, store in uow.session.execute(
        select(SupportSettings, Store)
        .join(Store, Store.id == SupportSettings.store_id)
        .where(SupportSettings.imap_host.is_not(None), SupportSettings.imap_username.is_not(None))
    ):
        found.append(
            Mailbox(
                store_id=store.id,
                address=support_address(store, desk, mail_domain),
                host=desk.imap_host or "",
                port=desk.imap_port,
                use_ssl=desk.imap_ssl,
                username=desk.imap_username or "",
                password=desk.imap_password or "",
                folder=desk.imap_folder or "INBOX",
            )
        )
    return found


@dataclass(frozen=True)
class MailboxAccess:
    """How this install lets loyaldesk reach stores' mail servers."""

    policy: OutboundPolicy = field(default_factory=OutboundPolicy)
    allow_plain_login: bool = False
    # None: the system's trusted certificate authorities (tests bring their own).
    ssl_context: ssl.SSLContext | None = None

    @classmethod
    def of_install(cls, settings: Settings) -> MailboxAccess:
        """What the install's settings allow (the composition root passes them)."""
        return cls(
            OutboundPolicy(allow_private_network=settings.allow_private_network),
            allow_plain_login=settings.imap_allow_plain_login,
        )

    def tls_context(self) -> ssl.SSLContext:
        return self.ssl_context or ssl.create_default_context()


class MailboxError(Exception):
    """Reading a mailbox failed; ``str()`` says what, in our words, for the desk settings page."""


class _PinnedIMAP4(imaplib.IMAP4):
    """IMAP to the checked address; ``host`` stays the name (for STARTTLS's certificate check)."""

    def __init__(self, destination: Destination, timeout: float) -> None:
        self._address = destination.address
        super().__init__(destination.host, destination.port, timeout=timeout)

    def _create_socket(self, timeout: float | None) -> socket.socket:
        return socket.create_connection((self._address, self.port), timeout)


class _PinnedIMAP4_SSL(imaplib.IMAP4_SSL):
    """IMAPS to the checked address, the certificate verified for the name."""

    def __init__(self, destination: Destination, ssl_context: ssl.SSLContext, timeout: float) -> None:
        self._address = destination.address
        super().__init__(destination.host, destination.port, ssl_context=ssl_context, timeout=timeout)

    def _create_socket(self, timeout: float | None) -> socket.socket:
        sock = socket.create_connection((self._address, self.port), timeout)
        return self.ssl_context.wrap_socket(sock, server_hostname=self.host)


def connect(mailbox: Mailbox, access: MailboxAccess) -> imaplib.IMAP4:
    """An IMAP connection ready for LOGIN: over TLS (IMAPS, or STARTTLS on a plain port), unless the
    install allows plain logins and the server offers no TLS. ``MailboxError`` otherwise."""
    try:
        destination = access.policy.destination(mailbox.host, mailbox.port)
    except OutboundRefused as refused:
        raise MailboxError(f"not connecting: {refused}") from None
    try:
        if mailbox.use_ssl:
            return _PinnedIMAP4_SSL(destination, access.tls_context(), TIMEOUT_SECONDS)
        client = _PinnedIMAP4(destination, TIMEOUT_SECONDS)
    except ssl.SSLCertVerificationError:
        raise MailboxError(f"the server's certificate is not valid for {mailbox.host}") from None
    except ssl.SSLError:
        raise MailboxError(
            f"a TLS connection to {mailbox.host} could not be made (is the port right?)"
        ) from None
    except TimeoutError:
        raise MailboxError(f"{mailbox.host} did not answer in time") from None
    except ConnectionRefusedError:
        raise MailboxError(f"{mailbox.host} refused the connection on port {mailbox.port}") from None
    except (OSError, imaplib.IMAP4.error):
        raise MailboxError(f"could not talk IMAP with {mailbox.host}:{mailbox.port}") from None
    if "STARTTLS" in client.capabilities:
        try:
            client.starttls(ssl_context=access.tls_context())
        except ssl.SSLCertVerificationError:
            _close(client)
            raise MailboxError(f"the server's certificate is not valid for {mailbox.host}") from None
        except (ssl.SSLError, OSError, imaplib.IMAP4.error):
            _close(client)
            raise MailboxError(f"{mailbox.host} offered STARTTLS but it failed") from None
    elif not access.allow_plain_login:
        _close(client)
        raise MailboxError(
            f"{mailbox.host} offers no TLS (neither IMAPS nor STARTTLS), so the password is not sent; "
            "use TLS, or the install may allow plain logins (LOYALDESK_IMAP_ALLOW_PLAIN_LOGIN)"
        )
    return client


def _close(client: imaplib.IMAP4) -> None:
    with contextlib.suppress(OSError, imaplib.IMAP4.error):
        client.shutdown()


Connector = Callable[[Mailbox, MailboxAccess], imaplib.IMAP4]


def poll_mailbox(
    database: Database,
    mailbox: Mailbox,
    mail_domain: str,
    access: MailboxAccess,
    connector: Connector = connect,
) -> int:
    """Store the mailbox's unread messages (at most ``BATCH``); returns how many were read.
    ``MailboxError`` (in our words) when the server cannot be reached, refuses the login or fails."""
    read = 0
    client = connector(mailbox, access)
    try:
        try:
            client.login(mailbox.username, mailbox.password)
        except imaplib.IMAP4.error:
            raise MailboxError("the server refused the user name or password") from None
        try:
            status, _ = client.select(_quoted(mailbox.folder))
        except imaplib.IMAP4.error:
            status = "NO"
        if status != "OK":
            raise MailboxError(f"the folder {mailbox.folder!r} could not be opened")
        status, found = client.uid("SEARCH", "UNSEEN")
        uids = [uid.decode() for uid in (found[0] or b"").split()[:BATCH]] if status == "OK" and found else []
        fetched: list[tuple[str, bytes]] = []
        size = 0
        for position, uid in enumerate(uids, start=1):
            status, parts = client.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next((part[1] for part in parts or [] if isinstance(part, tuple) and len(part) > 1), None)
            if status != "OK" or not isinstance(raw, bytes):
                log.warning(
                    "store %s: the IMAP server did not hand over message UID %s (%s); left unread",
                    mailbox.store_id,
                    uid,
                    status,
                )
            else:
                fetched.append((uid, raw))
                size += len(raw)
            if fetched and (size >= GROUP_BYTES or position == len(uids)):
                read += _store_and_mark_read(database, client, mailbox, mail_domain, fetched)
                fetched, size = [], 0
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            client.logout()
    return read


def _store_and_mark_read(
    database: Database,
    client: imaplib.IMAP4,
    mailbox: Mailbox,
    mail_domain: str,
    fetched: list[tuple[str, bytes]],
) -> int:
    """Store ``fetched`` (uid, raw) messages and mark each read once its commit is done: through the
    write queue all at once when one runs here (merged into ``receive_parsed_emails`` calls), else each in
    a transaction of its own. Returns how many were read."""
    recipients = [mailbox.address]
    options: dict[str, Any] = {"mail_domain": mail_domain, "path": MailPath.IMAP}
    queue = database.write_queue
    waits: list[tuple[str, Callable[[], object]]]
    if queue is not None and queue.running and not queue.is_writer_thread():
        key = (INBOUND_EMAIL, mail_domain, MailPath.IMAP)
        # Parsed first, then handed over together, so that the writer finds them all waiting.
        arrived = [(uid, ArrivedEmail(parse_message(raw), raw, (mailbox.address,))) for uid, raw in fetched]
        submit = queue.submit_coalesced
        futures = [(uid, submit(key, receive_parsed_emails, item=item, **options)) for uid, item in arrived]
        waits = [(uid, partial(_raise_refusal, future.result)) for uid, future in futures]
    else:
        write = database.write
        waits = [(uid, partial(write, receive_email, raw, recipients, **options)) for uid, raw in fetched]
    read = 0
    for uid, stored in waits:
        try:
            stored()
        except NotFound:  # the support address changed since this pass began
            log.warning(
                "store %s: %s is no support address now; message UID %s left unread",
                mailbox.store_id,
                mailbox.address,
                uid,
            )
            continue
        client.uid("STORE", uid, "+FLAGS", "(\\Seen)")
        read += 1
    return read


def _raise_refusal(result: Callable[[], object]) -> object:
    outcome = result()
    if isinstance(outcome, NotFound):
        raise outcome
    return outcome


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _note_error(uow: UnitOfWork, store_id: int, error: str | None) -> None:
    desk = uow.session.scalar(select(SupportSettings).where(SupportSettings.store_id == store_id))
    if desk is not None and desk.imap_last_error != error:
        desk.imap_last_error = error


DEFAULT_MAIL_DOMAIN: str = Settings.model_fields["mail_domain"].default


def poll_all(
    database: Database,
    access: MailboxAccess | None = None,
    connector: Connector = connect,
    *,
    mail_domain: str = DEFAULT_MAIL_DOMAIN,
) -> int:
    """Poll every store's mailbox once (reaching servers as ``access`` allows: public addresses and
    encrypted logins only by default); a failing mailbox is noted and does not stop the others.
    ``mail_domain`` is the install's (``Settings.mail_domain``): the stores' default support addresses."""
    access = access or MailboxAccess()
    total = 0
    for mailbox in database.write(_mailboxes, mail_domain):
        try:
            total += poll_mailbox(database, mailbox, mail_domain, access, connector)
        except MailboxError as error:
            log.warning("polling the mailbox of store %s failed: %s", mailbox.store_id, error)
            database.write(_note_error, mailbox.store_id, str(error)[:500])
            continue
        except (imaplib.IMAP4.error, OSError, ssl.SSLError) as error:
            # The server's own words stay out of the console (and out of the log but for their kind).
            log.warning("reading the mailbox of store %s failed (%s)", mailbox.store_id, type(error).__name__)
            database.write(_note_error, mailbox.store_id, "the server failed while the mailbox was read")
            continue
        database.write(_note_error, mailbox.store_id, None)
    return total
