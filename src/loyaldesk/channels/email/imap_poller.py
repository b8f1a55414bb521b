"""IMAP polling: a store that keeps its existing support mailbox (at its mail provider) has it read every
minute, and each unread message becomes a conversation message like mail to the SMTP receiver.

A message is marked ``\\Seen`` only after it is stored, so a crash in between reads it again next time and
the Message-ID de-duplication keeps it once. At most ``BATCH`` messages per pass. The mailbox is read with
no database transaction open; each message is stored in its own. A failure to connect or log in is kept
on the store's settings (``imap_last_error``) for the desk settings page, and polling goes on next time.
What ``receive_email`` drops is recorded and logged there, as for the SMTP receiver; a message the server
would not hand over is logged and left unread, to be tried again next time.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import ssl
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from loyaldesk.kernel.db import Database, UnitOfWork
from loyaldesk.kernel.errors import NotFound
from loyaldesk.kernel.jobs import jobs
from loyaldesk.settings import get_settings
from loyaldesk.stores.models import Store
from loyaldesk.support.dropped_mail import MailPath
from loyaldesk.support.email_inbound import receive_email
from loyaldesk.support.email_outbox import support_address
from loyaldesk.support.models import SupportSettings

log = logging.getLogger("loyaldesk.email.imap")

BATCH = 50
TIMEOUT_SECONDS = 30.0


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


def connect(mailbox: Mailbox) -> imaplib.IMAP4:
    if mailbox.use_ssl:
        return imaplib.IMAP4_SSL(
            mailbox.host, mailbox.port, ssl_context=ssl.create_default_context(), timeout=TIMEOUT_SECONDS
        )
    return imaplib.IMAP4(mailbox.host, mailbox.port, timeout=TIMEOUT_SECONDS)


def poll_mailbox(
    database: Database,
    mailbox: Mailbox,
    mail_domain: str,
    connector: Callable[[Mailbox], imaplib.IMAP4] = connect,
) -> int:
    """Store the mailbox's unread messages (at most ``BATCH``); returns how many were read."""
    read = 0
    client = connector(mailbox)
    try:
        client.login(mailbox.username, mailbox.password)
        status, _ = client.select(_quoted(mailbox.folder))
        if status != "OK":
            raise imaplib.IMAP4.error(f"cannot open folder {mailbox.folder!r}")
        status, found = client.uid("SEARCH", "UNSEEN")
        uids = [uid.decode() for uid in (found[0] or b"").split()[:BATCH]] if status == "OK" and found else []
        for uid in uids:
            status, parts = client.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next((part[1] for part in parts or [] if isinstance(part, tuple) and len(part) > 1), None)
            if status != "OK" or not isinstance(raw, bytes):
                log.warning(
                    "store %s: the IMAP server did not hand over message UID %s (%s); left unread",
                    mailbox.store_id,
                    uid,
                    status,
                )
                continue
            try:
                database.write(
                    receive_email, raw, [mailbox.address], mail_domain=mail_domain, path=MailPath.IMAP
                )
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
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            client.logout()
    return read


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _note_error(uow: UnitOfWork, store_id: int, error: str | None) -> None:
    desk = uow.session.scalar(select(SupportSettings).where(SupportSettings.store_id == store_id))
    if desk is not None and desk.imap_last_error != error:
        desk.imap_last_error = error


def poll_all(database: Database, connector: Callable[[Mailbox], imaplib.IMAP4] = connect) -> int:
    """Poll every store's mailbox once; a failing mailbox is noted and does not stop the others."""
    mail_domain = get_settings().mail_domain
    total = 0
    for mailbox in database.write(_mailboxes, mail_domain):
        try:
            total += poll_mailbox(database, mailbox, mail_domain, connector)
        except (imaplib.IMAP4.error, OSError, ssl.SSLError) as error:
            log.warning("polling the mailbox of store %s failed: %s", mailbox.store_id, error)
            database.write(_note_error, mailbox.store_id, f"{type(error).__name__}: {error}"[:500])
            continue
        database.write(_note_error, mailbox.store_id, None)
    return total


@jobs.every_outside(60, name="support.poll_imap")
def poll_imap(database: Database) -> int:
    return poll_all(database)
