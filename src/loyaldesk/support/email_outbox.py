"""Replies by email: an agent's answer to a conversation that the customer follows by email (the chat
widget's offline form, and the email channel) is composed, queued and sent through SMTP.

1. ``queue_reply`` (a handler of ``conversation.message_posted``) and ``queue_rating_request`` (of
   ``csat.requested``: a link to rate the conversation) compose the mail in the transaction that
   reacts to the event: From the store's support address, To the contact's address, threaded under
   the conversation's previous mail (In-Reply-To, References, a conversation token in Reply-To and the
   subject), a text part and a mobile-friendly HTML part (``channels.email.compose``).
2. ``send_due`` (a periodic job outside any transaction) claims due mail with a lease, sends it through
   the ``MailTransport`` with no database lock held, and marks it sent; a failure is kept on the row and
   retried with backoff (``support.delivery``).
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyaldesk.channels.email.compose import build_reply
from loyaldesk.channels.email.threading import compose_reply_headers
from loyaldesk.customers import Customer
from loyaldesk.kernel.db import Database, UnitOfWork
from loyaldesk.kernel.dispatcher import handlers
from loyaldesk.kernel.events import StoredEvent
from loyaldesk.kernel.i18n import _, negotiate, use_language
from loyaldesk.kernel.jobs import jobs
from loyaldesk.kernel.keys import REPLY_ADDRESS, purpose_key
from loyaldesk.kernel.mail_transport import MailTransport, transport_from
from loyaldesk.kernel.mail_transport import SmtpTransport as SmtpTransport  # moved to the kernel; still here
from loyaldesk.settings import get_settings
from loyaldesk.stores import Store
from loyaldesk.support.csat import csat_link_token
from loyaldesk.support.delivery import claim_due, settle
from loyaldesk.support.models import Contact, Conversation, Message, OutboundEmail, SupportSettings

log = logging.getLogger("loyaldesk.support.email")


def support_address(store: Store, desk: SupportSettings | None, mail_domain: str) -> str:
    """Where the store's replies come from: its configured address, else ``<slug>@<mail domain>``."""
    if desk is not None and desk.support_email:
        return desk.support_email
    return f"{store.slug}@{mail_domain}"


def follows_by_email(conversation: Conversation) -> bool:
    return conversation.reply_by_email or conversation.channel == "email"


@handlers.on("conversation.message_posted")
def queue_reply(uow: UnitOfWork, event: StoredEvent) -> None:
    """Queue an agent's public reply as mail when the customer follows the conversation by email."""
    view = event.payload.get("message") or {}
    if event.payload.get("internal") or view.get("author_kind") != "agent":
        return
    message = uow.session.get(Message, view.get("id"))
    if message is not None:
        _queue(uow, event, kind="reply", body=message.body, author=message.author_name, message_id=message.id)


@handlers.on("csat.requested")
def queue_rating_request(uow: UnitOfWork, event: StoredEvent) -> None:
    """Ask a customer who follows the conversation by email to rate it, by a link (the widget asks live
    customers itself)."""
    conversation = uow.session.get(Conversation, event.subject_id)
    store = uow.session.get(Store, event.store_id)
    if conversation is None or store is None:
        return
    settings = get_settings()
    token = csat_link_token(store.identity_secret, conversation.id)
    link = f"{settings.public_base_url.rstrip('/')}/csat/{store.slug}/{conversation.id}/{token}"
    with use_language(mail_language(uow, conversation, store)):
        body = (
            _("Your conversation with {store} is resolved. How did we do?", store=store.name)
            + "\n\n"
            + _("Rate it from 1 to 5 (one click, a comment if you like): {link}", link=link)
            + "\n\n"
            + _("If something is still not right, just reply to this email and we will pick it up again.")
        )
    _queue(uow, event, kind="csat", body=body, author=store.name, message_id=None, automatic=True)


def mail_language(uow: UnitOfWork, conversation: Conversation, store: Store) -> str:
    """The language of loyaldesk's own words in mail to the conversation's customer: their profile's, else
    the store's default for shoppers, else English (a mail has no browser to ask)."""
    customer = uow.session.get(Customer, conversation.customer_id) if conversation.customer_id else None
    return negotiate(profile=customer.locale if customer else None, store_default=store.default_language)


def _queue(
    uow: UnitOfWork,
    event: StoredEvent,
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
    if contact is None or store is None or not contact.email:
        return
    settings = get_settings()
    desk = uow.session.scalar(select(SupportSettings).where(SupportSettings.store_id == store.id))
    sender = support_address(store, desk, settings.mail_domain)
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
        message_id_domain=settings.mail_domain,
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
        to=[contact.email],
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
            recipient=contact.email,
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


# Replaced in tests with a transport that talks to a local SMTP server.
transport_factory: Callable[[], MailTransport | None] = lambda: transport_from(get_settings())  # noqa: E731


@jobs.every_outside(10, name="support.send_due_email")
def send_due_email(database: Database) -> int:
    return send_due(database, transport_factory())


def email_state(session: Session, conversation_id: int) -> dict[int, str]:
    """Message id -> "pending", "sent" or "failed" for the conversation's replies by email."""
    rows = session.execute(
        select(OutboundEmail.message_id, OutboundEmail.status).where(
            OutboundEmail.conversation_id == conversation_id, OutboundEmail.message_id.is_not(None)
        )
    )
    return {message_id: status for message_id, status in rows if message_id is not None}
