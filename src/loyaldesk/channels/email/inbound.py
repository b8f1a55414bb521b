"""Inbound email into conversations: which store it is for, whether it may open a conversation (the loop
guard), which conversation it continues (threading), and who wrote it (the same customer as on every
other channel when the address is known).

``receive_email`` is the one entry point; the SMTP receiver (``channels/email/smtp_receiver.py``) and the
IMAP poller call it with the raw bytes. The mail-specific work (parsing, the loop guard, threading,
which attachments are kept) is the email channel's; the message is stored by the desk's own action
(``support.post_customer_message``), as any channel's.

It never raises on the message's content: hostile or malformed MIME is parsed by
``channels.email.parsing`` (never raises, linear time) and only its plain new text is stored, shown as
plain text (line breaks kept, links made clickable, nothing read as Markdown; cleaned by nh3). Whatever of
a message is not kept (the whole of it, or an attachment or part) is recorded for the store's admins and
logged (``support.dropped_mail``).
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
from loyaldesk.stores import Store
from loyaldesk.support import (
    MAX_FILES_PER_MESSAGE,
    MAX_MESSAGE_LENGTH,
    Contact,
    Conversation,
    DropReason,
    MailPath,
    Message,
    NewAttachment,
    OutboundEmail,
    SupportSettings,
    check_attachment,
    identify_contact,
    post_customer_message,
    record_dropped_email,
    support_address,
)


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
    uow: UnitOfWork,
    raw: bytes,
    envelope_recipients: Sequence[str],
    *,
    mail_domain: str,
    path: MailPath = MailPath.SMTP,
) -> InboundResult:
    """Store one inbound email that arrived by ``path``. ``NotFound`` when no store has any of its
    recipients as support address (the SMTP receiver refuses such mail); every other outcome is an
    ``InboundResult``, and every message dropped or kept without a part is recorded with the reason
    (``dropped_mail.record_dropped_email``)."""
    email = parse_message(raw)
    session = uow.session
    store_id = store_for_addresses(session, [*envelope_recipients, *email.recipient_addresses], mail_domain)
    if store_id is None:
        raise NotFound("no store receives mail at this address")
    store = session.get(Store, store_id)
    assert store is not None
    desk = session.scalar(select(SupportSettings).where(SupportSettings.store_id == store_id))
    our_address = support_address(store, desk, mail_domain)

    def account_for(kind: DropReason, reason: str, conversation_id: int | None = None) -> None:
        sender = email.from_address or email.from_name
        record_dropped_email(
            uow, store_id, path=path, sender=sender, subject=email.subject, kind=kind, reason=reason,
            conversation_id=conversation_id,
        )  # fmt: skip

    verdict = classify(email, our_domains=[mail_domain], our_addresses=[our_address])
    if not verdict.may_open_conversation:
        account_for(DropReason(verdict.verdict.value), verdict.reason)
        return InboundResult("dropped", f"{verdict.verdict}: {verdict.reason}")
    try:
        sender = normalise_email(email.from_address or "")
    except ValueError:
        unreadable = f"; the message could not be read in full: {'; '.join(email.lost)}" if email.lost else ""
        account_for(DropReason.NO_SENDER, f"no sender address we could answer{unreadable}")
        return InboundResult("dropped", "no sender address we could answer")
    source_key = email_source_key(email.message_id or hashlib.sha256(raw).hexdigest())
    existing = session.scalar(
        select(Message).where(Message.store_id == store_id, Message.dedupe_key == source_key)
    )
    if existing is not None:
        account_for(
            DropReason.DUPLICATE,
            "received before (the same Message-ID, or the same bytes), kept once",
            existing.conversation_id,
        )
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
    not_kept = [f"attachment {note}" for note in skipped] + list(email.lost)
    body = email.text_body.strip()
    if skipped:
        body = (body + "\n\n" if body else "") + "\n".join(
            f"(Attachment not kept: {note})" for note in skipped
        )
    if not body and not files:
        body = "(This email had no text.)"
    if len(body) > MAX_MESSAGE_LENGTH:
        cut = "\n\n(The rest of this email was too long to keep here.)"
        not_kept.append(f"text of {len(body):,} characters cut to {MAX_MESSAGE_LENGTH:,}")
        body = body[: MAX_MESSAGE_LENGTH - len(cut)] + cut
    message = post_customer_message(
        uow,
        contact.id,
        body=body,
        conversation_id=conversation_id,
        channel="email",
        subject=" ".join(email.subject.split())[:200] or "(no subject)",
        files=files,
        source_key=source_key,
        new_thread=True,
        plain_text=True,
    )
    if not_kept:
        account_for(DropReason.PART_NOT_KEPT, "; ".join(not_kept), message.conversation_id)
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
        identified = identify_contact(uow, store_id, customer_id=customer_id, visitor_token=None)
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


# A picture the HTML body shows is kept only from this size on: customers paste photos and screenshots
# into the body (Gmail, Outlook), while signature logos and social icons, which every message of some
# senders carries, are smaller. Pictures no HTML shows (a phone's photo in a plain-text mail) are kept
# whatever their size.
MIN_PICTURE_IN_HTML_BYTES = 24 * 1024


def _files(email: InboundEmail) -> tuple[list[NewAttachment], list[str]]:
    """The attachments we keep (allowed types and sizes, at most three), and a note for each we do not.

    Attached files and pictures outside any HTML body come first, then the pictures the HTML body shows
    that are large enough to be a photo or a screenshot, so that a signature logo never takes the place
    of a file; the same content twice is kept once."""
    kept: list[NewAttachment] = []
    skipped: list[str] = []
    seen: set[bytes] = set()
    ordered = sorted(email.attachments, key=lambda attachment: attachment.shown_in_html)
    for attachment in ordered:
        content = attachment.content
        if attachment.shown_in_html and content is not None and len(content) < MIN_PICTURE_IN_HTML_BYTES:
            continue  # decoration of the HTML body
        name = attachment.filename or "attachment"
        if attachment.refused or content is None:
            skipped.append(f"{name} ({attachment.refused or 'too large'})")
            continue
        try:
            check_attachment(name, attachment.content_type, content)
        except Invalid as error:
            reason = error.problems[0].reason if error.problems else "not allowed"
            skipped.append(f"{name} ({reason.partition('; allowed:')[0]})")
            continue
        digest = hashlib.sha256(content).digest()
        if digest in seen:
            continue
        seen.add(digest)
        if len(kept) == MAX_FILES_PER_MESSAGE:
            skipped.append(f"{name} (only {MAX_FILES_PER_MESSAGE} files are kept per message)")
            continue
        kept.append(NewAttachment(name, attachment.content_type, content))
    return kept, skipped
