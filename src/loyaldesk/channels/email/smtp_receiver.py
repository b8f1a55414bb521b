"""The built-in SMTP receiver: mail for a store's support address becomes a conversation message.

Run it with ``loyaldesk mail-receiver`` behind the store's MX (or a relay that forwards to it). It is an
aiosmtpd server: recipients that are no store's support address are refused at RCPT (550, so the sender
learns at once and no backscatter is produced, and the refusal is logged: no store to record it for);
accepted mail is parsed in a worker thread and stored through ``channels.email.inbound`` by the process's
write queue (``kernel/write_queue.py``): messages arriving together on several connections are merged
into one ``receive_parsed_emails`` call and share one durable commit; each is answered 250 only after the
commit that stored it. A database
failure answers 451 so that the sending server retries later and nothing is lost, and so does a server that
sends more than ``mail_messages_per_address`` messages (kernel/rate_limits.py). Mail dropped by the
loop guard is still accepted (250): refusing it would bounce a bounce; ``receive_email`` records and
logs it for the store's admins.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session

from loyaldesk.channels.email.inbound import INBOUND_EMAIL, ArrivedEmail, receive_parsed_emails
from loyaldesk.channels.email.mail_stores import cached_mail_store, store_for_addresses
from loyaldesk.channels.email.parsing import parse_message
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.errors import NotFound, RateLimited
from loyaldesk.kernel.rate_limits import MAIL_MESSAGES_PER_ADDRESS, RateLimits
from loyaldesk.kernel.write_queue import WriteQueue
from loyaldesk.support import MailPath

log = logging.getLogger("loyaldesk.email.smtp")

MAX_MESSAGE_BYTES = 25 * 1024 * 1024
MAX_RECIPIENTS = 50


class InboundMailHandler:
    """aiosmtpd handler hooks (``handle_RCPT``, ``handle_DATA``) over a loyaldesk database."""

    def __init__(self, database: Database, mail_domain: str, rate_limits: RateLimits | None = None) -> None:
        self.database = database
        self.mail_domain = mail_domain
        self.rate_limits = rate_limits or RateLimits()

    def _known(self, address: str) -> bool:
        with self.database.read() as session:
            return store_for_addresses(session, [address], self.mail_domain) is not None

    async def handle_RCPT(
        self, server: Any, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 too many recipients"
        cached = cached_mail_store(self.database.read_engine, [address], self.mail_domain)
        if cached is None and not await asyncio.to_thread(self._known, address):
            log.info(
                "refused mail from %r to unknown recipient %r (client %s): 550",
                envelope.mail_from,
                address,
                session.peer,
            )
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        peer = session.peer[0] if isinstance(session.peer, tuple) else str(session.peer)
        try:
            self.rate_limits.hit(MAIL_MESSAGES_PER_ADDRESS, peer)
        except RateLimited as refused:
            log.warning("deferred mail from %r (client %s): %s", envelope.mail_from, peer, refused.message)
            wait = refused.retry_after_seconds
            return f"451 4.7.1 too many messages from your server; try again in {wait} s"
        raw = envelope.original_content or b""
        try:
            email = await asyncio.to_thread(parse_message, raw)  # outside the writer: it never raises
            result = await self.database.write_coalesced_async(
                (INBOUND_EMAIL, self.mail_domain, MailPath.SMTP),
                receive_parsed_emails,
                item=ArrivedEmail(email, raw, tuple(envelope.rcpt_tos)),
                mail_domain=self.mail_domain,
                path=MailPath.SMTP,
            )
            if isinstance(result, NotFound):
                raise result
        except NotFound:  # the recipients' store went away between RCPT and DATA
            log.info(
                "refused mail from %r to %r: no store receives it: 550", envelope.mail_from, envelope.rcpt_tos
            )
            return "550 5.1.1 no such mailbox here"
        except Exception:
            log.exception("storing inbound mail failed; the sender will retry")
            return "451 4.3.0 temporary failure, please retry"
        log.info("inbound mail: %s (%s)", result.outcome, result.reason)
        return "250 2.0.0 accepted"


class _Receiver(Controller):
    """The aiosmtpd controller, and the write queue it started for its database (if it had none)."""

    def __init__(self, handler: InboundMailHandler, own_queue: WriteQueue | None, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.own_queue = own_queue

    def stop(self, no_assert: bool = False) -> None:
        super().stop(no_assert=no_assert)
        if self.own_queue is not None:
            self.own_queue.stop()  # after the server: nothing is left waiting for its commit


def start_receiver(
    database: Database, mail_domain: str, *, host: str, port: int, rate_limits: RateLimits | None = None
) -> Controller:
    """Start the receiver in a background thread; ``.stop()`` ends it. Mail is stored through the
    database's write queue; when none runs (``loyaldesk mail-receiver`` is a process of its own), the
    receiver starts one and stops it with itself."""
    own_queue = None
    if database.write_queue is None or not database.write_queue.running:
        own_queue = WriteQueue(database)
        own_queue.start()
    controller = _Receiver(
        InboundMailHandler(database, mail_domain, rate_limits),
        own_queue,
        hostname=host,
        port=port,
        data_size_limit=MAX_MESSAGE_BYTES,
        server_hostname=mail_domain,
    )
    try:
        controller.start()
    except BaseException:
        if own_queue is not None:
            own_queue.stop()
        raise
    return controller
