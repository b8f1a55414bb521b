"""Inbound email into conversations: which store it is for, whether it may open a conversation (the loop
guard), which conversation it continues (threading), and who wrote it (the same customer as on every
other channel when the address is known).

``receive_email`` is the one entry point; the SMTP receiver (``channels/email/smtp_receiver.py``) and the
IMAP poller call it with the raw bytes. It never raises on the message's content: hostile or malformed
MIME is parsed by ``channels.email.parsing`` (never raises, linear time) and only its plain new text is
stored, rendered like any chat message (Markdown without raw HTML, cleaned by nh3).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loyaldesk.channels.email.loop_guard import classify
from loyaldesk.channels.email.parsing import InboundEmail, parse_message
from loyaldesk.channels.email.threading import thread_keys
from loyaldesk.customers import Customer
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.email_address import normalise_email
from loyaldesk.kernel.errors import Invalid, NotFound
from loyaldesk.kernel.keys import REPLY_ADDRESS, purpose_key
from loyaldesk.stores.models import Store
from loyaldesk.support import actions, contacts
from loyaldesk.support.attachments import MAX_FILES_PER_MESSAGE, NewAttachment
from loyaldesk.support.email_outbox import support_address
from loyaldesk.support.message_format import MAX_MESSAGE_LENGTH, check_attachment
from loyaldesk.support.models import Contact, Conversation, Message, OutboundEmail, SupportSettings


@dataclass(frozen=True)
class InboundResult:
    """What became of a message: ``new`` conversation, ``joined`` one, a ``duplicate`` of one already
    stored, or ``dropped`` by the loop guard (``reason`` says why)."""

    outcome: str
    reason: str
    conversation_id: int | None = None
    message_id: int | None = None


def email_source_key(message_id: str) -> str:
    """The ``dedupe_key`` of the message stored for an email with this Message-ID (a hash: ids are long)."""
    return "email:" + hashlib.sha256(message_id.encode("utf-8", "replace")).hexdigest()[:48]


def _without_plus(address: str) -> str:
    local, _, domain = address.strip().lower().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


def store_for_addresses(session: Session, addresses: Sequence[str], mail_domain: str) -> int | None:
    """The store whose support address is one of ``addresses`` (plus-parts ignored): a configured
    ``support_email``, or the default ``<slug>@<mail domain>``."""
    bases = {_without_plus(address) for address in addresses if "@" in address}
    if not bases:
        return None
    configured = session.scalar(
        select(SupportSettings.store_id).where(func.lower(SupportSettings.support_email).in_(bases)).limit(1)
    )
    if configured is not None:
        return int(configured)
    domain = mail_domain.strip().lower()
    slugs = [local for local, _, host in (base.rpartition("@") for base in bases) if host == domain]
    if not slugs:
        return None
    found = session.scalar(select(Store.id).where(Store.slug.in_(slugs)).limit(1))
    return int(found) if found is not None else None


def receive_email(
    uow: UnitOfWork, raw: bytes, envelope_recipients: Sequence[str], *, mail_domain: str
) -> InboundResult:
    """Store one inbound email. ``NotFound`` when no store has any of its recipients as support address
    (the SMTP receiver refuses such mail); every other outcome is an ``InboundResult``."""
    email = parse_message(raw)
    session = uow.session
    store_id = store_for_addresses(session, [*envelope_recipients, *email.recipient_addresses], mail_domain)
    if store_id is None:
        raise NotFound("no store receives mail at this address")
    store = session.get(Store, store_id)
    assert store is not None
    desk = session.scalar(select(SupportSettings).where(SupportSettings.store_id == store_id))
    our_address = support_address(store, desk, mail_domain)
    verdict = classify(email, our_domains=[mail_domain], our_addresses=[our_address])
    if not verdict.may_open_conversation:
        return InboundResult("dropped", f"{verdict.verdict}: {verdict.reason}")
    try:
        sender = normalise_email(email.from_address or "")
    except ValueError:
        return InboundResult("dropped", "no sender address we could answer")
    source_key = email_source_key(email.message_id or hashlib.sha256(raw).hexdigest())
    existing = session.scalar(
        select(Message).where(Message.store_id == store_id, Message.dedupe_key == source_key)
    )
    if existing is not None:
        return InboundResult(
            "duplicate", "this message was received before", existing.conversation_id, existing.id
        )

    contact = _email_contact(uow, store_id, sender, email.from_name)
    conversation_id = _thread(session, store, email, our_address)
    if conversation_id is not None:
        conversation = session.get(Conversation, conversation_id)
        if conversation is None or conversation.contact_id != contact.id:
            conversation_id = None  # someone else answering our mail starts their own conversation
    files, skipped = _files(email)
    body = email.text_body.strip()
    if skipped:
        body = (body + "\n\n" if body else "") + "\n".join(
            f"(Attachment not kept: {note})" for note in skipped
        )
    if not body and not files:
        body = "(This email had no text.)"
    if len(body) > MAX_MESSAGE_LENGTH:
        cut = "\n\n(The rest of this email was too long to keep here.)"
        body = body[: MAX_MESSAGE_LENGTH - len(cut)] + cut
    message = actions.post_customer_message(
        uow,
        contact.id,
        body=body,
        conversation_id=conversation_id,
        channel="email",
        subject=" ".join(email.subject.split())[:200] or "(no subject)",
        files=files,
        source_key=source_key,
        new_thread=True,
    )
    outcome = "joined" if conversation_id is not None else "new"
    return InboundResult(outcome, verdict.reason, message.conversation_id, message.id)


def _email_contact(uow: UnitOfWork, store_id: int, address: str, name: str) -> Contact:
    """The customer's contact when a customer of the store has this address; else the contact known
    by this address; else a new one."""
    session = uow.session
    customer_id = session.scalar(
        select(Customer.id).where(Customer.store_id == store_id, Customer.email == address).limit(1)
    )
    if customer_id is not None:
        identified = contacts.identify_contact(uow, store_id, customer_id=customer_id, visitor_token=None)
        contact = session.get(Contact, identified.contact_id)
        assert contact is not None
    else:
        contact = session.scalar(
            select(Contact)
            .where(Contact.store_id == store_id, Contact.email == address, Contact.customer_id.is_(None))
            .order_by(Contact.id)
            .limit(1)
        )
        if contact is None:
            contact = Contact(store_id=store_id, email=address, created_at=uow.now())
            session.add(contact)
    contact.email = contact.email or address
    contact.name = contact.name or (name.strip()[:200] or None)
    contact.last_seen_at = uow.now()
    session.flush()
    return contact


def _thread(session: Session, store: Store, email: InboundEmail, our_address: str) -> int | None:
    """The conversation of this store that the email continues, by the best key that finds one."""
    reply_domain = our_address.rpartition("@")[2]
    secret = purpose_key(store.identity_secret, REPLY_ADDRESS)
    for key in thread_keys(email, reply_domain=reply_domain, secret=secret):
        if key.conversation_id is not None:
            found = session.get(Conversation, key.conversation_id)
            if found is not None and found.store_id == store.id:
                return found.id
        elif key.message_id:
            ours = session.scalar(
                select(OutboundEmail.conversation_id).where(
                    OutboundEmail.store_id == store.id, OutboundEmail.email_message_id == key.message_id
                )
            )
            if ours is not None:
                return int(ours)
            theirs = session.scalar(
                select(Message.conversation_id).where(
                    Message.store_id == store.id, Message.dedupe_key == email_source_key(key.message_id)
                )
            )
            if theirs is not None:
                return int(theirs)
    return None


def _files(email: InboundEmail) -> tuple[list[NewAttachment], list[str]]:
    """The attachments we keep (allowed types and sizes, at most three), and a note for each we do not."""
    kept: list[NewAttachment] = []
    skipped: list[str] = []
    for attachment in email.attachments:
        if attachment.inline:
            continue  # signature logos and other pictures inside an HTML body
        name = attachment.filename or "attachment"
        if attachment.refused or attachment.content is None:
            skipped.append(f"{name} ({attachment.refused or 'too large'})")
            continue
        try:
            check_attachment(name, attachment.content_type, len(attachment.content))
        except Invalid as error:
            skipped.append(f"{name} ({error.problems[0].reason if error.problems else 'not allowed'})")
            continue
        if len(kept) == MAX_FILES_PER_MESSAGE:
            skipped.append(f"{name} (only {MAX_FILES_PER_MESSAGE} files are kept per message)")
            continue
        kept.append(NewAttachment(name, attachment.content_type, attachment.content))
    return kept, skipped
