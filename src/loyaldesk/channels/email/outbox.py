"""Replies by email: an agent's answer to a conversation that the customer follows by email (the chat
widget's offline form, and the email channel) is composed, queued and sent through SMTP.

1. ``EmailReplies.queue_reply`` (a handler of ``MessagePosted``) and ``queue_rating_request`` (of
   ``CsatRequested``: a link to rate the conversation) compose the mail in the transaction that reacts to
   the event: From the store's support address, To the contact's address, threaded under the
   conversation's previous mail (In-Reply-To, References, a conversation token in Reply-To and the
   subject), a text part and a mobile-friendly HTML part (``channels.email.compose``), and queue it as the
   desk's ``OutboundEmail`` row.
2. ``send_due`` (a periodic job outside any transaction) claims due mail with a lease, sends it through
   the ``MailTransport`` with no database lock held, and marks it sent; a failure is kept on the row and
   retried with backoff (``kernel.delivery``).

The install's mail domain and public address come in through ``EmailReplies`` (the composition root
builds it from ``Settings``), never from process-wide settings.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass

from sqlalchemy import select

from loyaldesk.channels.email.compose import build_reply
from loyaldesk.channels.email.threading import compose_reply_headers
from loyaldesk.customers import Customer
from loyaldesk.kernel.db import Database, UnitOfWork
from loyaldesk.kernel.delivery import claim_due, settle
from loyaldesk.kernel.events import StoredEvent
from loyaldesk.kernel.i18n import _, negotiate, use_language
from loyaldesk.kernel.keys import REPLY_ADDRESS, purpose_key
from loyaldesk.kernel.mail_transport import MailTransport
from loyaldesk.kernel.mail_transport import SmtpTransport as SmtpTransport  # moved to the kernel; still here
from loyaldesk.stores import Store
from loyaldesk.support import (
    Contact,
    Conversation,
    CsatRequested,
    Message,
    MessagePosted,
    OutboundEmail,
    SupportSettings,
    csat_link_token,
    follows_by_email,
    support_address,
)

log = logging.getLogger("loyaldesk.support.email")  # the name operators filter on


@dataclass(frozen=True)
class EmailReplies:
    """Queues the desk's replies and rating requests as mail, for an install whose stores' default
    addresses are ``<slug>@<mail_domain>`` and whose rating links start with ``public_base_url``."""

    mail_domain: str
    public_base_url: str

    def queue_reply(self, uow: UnitOfWork, stored: StoredEvent, event: MessagePosted) -> None:
        """Queue an agent's public reply as mail when the customer follows the conversation by email."""
        view = event.message
        if event.internal or view.get("author_kind") != "agent":
            return
        message = uow.session.get(Message, view.get("id"))
        if message is not None:
            _queue(
                uow, stored, self.mail_domain, kind="reply", body=message.body, author=message.author_name,
                message_id=message.id,
            )  # fmt: skip

    def queue_rating_request(self, uow: UnitOfWork, stored: StoredEvent, event: CsatRequested) -> None:
        """Ask a customer who follows the conversation by email to rate it, by a link (the widget asks
        live customers itself)."""
        conversation = uow.session.get(Conversation, event.conversation_id)
        store = uow.session.get(Store, event.store_id)
        if conversation is None or store is None:
            return
        token = csat_link_token(store.identity_secret, conversation.id)
        link = f"{self.public_base_url.rstrip('/')}/csat/{store.slug}/{conversation.id}/{token}"
        with use_language(mail_language(uow, conversation, store)):
            body = (
                _("Your conversation with {store} is resolved. How did we do?", store=store.name)
                + "\n\n"
                + _("Rate it from 1 to 5 (one click, a comment if you like): {link}", link=link)
                + "\n\n"
                + _("If something is still not right, just reply to this email and we will pick it up again.")
            )
        _queue(
            uow, stored, self.mail_domain, kind="csat", body=body, author=store.name, message_id=None,
            automatic=True,
        )  # fmt: skip


def mail_language(uow: UnitOfWork, conversation: Conversation, store: Store) -> str:
    """The language of loyaldesk's own words in mail to the conversation's customer: their profile's, else
    the store's default for shoppers, else English (a mail has no browser to ask)."""
    customer = uow.session.get(Customer, conversation.customer_id) if conversation.customer_id else None
    return negotiate(profile=customer.locale if customer else None, store_default=store.default_language)


def _queue(
    uow: UnitOfWork,
    event: StoredEvent,
    mail_domain: str,
    *,
    kind: str,
    body: str,
    author: str,
    message_id: int | None,
    automatic: bool = False,
) -> None:
    """Compose and queue one mail of the event's conversation, once per event, threaded under the
    conversation's previous mail; nothing when the customer does not follow it by email."""
    dedupe_key = f"event:{event.id}"
    conversation = uow.session.get(Conversation, event.subject_id)
    if conversation is None or not follows_by_email(conversation):
        return
    if uow.session.scalar(select(OutboundEmail.id).where(OutboundEmail.dedupe_key == dedupe_key)):
        return  # this event was handled before (at least once)
    contact = uow.session.get(Contact, conversation.contact_id)
    store = uow.session.get(Store, conversation.store_id)
    # The contact's own address, else (a conversation loyaldesk opened for a known customer, such as a
    # detractor's follow-up) the customer's.
    customer = uow.session.get(Customer, conversation.customer_id) if conversation.customer_id else None
    address = (contact.email if contact else None) or (
        customer.email if customer is not None and customer.erased_at is None else None
    )
    if contact is None or store is None or not address:
        return
    desk = uow.session.scalar(select(SupportSettings).where(SupportSettings.store_id == store.id))
    sender = support_address(store, desk, mail_domain)
    parent = uow.session.scalar(
        select(OutboundEmail)
        .where(OutboundEmail.conversation_id == conversation.id)
        .order_by(OutboundEmail.id.desc())
        .limit(1)
    )
    language = mail_language(uow, conversation, store)
    with use_language(language):
        subject = conversation.subject or _("Your message")
        from_name = author if automatic else _("{author} at {store}", author=author, store=store.name)
    headers = compose_reply_headers(
        secret=purpose_key(store.identity_secret, REPLY_ADDRESS),
        conversation_id=conversation.id,
        message_id_domain=mail_domain,
        reply_address=sender,
        subject=subject,
        parent_message_id=parent.email_message_id if parent else None,
        parent_references=parent.references.split() if parent else (),
        automatic=automatic,
    )
    raw = build_reply(
        headers=headers,
        from_address=sender,
        from_name=from_name,
        to=[address],
        body=body,
        sent_at=uow.now(),
        body_format="markdown",
        language=language,
    )
    uow.session.add(
        OutboundEmail(
            store_id=store.id,
            conversation_id=conversation.id,
            message_id=message_id,
            kind=kind,
            dedupe_key=dedupe_key,
            sender=sender,
            recipient=address,
            email_message_id=headers.message_id,
            references=" ".join(headers.references),
            raw=raw,
            status="pending",
            attempts=0,
            next_attempt_at=uow.now(),
            created_at=uow.now(),
        )
    )


def _claim(uow: UnitOfWork, limit: int) -> list[tuple[int, str, str, bytes]]:
    return [(row.id, row.sender, row.recipient, row.raw) for row in claim_due(uow, OutboundEmail, limit)]


def send_due(database: Database, transport: MailTransport | None, *, limit: int = 50) -> int:
    """Send the mail that is due; returns how many were sent. Without a transport nothing is sent (the
    mail waits, and the inbox says so)."""
    if transport is None:
        return 0
    sent = 0
    for outbound_id, sender, recipient, raw in database.write(_claim, limit):
        try:
            transport.send(sender, recipient, raw)
        except (OSError, smtplib.SMTPException) as error:
            log.warning("sending mail %s failed: %s", outbound_id, error)
            database.write(settle, OutboundEmail, outbound_id, f"{type(error).__name__}: {error}")
            continue
        database.write(settle, OutboundEmail, outbound_id, None)
        sent += 1
    return sent
