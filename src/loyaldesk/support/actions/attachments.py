"""Files sent in a conversation: checked on the way in, stored with their message, and handed out only to
the people allowed to read that message (never an internal note's file to the customer).

Files are served as downloads with the type they were accepted as (never SVG or HTML, see
``message_format.ALLOWED_ATTACHMENT_TYPES``); the web layer adds the headers that keep a browser from
running them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyaldesk.kernel.errors import FieldProblem, Invalid, NotFound
from loyaldesk.support.message_format import check_attachment
from loyaldesk.support.models import Attachment, Conversation, Message

MAX_FILES_PER_MESSAGE = 3


@dataclass(frozen=True)
class NewAttachment:
    """A file as uploaded: the name and type the sender's browser gave, and its bytes."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class CheckedAttachment:
    filename: str
    content_type: str
    data: bytes


def check_attachments(files: Sequence[NewAttachment]) -> list[CheckedAttachment]:
    """Every file checked (type, size, a safe name); ``Invalid`` naming each bad file (``files.N``)."""
    if len(files) > MAX_FILES_PER_MESSAGE:
        raise Invalid(
            "too many files", [FieldProblem("files", f"send at most {MAX_FILES_PER_MESSAGE} files at once")]
        )
    checked: list[CheckedAttachment] = []
    problems: list[FieldProblem] = []
    for index, file in enumerate(files):
        try:
            name, content_type = check_attachment(file.filename, file.content_type, file.data)
        except Invalid as error:
            shown = file.filename[:80] or "the file"
            problems.extend(FieldProblem(f"files.{index}", f"{shown}: {p.reason}") for p in error.problems)
            continue
        checked.append(CheckedAttachment(name, content_type, file.data))
    if problems:
        raise Invalid("a file cannot be sent", problems)
    return checked


def store_attachments(
    session: Session, message: Message, files: Sequence[CheckedAttachment]
) -> list[dict[str, Any]]:
    """Save ``files`` with ``message``; returns their views (as in ``message_view``)."""
    views: list[dict[str, Any]] = []
    for file in files:
        row = Attachment(
            store_id=message.store_id,
            conversation_id=message.conversation_id,
            message_id=message.id,
            filename=file.filename,
            content_type=file.content_type,
            size=len(file.data),
            data=file.data,
            created_at=message.created_at,
        )
        session.add(row)
        session.flush()
        views.append(attachment_view(row))
    return views


def attachment_view(row: Attachment) -> dict[str, Any]:
    return {"id": row.id, "filename": row.filename, "content_type": row.content_type, "size": row.size}


def attachment_for_staff(
    session: Session, store_id: int, conversation_id: int, attachment_id: int
) -> Attachment:
    """The file, if it belongs to ``conversation_id`` in ``store_id``; ``NotFound`` otherwise."""
    row = session.get(Attachment, attachment_id)
    if row is None or row.store_id != store_id or row.conversation_id != conversation_id:
        raise NotFound("no such file")
    return row


def attachment_for_contact(
    session: Session, store_id: int, contact_id: int, attachment_id: int
) -> Attachment:
    """The file, if it is in one of ``contact_id``'s conversations and not on an internal note."""
    found = session.execute(
        select(Attachment, Message.internal)
        .join(Conversation, Conversation.id == Attachment.conversation_id)
        .join(Message, Message.id == Attachment.message_id)
        .where(
            Attachment.id == attachment_id,
            Attachment.store_id == store_id,
            Conversation.contact_id == contact_id,
        )
    ).first()
    if found is None or found[1]:
        raise NotFound("no such file")
    return found[0]
