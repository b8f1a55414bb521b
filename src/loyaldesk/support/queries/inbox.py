"""Reads of the support desk: the inbox, a conversation, the customer's whole picture, a contact's history.

Callers check who is asking first (console routes require ``Permission.VIEW_CONVERSATIONS``; the widget
proves the contact before it reads).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loyaldesk.customers import Customer, CustomerFacts, LoyaltyFacts, facts_about
from loyaldesk.kernel.errors import Invalid, NotFound
from loyaldesk.stores import Permission, StaffAccount, StoreMembership, has_permission
from loyaldesk.support.actions import message_view
from loyaldesk.support.actions.desk_settings import default_settings
from loyaldesk.support.models import (
    Agent,
    Attachment,
    CannedReply,
    Contact,
    Conversation,
    CsatResponse,
    Message,
    SupportSettings,
    SupportTask,
    Team,
    TeamMember,
)

INBOX_VIEWS = ("mine", "unassigned", "all", "team", "label")
INBOX_STATUSES = ("open", "pending", "snoozed", "resolved", "closed", "active")
# "active": what still needs the desk (open, pending, snoozed).
ACTIVE_STATUSES = ("open", "pending", "snoozed")


def settings_of(session: Session, store_id: int) -> SupportSettings:
    found = session.scalar(select(SupportSettings).where(SupportSettings.store_id == store_id))
    return found if found is not None else default_settings(store_id)


@dataclass(frozen=True)
class InboxRow:
    id: int
    subject: str
    status: str
    priority: str
    priority_reason: str
    channel: str
    contact_name: str
    customer_id: int | None
    assignee_id: int | None
    assignee_name: str | None
    labels: list[str]
    waiting_since: datetime | None
    last_message_at: datetime | None
    last_message_preview: str
    snoozed_until: datetime | None
    unread: bool
    sla_state: str | None = None  # running, warning, breached, paused, met
    sla_due_at: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "subject": self.subject,
            "status": self.status,
            "priority": self.priority,
            "priority_reason": self.priority_reason,
            "channel": self.channel,
            "contact_name": self.contact_name,
            "customer_id": self.customer_id,
            "assignee_id": self.assignee_id,
            "assignee_name": self.assignee_name,
            "labels": self.labels,
            "waiting_since": self.waiting_since.isoformat() if self.waiting_since else None,
            "last_message_at": self.last_message_at.isoformat() if self.last_message_at else None,
            "last_message_preview": self.last_message_preview,
            "snoozed_until": self.snoozed_until.isoformat() if self.snoozed_until else None,
            "unread": self.unread,
            "sla_state": self.sla_state,
            "sla_due_at": self.sla_due_at.isoformat() if self.sla_due_at else None,
        }


def contact_name(contact: Contact, customer: Customer | None) -> str:
    if customer is not None:
        name = " ".join(part for part in (customer.first_name, customer.last_name) if part)
        if name:
            return name
        if customer.email:
            return customer.email
    return contact.name or contact.email or f"Visitor #{contact.id}"


def inbox(
    session: Session,
    store_id: int,
    *,
    viewer_id: int | None,
    view: str = "all",
    status: str = "active",
    team_id: int | None = None,
    label: str | None = None,
    search: str | None = None,
    sort: str = "priority",
    limit: int = 100,
) -> list[InboxRow]:
    """Conversations of a view, most urgent first, then the longest waiting, then the newest; with
    ``sort="due"`` the SLA due soonest first (conversations without a running SLA clock last)."""
    if view not in INBOX_VIEWS:
        raise Invalid("unknown view", [])
    if status not in INBOX_STATUSES:
        raise Invalid("unknown status", [])
    query = (
        select(Conversation, Contact, Customer, StaffAccount.name)
        .join(Contact, Contact.id == Conversation.contact_id)
        .outerjoin(Customer, Customer.id == Conversation.customer_id)
        .outerjoin(StaffAccount, StaffAccount.id == Conversation.assignee_id)
        .where(Conversation.store_id == store_id)
    )
    if status == "active":
        query = query.where(Conversation.status.in_(ACTIVE_STATUSES))
    else:
        query = query.where(Conversation.status == status)
    if view == "mine":
        query = query.where(Conversation.assignee_id == viewer_id)
    elif view == "unassigned":
        query = query.where(Conversation.assignee_id.is_(None))
    if team_id is not None:
        query = query.where(Conversation.team_id == team_id)
    due_first = (Conversation.sla_due_at.is_(None), Conversation.sla_due_at) if sort == "due" else ()
    rows = session.execute(
        query.order_by(
            *due_first,
            Conversation.priority_rank.desc(),
            Conversation.waiting_since.is_(None),
            Conversation.waiting_since,
            Conversation.last_message_at.desc(),
            Conversation.id.desc(),
        ).limit(limit if not (label or search) else 2000)
    ).all()
    needle = (search or "").strip().lower()
    result: list[InboxRow] = []
    for conversation, contact, customer, assignee_name in rows:
        if label and label not in (conversation.labels or []):
            continue
        name = contact_name(contact, customer)
        if needle:
            haystack = " ".join(
                [
                    conversation.subject,
                    conversation.last_message_preview,
                    name,
                    (customer.email or "") if customer else (contact.email or ""),
                    f"#{conversation.id}",
                ]
            ).lower()
            if needle not in haystack:
                continue
        result.append(
            InboxRow(
                id=conversation.id,
                subject=conversation.subject,
                status=conversation.status,
                priority=conversation.priority,
                priority_reason=conversation.priority_reason,
                channel=conversation.channel,
                contact_name=name,
                customer_id=conversation.customer_id,
                assignee_id=conversation.assignee_id,
                assignee_name=assignee_name,
                labels=list(conversation.labels or []),
                waiting_since=conversation.waiting_since,
                last_message_at=conversation.last_message_at,
                last_message_preview=conversation.last_message_preview,
                snoozed_until=conversation.snoozed_until,
                # The customer is waiting for the desk's answer.
                unread=conversation.waiting_since is not None,
                sla_state=conversation.sla_state,
                sla_due_at=conversation.sla_due_at,
            )
        )
        if len(result) >= limit:
            break
    return result


def conversation_of(session: Session, store_id: int, conversation_id: int) -> Conversation:
    conversation = session.get(Conversation, conversation_id)
    if conversation is None or conversation.store_id != store_id:
        raise NotFound("no such conversation")
    return conversation


def _attachments_by_message(session: Session, message_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = {}
    if not message_ids:
        return found
    for attachment_id, message_id, filename, content_type, size in session.execute(
        select(
            Attachment.id,
            Attachment.message_id,
            Attachment.filename,
            Attachment.content_type,
            Attachment.size,
        ).where(Attachment.message_id.in_(message_ids))
    ):
        found.setdefault(message_id or 0, []).append(
            {"id": attachment_id, "filename": filename, "content_type": content_type, "size": size}
        )
    return found


def messages_of(
    session: Session, conversation_id: int, *, include_internal: bool, limit: int = 500
) -> list[dict[str, Any]]:
    """The conversation's last ``limit`` messages, oldest first, as clients see them."""
    query = select(Message).where(Message.conversation_id == conversation_id)
    if not include_internal:
        query = query.where(Message.internal.is_(False))
    messages = list(session.scalars(query.order_by(Message.id.desc()).limit(limit)))
    messages.reverse()
    attachments = _attachments_by_message(session, [message.id for message in messages])
    return [message_view(message, attachments.get(message.id)) for message in messages]


def one_message(session: Session, message_id: int) -> dict[str, Any]:
    """One message with its files, as clients see it."""
    message = session.get(Message, message_id)
    if message is None:
        raise NotFound("no such message")
    return message_view(message, _attachments_by_message(session, [message_id]).get(message_id))


def conversation_view(session: Session, conversation: Conversation, *, for_staff: bool) -> dict[str, Any]:
    """A conversation's state as clients see it (without messages)."""
    view: dict[str, Any] = {
        "id": conversation.id,
        "status": conversation.status,
        "subject": conversation.subject,
        "channel": conversation.channel,
        "created_at": conversation.created_at.isoformat(),
        "customer_last_read_message_id": conversation.customer_last_read_message_id,
        "agent_last_read_message_id": conversation.agent_last_read_message_id,
    }
    assignee = session.get(StaffAccount, conversation.assignee_id) if conversation.assignee_id else None
    view["assignee_name"] = assignee.name if assignee else None
    csat = session.scalar(select(CsatResponse).where(CsatResponse.conversation_id == conversation.id))
    view["csat"] = (
        {"requested": True, "rating": csat.rating, "comment": csat.comment if for_staff else None}
        if csat is not None
        else None
    )
    if for_staff:
        view.update(
            {
                "priority": conversation.priority,
                "priority_reason": conversation.priority_reason,
                "assignee_id": conversation.assignee_id,
                "team_id": conversation.team_id,
                "labels": list(conversation.labels or []),
                "snoozed_until": conversation.snoozed_until.isoformat()
                if conversation.snoozed_until
                else None,
                "waiting_since": conversation.waiting_since.isoformat()
                if conversation.waiting_since
                else None,
                "first_response_at": (
                    conversation.first_response_at.isoformat() if conversation.first_response_at else None
                ),
                "reply_by_email": conversation.reply_by_email,
                "customer_id": conversation.customer_id,
                "contact_id": conversation.contact_id,
            }
        )
    return view


@dataclass
class CustomerPicture:
    """Everything beside a conversation: who this is and their history with the store."""

    name: str
    email: str | None
    customer: Customer | None
    facts: CustomerFacts = field(default_factory=CustomerFacts)
    orders: list[Any] = field(default_factory=list)
    order_count: int = 0
    net_spent_by_currency: dict[str, int] = field(default_factory=dict)
    past_conversations: list[dict[str, Any]] = field(default_factory=list)
    ratings: list[int] = field(default_factory=list)

    @property
    def loyalty(self) -> LoyaltyFacts | None:
        """The loyalty program's facts about the customer (None: not a member, or no customer)."""
        return self.facts.loyalty

    @property
    def average_rating(self) -> float | None:
        return sum(self.ratings) / len(self.ratings) if self.ratings else None


def customer_picture(session: Session, conversation: Conversation) -> CustomerPicture:
    contact = session.get(Contact, conversation.contact_id)
    assert contact is not None
    customer = session.get(Customer, conversation.customer_id) if conversation.customer_id else None
    picture = CustomerPicture(
        name=contact_name(contact, customer),
        email=(customer.email if customer else None) or contact.email,
        customer=customer,
    )
    owner = Conversation.customer_id == customer.id if customer else Conversation.contact_id == contact.id
    past = session.execute(
        select(Conversation, CsatResponse.rating)
        .outerjoin(CsatResponse, CsatResponse.conversation_id == Conversation.id)
        .where(Conversation.store_id == conversation.store_id, owner)
        .order_by(Conversation.id.desc())
        .limit(20)
    ).all()
    for other, rating in past:
        if rating is not None:
            picture.ratings.append(int(rating))
        if other.id != conversation.id:
            picture.past_conversations.append(
                {
                    "id": other.id,
                    "subject": other.subject,
                    "channel": other.channel,
                    "status": other.status,
                    "created_at": other.created_at,
                    "rating": rating,
                }
            )
    if customer is not None and customer.erased_at is None:
        from loyaldesk.commerce import purchase_summary, recent_orders_of_customer

        picture.facts = facts_about(session, conversation.store_id, customer.id)
        picture.orders = list(recent_orders_of_customer(session, conversation.store_id, customer.id, limit=5))
        summary = purchase_summary(session, conversation.store_id, customer.id)
        picture.order_count = summary.order_count
        picture.net_spent_by_currency = summary.net_spent_by_currency
    return picture


def canned_replies_of(session: Session, store_id: int) -> list[CannedReply]:
    return list(
        session.scalars(
            select(CannedReply).where(CannedReply.store_id == store_id).order_by(CannedReply.shortcut)
        )
    )


def _grouped(number: Any) -> Any:
    return f"{number:,}" if isinstance(number, int) else number


def canned_reply_values(
    session: Session,
    conversation: Conversation,
    picture: CustomerPicture,
    agent_name: str | None,
    store_name: str,
) -> dict[str, Any]:
    """The values a canned reply's variables take in this conversation."""
    customer = picture.customer
    loyalty = picture.loyalty
    latest = picture.orders[0] if picture.orders else None
    first_name = customer.first_name if customer else (picture.name.split()[0] if picture.name else None)
    return {
        "customer": {
            "first_name": first_name,
            "last_name": customer.last_name if customer else None,
            "name": picture.name,
            "email": picture.email,
        },
        "loyalty": {  # grouped as the console shows them: 1,250
            "points": _grouped(loyalty.points if loyalty else None),
            "pending_points": _grouped(loyalty.pending_points if loyalty else None),
            "tier": loyalty.tier if loyalty else None,
        },
        "order": {
            "latest": {
                "number": latest.number if latest else None,
                "status": str(latest.status) if latest else None,
            }
        },
        "agent": {"first_name": (agent_name or "").split()[0] if agent_name else None},
        "store": {"name": store_name},
    }


def desk_agents(session: Session, store_id: int) -> list[dict[str, Any]]:
    """Staff who may answer conversations here, with presence, for assignment menus."""
    rows = session.execute(
        select(StaffAccount.id, StaffAccount.name, StoreMembership.role, Agent.presence)
        .join(StoreMembership, StoreMembership.staff_id == StaffAccount.id)
        .outerjoin(Agent, (Agent.staff_account_id == StaffAccount.id) & (Agent.store_id == store_id))
        .where(StoreMembership.store_id == store_id)
        .order_by(StaffAccount.name)
    ).all()
    return [
        {"id": staff_id, "name": name, "presence": presence or "offline"}
        for staff_id, name, role, presence in rows
        if has_permission(role, Permission.ANSWER_CONVERSATIONS)
    ]


def desk_roster(session: Session, store_id: int) -> list[dict[str, Any]]:
    """Every agent of the store as the desk settings page shows them: presence, their own capacity (None:
    the store's default), open conversations now, and the teams they belong to."""
    loads = dict(
        session.execute(
            select(Conversation.assignee_id, func.count())
            .where(Conversation.store_id == store_id, Conversation.status == "open")
            .group_by(Conversation.assignee_id)
        ).all()
    )
    memberships: dict[int, set[int]] = {}
    for staff_id, team_id in session.execute(
        select(TeamMember.staff_account_id, TeamMember.team_id)
        .join(Team, Team.id == TeamMember.team_id)
        .where(Team.store_id == store_id)
    ):
        memberships.setdefault(staff_id, set()).add(team_id)
    rows = session.execute(
        select(StaffAccount.id, StaffAccount.name, StaffAccount.email, StoreMembership.role, Agent)
        .join(StoreMembership, StoreMembership.staff_id == StaffAccount.id)
        .outerjoin(Agent, (Agent.staff_account_id == StaffAccount.id) & (Agent.store_id == store_id))
        .where(StoreMembership.store_id == store_id)
        .order_by(StaffAccount.name, StaffAccount.id)
    ).all()
    return [
        {
            "id": staff_id,
            "name": name or email,
            "role": role,
            "presence": agent.presence if agent else "offline",
            "capacity": agent.capacity if agent else None,
            "open": int(loads.get(staff_id, 0)),
            "team_ids": memberships.get(staff_id, set()),
        }
        for staff_id, name, email, role, agent in rows
        if has_permission(role, Permission.ANSWER_CONVERSATIONS)
    ]


def tasks_of(session: Session, conversation_id: int) -> list[SupportTask]:
    """The conversation's follow-up tasks, open ones first."""
    return list(
        session.scalars(
            select(SupportTask)
            .where(SupportTask.conversation_id == conversation_id)
            .order_by(SupportTask.done_at.is_not(None), SupportTask.id)
        )
    )


def teams_of(session: Session, store_id: int) -> list[Team]:
    return list(session.scalars(select(Team).where(Team.store_id == store_id).order_by(Team.name)))


def agents_online(session: Session, store_id: int) -> bool:
    return bool(
        session.scalar(
            select(func.count())
            .select_from(Agent)
            .where(Agent.store_id == store_id, Agent.presence == "online")
        )
    )


def contact_conversations(session: Session, contact_id: int, limit: int = 20) -> list[Conversation]:
    return list(
        session.scalars(
            select(Conversation)
            .where(Conversation.contact_id == contact_id)
            .order_by(Conversation.id.desc())
            .limit(limit)
        )
    )
