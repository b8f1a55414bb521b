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
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import (
    CompoundSelect,
    Integer,
    String,
    bindparam,
    cast,
    literal,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from loyaldesk.channels.email.email_contacts import email_contact
from loyaldesk.channels.email.loop_guard import classify
from loyaldesk.channels.email.mail_stores import MailStore, mail_store_for
from loyaldesk.channels.email.parsing import InboundEmail, parse_message
from loyaldesk.channels.email.threading import ThreadKey, thread_keys
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.email_address import normalise_email
from loyaldesk.kernel.errors import DomainError, Invalid, NotFound
from loyaldesk.support import (
    MAX_FILES_PER_MESSAGE,
    MAX_MESSAGE_LENGTH,
    Conversation,
    CustomerMessage,
    DropReason,
    MailPath,
    Message,
    NewAttachment,
    OutboundEmail,
    check_attachment,
    post_customer_messages,
    record_dropped_email,
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


# Hot-path statements, built once (SQLAlchemy then reuses their cache keys and compiled forms).
_CONVERSATION_CONTACT = select(Conversation.contact_id).where(Conversation.id == bindparam("id"))
# Every key at once: the conversations named by verified tokens, our own outbound mail by Message-ID,
# and the customers' stored mail by dedupe key (which also finds this very message when it is a
# duplicate). Each row: (kind, key, conversation id, message id).
_THREAD_ROWS: CompoundSelect = union_all(
    select(
        literal("conversation"),
        cast(Conversation.id, String),
        Conversation.id,
        literal(None, Integer),
    ).where(
        Conversation.store_id == bindparam("store_id"),
        Conversation.id.in_(bindparam("conversation_ids", expanding=True)),
    ),
    select(
        literal("outbound"),
        OutboundEmail.email_message_id,
        OutboundEmail.conversation_id,
        literal(None, Integer),
    ).where(
        OutboundEmail.store_id == bindparam("store_id"),
        OutboundEmail.email_message_id.in_(bindparam("message_ids", expanding=True)),
    ),
    select(literal("stored"), Message.dedupe_key, Message.conversation_id, Message.id).where(
        Message.store_id == bindparam("store_id"),
        Message.dedupe_key.in_(bindparam("dedupe_keys", expanding=True)),
    ),
)


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
    return receive_parsed_email(
        uow, parse_message(raw), raw, envelope_recipients, mail_domain=mail_domain, path=path
    )


def receive_parsed_email(
    uow: UnitOfWork,
    email: InboundEmail,
    raw: bytes,
    envelope_recipients: Sequence[str],
    *,
    mail_domain: str,
    path: MailPath = MailPath.SMTP,
) -> InboundResult:
    """``receive_email`` for a message already parsed (``email`` is ``parse_message(raw)``), so that a
    receiver can parse outside the write transaction: ``receive_parsed_emails`` of this one message."""
    arrived = ArrivedEmail(email, raw, tuple(envelope_recipients))
    [result] = receive_parsed_emails(uow, [arrived], mail_domain=mail_domain, path=path)
    if isinstance(result, NotFound):
        raise result
    return result


@dataclass(frozen=True)
class ArrivedEmail:
    """One message as a receiver hands it to ``receive_parsed_emails``: parsed, with its raw bytes and
    its envelope recipients."""

    email: InboundEmail
    raw: bytes
    envelope_recipients: tuple[str, ...]


@dataclass(frozen=True)
class _ToPost:
    """A message that passed the loop guard and is neither a duplicate nor dropped: its customer message
    and what its result needs once it is stored."""

    index: int
    item: CustomerMessage
    store_id: int
    email: InboundEmail
    not_kept: list[str]
    reason: str


def receive_parsed_emails(
    uow: UnitOfWork, arrived: Sequence[ArrivedEmail], *, mail_domain: str, path: MailPath = MailPath.SMTP
) -> list[InboundResult | NotFound]:
    """Store each message, in order, in one unit of work: the shape the write queue's
    ``submit_coalesced`` merges messages arriving together into (``INBOUND_EMAIL`` is the key), so that
    they share one commit. One result per message: its ``InboundResult``, or the ``NotFound`` that
    refused it before anything of it was written (no store receives mail at its addresses). Any other
    error is raised (the write queue then stores each message alone, to find whose it was).

    The mail-specific work (store, loop guard, duplicate and thread, contact) is done message by message;
    the messages to store then go to ``support.post_customer_messages`` together, so that replies to
    conversations open and waiting take its fast lane. A message whose duplicate check or threading
    depends on one not yet stored in this batch (the same Message-ID, or a reply to it) first has the
    batch so far stored, so every answer is the one it would get alone."""
    session = uow.session
    results: list[InboundResult | NotFound | None] = [None] * len(arrived)
    batch: list[_ToPost] = []
    keys: set[str] = set()  # the source keys of ``batch``

    def post_batch() -> None:
        if batch:
            _post(uow, batch, results, path)
            batch.clear()
            keys.clear()

    for index, item in enumerate(arrived):
        email = item.email
        session.flush()  # the lookups below read through the session's connection, past its autoflush
        store = mail_store_for(session, [*item.envelope_recipients, *email.recipient_addresses], mail_domain)
        if store is None:
            results[index] = NotFound("no store receives mail at this address")
            continue
        result = _prepare(uow, index, store, item, mail_domain, path, keys, post_batch)
        if isinstance(result, _ToPost):
            batch.append(result)
            keys.add(result.item.source_key or "")
        else:
            results[index] = result
    post_batch()
    return [result for result in results if result is not None]


# The write queue's coalescing key for ``receive_parsed_emails``.
INBOUND_EMAIL = "email.inbound"


def _account_for(
    uow: UnitOfWork,
    store_id: int,
    email: InboundEmail,
    path: MailPath,
    kind: DropReason,
    reason: str,
    conversation_id: int | None = None,
) -> None:
    record_dropped_email(
        uow, store_id, path=path, sender=email.from_address or email.from_name, subject=email.subject,
        kind=kind, reason=reason, conversation_id=conversation_id,
    )  # fmt: skip


def _prepare(
    uow: UnitOfWork,
    index: int,
    store: MailStore,
    arrived: ArrivedEmail,
    mail_domain: str,
    path: MailPath,
    pending_keys: set[str],
    post_pending: Callable[[], None],
) -> InboundResult | _ToPost:
    """One message up to the desk: dropped, a duplicate, or the customer message to store."""
    session = uow.session
    email, raw = arrived.email, arrived.raw
    store_id = store.store_id
    verdict = classify(email, our_domains=[mail_domain], our_addresses=[store.our_address])
    if not verdict.may_open_conversation:
        _account_for(uow, store_id, email, path, DropReason(verdict.verdict.value), verdict.reason)
        return InboundResult("dropped", f"{verdict.verdict}: {verdict.reason}")
    try:
        sender = normalise_email(email.from_address or "")
    except ValueError:
        unreadable = f"; the message could not be read in full: {'; '.join(email.lost)}" if email.lost else ""
        reason = f"no sender address we could answer{unreadable}"
        _account_for(uow, store_id, email, path, DropReason.NO_SENDER, reason)
        return InboundResult("dropped", "no sender address we could answer")
    source_key = email_source_key(email.message_id or hashlib.sha256(raw).hexdigest())
    keys = thread_keys(email, reply_domain=store.our_address.rpartition("@")[2], secret=store.reply_secret)
    if pending_keys and (
        source_key in pending_keys
        or any(key.message_id and email_source_key(key.message_id) in pending_keys for key in keys)
    ):
        post_pending()  # its answer depends on a message of this batch: store those first
        session.flush()
    duplicate, conversation_id = _dedupe_and_thread(session, store, keys, source_key)
    if duplicate is not None:
        existing_message_id, existing_conversation_id = duplicate
        _account_for(
            uow, store_id, email, path, DropReason.DUPLICATE,
            "received before (the same Message-ID, or the same bytes), kept once",
            existing_conversation_id,
        )  # fmt: skip
        return InboundResult(
            "duplicate", "this message was received before", existing_conversation_id, existing_message_id
        )

    contact_id = email_contact(uow, store_id, sender, email.from_name)
    if conversation_id is not None:
        writer = session.connection().execute(_CONVERSATION_CONTACT, {"id": conversation_id}).scalar()
        if writer != contact_id:
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
    item = CustomerMessage(
        contact_id,
        body,
        conversation_id=conversation_id,
        channel="email",
        subject=" ".join(email.subject.split())[:200] or "(no subject)",
        files=files,
        source_key=source_key,
        new_thread=True,
        plain_text=True,
        stored_checked=True,  # ``_dedupe_and_thread`` looked for ``source_key`` just now
    )
    return _ToPost(index, item, store_id, email, not_kept, verdict.reason)


def _post(
    uow: UnitOfWork, batch: list[_ToPost], results: list[InboundResult | NotFound | None], path: MailPath
) -> None:
    """Store the batch's messages in one ``post_customer_messages`` call and set their results; the
    first refusal is raised (see ``receive_parsed_emails``)."""
    posted = post_customer_messages(uow, [to_post.item for to_post in batch])
    for to_post, message in zip(batch, posted, strict=True):
        if isinstance(message, DomainError):
            raise message
        if to_post.not_kept:
            _account_for(
                uow, to_post.store_id, to_post.email, path, DropReason.PART_NOT_KEPT,
                "; ".join(to_post.not_kept), message.conversation_id,
            )  # fmt: skip
        outcome = "joined" if to_post.item.conversation_id is not None else "new"
        results[to_post.index] = InboundResult(outcome, to_post.reason, message.conversation_id, message.id)


def _dedupe_and_thread(
    session: Session, store: MailStore, keys: Sequence[ThreadKey], source_key: str
) -> tuple[tuple[int, int] | None, int | None]:
    """One query for both questions: the (message id, conversation id) already stored under
    ``source_key`` (a duplicate), and the conversation of this store that the email continues, by the
    best of its thread ``keys`` that finds one."""
    conversation_ids = [key.conversation_id for key in keys if key.conversation_id is not None]
    message_ids = [key.message_id for key in keys if key.message_id]
    dedupe_keys = {email_source_key(message_id): message_id for message_id in message_ids}
    rows = session.connection().execute(
        _THREAD_ROWS,
        {
            "store_id": store.store_id,
            "conversation_ids": conversation_ids,
            "message_ids": message_ids,
            "dedupe_keys": [source_key, *dedupe_keys],
        },
    )
    found_conversations: set[int] = set()
    ours: dict[str, int] = {}
    theirs: dict[str, int] = {}
    duplicate: tuple[int, int] | None = None
    for kind, key, conversation_id, message_id in rows:
        if kind == "conversation":
            found_conversations.add(int(conversation_id))
        elif kind == "outbound":
            ours.setdefault(key, int(conversation_id))
        else:
            if key == source_key:
                duplicate = (int(message_id), int(conversation_id))
            if key in dedupe_keys:
                theirs[dedupe_keys[key]] = int(conversation_id)
    if duplicate is not None:
        return duplicate, None
    for key in keys:
        if key.conversation_id is not None:
            if key.conversation_id in found_conversations:
                return None, key.conversation_id
        elif key.message_id:
            found = ours.get(key.message_id, theirs.get(key.message_id))
            if found is not None:
                return None, found
    return None, None


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
