"""What an agent must not miss, whatever view of the inbox is open: conversations nobody has taken, and
those waiting for an answer that are theirs or nobody's. The inbox shows the counts in its tab title and
beside its views, and alerts (sound, desktop notification) when a conversation joins the waiting ones."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from loyaldesk.customers import Customer
from loyaldesk.support.models import Contact, Conversation
from loyaldesk.support.queries import ACTIVE_STATUSES, contact_name

# Enough for any desk's backlog of unanswered conversations to be compared between two refreshes.
MAX_WAITING = 200


@dataclass(frozen=True)
class Waiting:
    """A conversation waiting for the desk's answer, unassigned or the viewer's."""

    id: int
    contact_name: str
    preview: str
    assigned_to_viewer: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "contact_name": self.contact_name,
            "preview": self.preview,
            "assigned_to_viewer": self.assigned_to_viewer,
        }


@dataclass(frozen=True)
class Attention:
    unassigned: int  # active conversations nobody has taken
    waiting: list[Waiting]  # newest first

    def as_json(self) -> dict[str, Any]:
        return {"unassigned": self.unassigned, "waiting": [item.as_json() for item in self.waiting]}


def inbox_attention(session: Session, store_id: int, viewer_id: int) -> Attention:
    """The store's unassigned active conversations (a count), and the active conversations waiting for an
    answer (the customer wrote last) that are unassigned or assigned to ``viewer_id``; neither counts a
    conversation the store's assistant answers (until it hands off)."""
    unassigned = session.scalar(
        select(func.count())
        .select_from(Conversation)
        .where(
            Conversation.store_id == store_id,
            Conversation.status.in_(ACTIVE_STATUSES),
            Conversation.assignee_id.is_(None),
            Conversation.assistant_active.is_(False),  # the assistant answers those: nobody is paged
        )
    )
    rows = session.execute(
        select(
            Conversation.id, Conversation.assignee_id, Conversation.last_message_preview, Contact, Customer
        )
        .join(Contact, Contact.id == Conversation.contact_id)
        .outerjoin(Customer, Customer.id == Conversation.customer_id)
        .where(
            Conversation.store_id == store_id,
            Conversation.status.in_(ACTIVE_STATUSES),
            Conversation.waiting_since.is_not(None),
            Conversation.assistant_active.is_(False),
            or_(Conversation.assignee_id.is_(None), Conversation.assignee_id == viewer_id),
        )
        .order_by(Conversation.waiting_since.desc(), Conversation.id.desc())
        .limit(MAX_WAITING)
    ).all()
    waiting = [
        Waiting(
            id=conversation_id,
            contact_name=contact_name(contact, customer),
            preview=preview or "",
            assigned_to_viewer=assignee_id == viewer_id,
        )
        for conversation_id, assignee_id, preview, contact, customer in rows
    ]
    return Attention(unassigned=int(unassigned or 0), waiting=waiting)
