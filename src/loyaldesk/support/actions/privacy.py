"""The support desk's part of a customer's GDPR export and erasure, and its timeline lines.

Erasure removes what the customer wrote and who they were (message texts, contact name and email, the
texts carried by message events, rating comments, the records of their mail that was dropped) and
keeps the conversations' bookkeeping (times, statuses, ratings) that the desk's reports need, without
identity.

``register()`` plugs them into the customer record; the composition root calls it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from loyaldesk.customers import Customer, TimelineEntry, erasure_step, export_section, timeline_entry
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.events import EventRecord, StoredEvent
from loyaldesk.support.events import ConversationStarted, CsatSubmitted
from loyaldesk.support.models import (
    Attachment,
    Contact,
    Conversation,
    CsatResponse,
    DroppedEmail,
    Message,
)

ERASED_TEXT = "[erased]"


def export_conversations(session: Session, store_id: int, customer_id: int) -> list[dict[str, Any]]:
    conversations = session.scalars(
        select(Conversation)
        .where(Conversation.store_id == store_id, Conversation.customer_id == customer_id)
        .order_by(Conversation.id)
    )
    result = []
    for conversation in conversations:
        messages = session.scalars(
            select(Message)
            .where(Message.conversation_id == conversation.id, Message.internal.is_(False))
            .order_by(Message.id)
        )
        rating = session.scalar(select(CsatResponse).where(CsatResponse.conversation_id == conversation.id))
        result.append(
            {
                "id": conversation.id,
                "channel": conversation.channel,
                "subject": conversation.subject,
                "status": conversation.status,
                "created_at": conversation.created_at.isoformat(),
                "messages": [
                    {"from": m.author_kind, "text": m.body, "at": m.created_at.isoformat()} for m in messages
                ],
                "rating": {"rating": rating.rating, "comment": rating.comment}
                if rating and rating.rating
                else None,
            }
        )
    return result


def export_dropped_mail(session: Session, store_id: int, customer_id: int) -> list[dict[str, Any]]:
    """The records of the customer's mail that was dropped or kept without a part (by their addresses)."""
    addresses = _addresses_of(session, store_id, customer_id)
    if not addresses:
        return []
    rows = session.scalars(
        select(DroppedEmail)
        .where(DroppedEmail.store_id == store_id, func.lower(DroppedEmail.sender).in_(addresses))
        .order_by(DroppedEmail.id)
    )
    return [
        {
            "received_at": row.received_at.isoformat(),
            "from": row.sender,
            "subject": row.subject,
            "reason": row.reason,
            "conversation_id": row.conversation_id,
        }
        for row in rows
    ]


def _addresses_of(session: Session, store_id: int, customer_id: int) -> set[str]:
    """The customer's email address and their contacts' addresses, lower-cased."""
    addresses = {
        address.lower()
        for address in session.scalars(
            select(Contact.email).where(Contact.store_id == store_id, Contact.customer_id == customer_id)
        )
        if address
    }
    customer_email = session.scalar(
        select(Customer.email).where(Customer.id == customer_id, Customer.store_id == store_id)
    )
    if customer_email:
        addresses.add(customer_email.lower())
    return addresses


def erase_conversations(uow: UnitOfWork, store_id: int, customer_id: int) -> None:
    session = uow.session
    ids = list(
        session.scalars(
            select(Conversation.id).where(
                Conversation.store_id == store_id, Conversation.customer_id == customer_id
            )
        )
    )
    addresses = _addresses_of(session, store_id, customer_id)
    session.execute(
        delete(DroppedEmail)
        .where(
            DroppedEmail.store_id == store_id,
            or_(func.lower(DroppedEmail.sender).in_(addresses), DroppedEmail.conversation_id.in_(ids)),
        )
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Contact)
        .where(Contact.store_id == store_id, Contact.customer_id == customer_id)
        .values(name=None, email=None)
    )
    if not ids:
        return
    session.execute(
        update(Message)
        .where(Message.conversation_id.in_(ids), Message.author_kind == "customer")
        .values(body=ERASED_TEXT, body_html=f"<p>{ERASED_TEXT}</p>", author_name="")
    )
    session.execute(
        update(Conversation).where(Conversation.id.in_(ids)).values(subject="", last_message_preview="")
    )
    session.execute(update(CsatResponse).where(CsatResponse.conversation_id.in_(ids)).values(comment=None))
    session.query(Attachment).filter(Attachment.conversation_id.in_(ids)).delete(synchronize_session=False)
    events = session.scalars(
        select(EventRecord).where(
            EventRecord.subject_type == "conversation",
            EventRecord.subject_id.in_(ids),
            EventRecord.event_type == "conversation.message_posted",
        )
    )
    for event in events:
        message = dict(event.payload.get("message") or {})
        if message.get("author_kind") == "customer":
            message.update(body_html=f"<p>{ERASED_TEXT}</p>", author_name="")
            event.payload = {**event.payload, "message": message}


def describe(event: StoredEvent) -> TimelineEntry | None:
    if event.event_type == "conversation.started":
        return TimelineEntry(
            f"Started a conversation ({event.payload.get('channel')})",
            link=f"inbox?c={event.subject_id}",
        )
    return TimelineEntry(f"Rated a conversation {event.payload.get('rating')}/5")


def register() -> None:
    """Plug the desk's export sections, erasure step and timeline lines into the customer record."""
    export_section("conversations")(export_conversations)
    export_section("dropped_mail")(export_dropped_mail)
    erasure_step("conversations")(erase_conversations)
    timeline_entry(ConversationStarted, CsatSubmitted)(describe)
