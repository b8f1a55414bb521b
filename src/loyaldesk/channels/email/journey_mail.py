"""Journeys' messages by email: the ``ChannelAdapter`` for ``Channel.EMAIL``.

Journeys decides whether and when; this adapter finds the customer's address and hands one rendered
message (``journeys.OutgoingMessage``: text and HTML, subject, List-Unsubscribe...) to the install's SMTP
server through ``kernel.mail_transport``. It is called outside any transaction and never raises.

The message: ``multipart/alternative`` (the plain text, then the HTML); From the store's sender (its name
and address from the messaging settings, else the install's account mail sender, else
``no-reply@<mail domain>``); ``Message-ID`` derived from the send's idempotency key, so the same send is
always the same message (a retried send is recognisable as one message by the receiving side);
``Auto-Submitted: auto-generated`` on everything that is not marketing (RFC 3834: no auto-replies to it).

What the SMTP server answers, and what journeys makes of it:

* accepted: ``SENT``, with the Message-ID as the provider id;
* the recipient refused with a 5xx (550 no such mailbox, 553 bad address...): ``FAILED``, never retried;
* the recipient refused with a 4xx (greylisting, mailbox full, try later): ``RETRY``;
* a 4xx or a 5xx for the whole transaction (MAIL FROM or DATA refused, 554 transaction failed, 552
  message too big): ``RETRY``. Such an answer is about the sending side or the server's state (a
  misconfigured sender, a server in trouble), not about this recipient, so dropping the message would be
  wrong; journeys' retries are bounded by the send's expiry;
* no connection, a timeout, a dropped connection, TLS or login failing: ``RETRY``;
* no SMTP server configured: ``RETRY`` with an error saying so (mail waits until one is set up).
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formataddr, formatdate

from sqlalchemy.orm import Session

from loyaldesk.customers import Customer
from loyaldesk.journeys import (
    Channel,
    DeliveryResult,
    DeliveryStatus,
    MessageCategory,
    OutgoingMessage,
)
from loyaldesk.kernel.mail_transport import MailTransport
from loyaldesk.settings import Settings

log = logging.getLogger("loyaldesk.journeys.email")


class JourneyEmailAdapter:
    """Sends journeys' email through ``transport`` (None: no SMTP server configured)."""

    channel = Channel.EMAIL

    def __init__(self, transport: MailTransport | None, settings: Settings) -> None:
        self.transport = transport
        self.mail_domain = settings.mail_domain
        self.default_sender = settings.account_mail_from or f"no-reply@{settings.mail_domain}"

    def address_of(self, session: Session, store_id: int, customer_id: int, /) -> str | None:
        """The customer's email address; None when they have none, are erased or are not the store's."""
        customer = session.get(Customer, customer_id)
        if customer is None or customer.store_id != store_id or customer.erased_at is not None:
            return None
        address = (customer.email or "").strip()
        return address if "@" in address else None

    def message_id(self, idempotency_key: str) -> str:
        digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
        return f"<{digest}@{self.mail_domain}>"

    def compose(self, message: OutgoingMessage) -> tuple[str, EmailMessage]:
        """The sender's address and the MIME message for ``message``."""
        sender = (message.sender_email or "").strip() or self.default_sender
        mail = EmailMessage(policy=SMTP)
        mail["From"] = formataddr((message.sender_name or "", sender))
        mail["To"] = formataddr((message.recipient.name or "", message.recipient.address))
        mail["Subject"] = message.subject
        mail["Date"] = formatdate(usegmt=True)
        mail["Message-ID"] = self.message_id(message.idempotency_key)
        for name, value in message.headers.items():
            if "\n" not in value and "\r" not in value and name.lower() not in _OWN_HEADERS:
                mail[name] = value
        if message.category is not MessageCategory.MARKETING:
            mail["Auto-Submitted"] = "auto-generated"
        mail.set_content(message.text)
        if message.html:
            mail.add_alternative(message.html, subtype="html")
        for attachment in message.attachments:
            _attach(mail, attachment)
        return sender, mail

    def deliver(self, message: OutgoingMessage, /) -> DeliveryResult:
        """Hand ``message`` to the SMTP server; what happened, as the module's docstring maps it."""
        if self.transport is None:
            return DeliveryResult(
                DeliveryStatus.RETRY, error="no SMTP server is configured (set LOYALDESK_SMTP_HOST)"
            )
        try:
            sender, mail = self.compose(message)
            self.transport.send(sender, message.recipient.address, mail.as_bytes())
        except smtplib.SMTPRecipientsRefused as refused:
            answers = list(refused.recipients.values())
            code, text = answers[0] if answers else (0, b"")
            status = DeliveryStatus.FAILED if 500 <= code < 600 else DeliveryStatus.RETRY
            return DeliveryResult(status, error=f"recipient refused: {code} {_text(text)}")
        except smtplib.SMTPResponseException as answered:
            return DeliveryResult(
                DeliveryStatus.RETRY,
                error=f"the mail server answered {answered.smtp_code} {_text(answered.smtp_error)}",
            )
        except (smtplib.SMTPException, OSError) as trouble:
            return DeliveryResult(DeliveryStatus.RETRY, error=f"mail server unreachable: {trouble}"[:500])
        except Exception as unexpected:  # never raise into the engine: a bug here must not lose the send
            log.exception("journey email %s could not be sent", message.send_id)
            return DeliveryResult(DeliveryStatus.RETRY, error=f"{type(unexpected).__name__}: {unexpected}")
        return DeliveryResult(DeliveryStatus.SENT, provider_id=self.message_id(message.idempotency_key))


_OWN_HEADERS = {"from", "to", "subject", "date", "message-id", "auto-submitted"}


def _text(value: bytes | str) -> str:
    return (value.decode("utf-8", "replace") if isinstance(value, bytes) else value)[:300]


def _attach(mail: EmailMessage, attachment: dict[str, str]) -> None:
    """Add one file (``filename``, ``content_type`` with its parameters, text ``content``): a
    ``text/calendar; method=REQUEST`` invitation is what calendar clients offer to add."""
    kind, _, parameters = attachment.get("content_type", "application/octet-stream").partition(";")
    maintype, _, subtype = kind.strip().partition("/")
    params = {}
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip() and value.strip():
            params[name.strip()] = value.strip().strip('"')
    content = attachment.get("content", "")
    filename = attachment.get("filename") or "attachment"
    if maintype == "text":
        mail.add_attachment(content, subtype=subtype or "plain", filename=filename, params=params)
    else:
        mail.add_attachment(
            content.encode(),
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=filename,
            params=params,
        )
