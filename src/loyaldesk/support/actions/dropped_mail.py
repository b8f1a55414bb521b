"""Inbound mail that was dropped, or kept only in part, written down for the store's admins and logged.

The SMTP receiver and the IMAP poller hand every message to ``channels.email.inbound.receive_email``. Whatever
it does not turn into a conversation message in full is recorded here, in the same transaction, by
``record_dropped_email``: mail the loop guard stops (auto-replies, bounces, list mail, our own mail
coming back), mail with no sender address to answer, a message received before, and, for a message
that was kept, the attachments not kept, the parts that could not be read and text cut short. The desk
settings page shows the recent records (``recent_dropped_emails``).

Bounded: each store keeps at most ``KEEP_PER_STORE`` records and none older than ``KEEP_DAYS``; the
older ones are deleted as a new one is written, so a flood of bounces or list mail cannot grow it.

No domain event is emitted: nothing reacts to a dropped message, and an event per message would grow
the permanent event log with exactly the floods this record is bounded against. No audit row either:
nobody acted. Mail that names no store (an unknown recipient, refused at RCPT) has no store to record
it for; the SMTP receiver logs it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.support.models import DroppedEmail

log = logging.getLogger("loyaldesk.email.dropped")

KEEP_PER_STORE = 200
KEEP_DAYS = 30


class MailPath(StrEnum):
    """How a message arrived."""

    SMTP = "smtp"  # the built-in SMTP receiver
    IMAP = "imap"  # the store's own mailbox, polled


class DropReason(StrEnum):
    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"
    MAILING_LIST = "mailing_list"
    OURS = "ours"
    NO_SENDER = "no_sender"
    DUPLICATE = "duplicate"
    PART_NOT_KEPT = "part_not_kept"


DROP_REASON_LABELS: dict[str, str] = {
    DropReason.AUTO_REPLY: "Automatic reply",
    DropReason.BOUNCE: "Bounce",
    DropReason.MAILING_LIST: "Mailing list",
    DropReason.OURS: "Our own mail",
    DropReason.NO_SENDER: "No sender to answer",
    DropReason.DUPLICATE: "Received before",
    DropReason.PART_NOT_KEPT: "Part not kept",
}
MAIL_PATH_LABELS: dict[str, str] = {MailPath.SMTP: "SMTP", MailPath.IMAP: "IMAP"}

# What is worth an operator's attention in the log: mail from people that lost something. Machines'
# mail stopped by the loop guard, and repeats, are routine.
_WARNED = frozenset({DropReason.NO_SENDER, DropReason.PART_NOT_KEPT})


def record_dropped_email(
    uow: UnitOfWork,
    store_id: int,
    *,
    path: MailPath,
    sender: str,
    subject: str,
    kind: DropReason,
    reason: str,
    conversation_id: int | None = None,
) -> DroppedEmail:
    """Record (and log) that mail for ``store_id`` was dropped, or kept without a part, and why; deletes
    the store's records beyond the newest ``KEEP_PER_STORE`` and those older than ``KEEP_DAYS``.
    Texts are cut to their columns' lengths."""
    now = uow.now()
    record = DroppedEmail(
        store_id=store_id,
        received_at=now,
        path=MailPath(path).value,
        sender=sender[:320],
        subject=" ".join(subject.split())[:200],
        reason_kind=DropReason(kind).value,
        reason=reason[:500],
        conversation_id=conversation_id,
    )
    session = uow.session
    session.add(record)
    session.flush()
    oldest_kept = session.scalar(
        select(DroppedEmail.id)
        .where(DroppedEmail.store_id == store_id)
        .order_by(DroppedEmail.id.desc())
        .offset(KEEP_PER_STORE - 1)
        .limit(1)
    )
    too_old = DroppedEmail.received_at < now - timedelta(days=KEEP_DAYS)
    session.execute(
        delete(DroppedEmail)
        .where(
            DroppedEmail.store_id == store_id,
            or_(too_old, DroppedEmail.id < oldest_kept) if oldest_kept is not None else too_old,
        )
        .execution_options(synchronize_session=False)
    )
    log.log(
        logging.WARNING if kind in _WARNED else logging.INFO,
        "store %s: %s mail from %r with subject %r %s: %s",
        store_id,
        MAIL_PATH_LABELS[record.path],
        record.sender,
        record.subject,
        "kept without a part" if kind is DropReason.PART_NOT_KEPT else "dropped",
        record.reason,
    )
    return record


@dataclass(frozen=True)
class DroppedEmailView:
    received_at: datetime
    path: str
    path_label: str
    sender: str
    subject: str
    reason_kind: str
    reason_label: str
    reason: str
    conversation_id: int | None


def recent_dropped_emails(session: Session, store_id: int, limit: int = 50) -> list[DroppedEmailView]:
    """The store's most recent dropped mail, newest first. Callers check that an admin is asking
    (``Permission.MANAGE_SUPPORT``): senders and subjects are the store's customers' data."""
    rows = session.scalars(
        select(DroppedEmail)
        .where(DroppedEmail.store_id == store_id)
        .order_by(DroppedEmail.id.desc())
        .limit(max(1, min(limit, KEEP_PER_STORE)))
    )
    return [
        DroppedEmailView(
            received_at=row.received_at,
            path=row.path,
            path_label=MAIL_PATH_LABELS.get(row.path, row.path),
            sender=row.sender,
            subject=row.subject,
            reason_kind=row.reason_kind,
            reason_label=DROP_REASON_LABELS.get(row.reason_kind, row.reason_kind),
            reason=row.reason,
            conversation_id=row.conversation_id,
        )
        for row in rows
    ]
