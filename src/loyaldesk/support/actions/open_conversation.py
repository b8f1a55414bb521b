"""Opening a conversation: which open conversation a customer's message continues, and a new one's
priority (from the customer's tier and value, through ``customers.facts_about``) and its
``ConversationStarted`` event.
"""

from __future__ import annotations

from sqlalchemy import select

from loyaldesk.customers import facts_about
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import FieldProblem, Invalid, NotFound
from loyaldesk.support import rules
from loyaldesk.support.actions.desk_settings import DeskFacts, desk_facts
from loyaldesk.support.events import (
    ConversationStarted,
)
from loyaldesk.support.first_line import assistant_takes
from loyaldesk.support.models import Contact, Conversation

CHANNELS = rules.CHANNELS
MAX_LABELS = 20
MAX_SUBJECT = 200


def customer_conversation(
    uow: UnitOfWork, contact: Contact, conversation_id: int | None, channel: str
) -> Conversation | None:
    """``conversation_id`` if it is the contact's, else their latest open one on ``channel`` (a chat does
    not continue an email thread)."""
    if conversation_id is not None:
        conversation = uow.session.get(Conversation, conversation_id)
        if conversation is None or conversation.contact_id != contact.id:
            raise NotFound("no such conversation")
        return conversation
    return uow.session.scalar(
        select(Conversation)
        .where(
            Conversation.contact_id == contact.id,
            Conversation.status != "closed",
            Conversation.channel == channel,
        )
        .order_by(Conversation.id.desc())
        .limit(1)
    )


def start_conversation(
    uow: UnitOfWork, contact: Contact, *, channel: str, subject: str, reply_by_email: bool = False
) -> Conversation:
    if channel not in CHANNELS:
        raise Invalid("unknown channel", [FieldProblem("channel", f"must be one of {', '.join(CHANNELS)}")])
    settings = desk_facts(uow, contact.store_id)
    priority, reason = new_conversation_priority(uow, settings, contact, channel)
    now = uow.now()
    conversation = Conversation(
        store_id=contact.store_id,
        contact_id=contact.id,
        customer_id=contact.customer_id,
        channel=channel,
        subject=subject[:MAX_SUBJECT],
        status=rules.ConversationStatus.OPEN.value,
        priority=priority.value,
        priority_rank=rules.priority_rank(priority),
        priority_reason=reason[:120],
        labels=[],
        reply_by_email=reply_by_email,
        message_count=0,
        created_at=now,
        updated_at=now,
        # The offline form leaves a message for people: the assistant takes only live conversations.
        assistant_active=not reply_by_email and assistant_takes(uow.session, contact, channel),
    )
    uow.session.add(conversation)
    uow.session.flush()
    uow.emit(
        ConversationStarted(
            store_id=contact.store_id,
            customer_id=contact.customer_id,
            conversation_id=conversation.id,
            channel=channel,
            priority=priority.value,
            contact_id=contact.id,
        )
    )
    return conversation


def new_conversation_priority(
    uow: UnitOfWork, settings: DeskFacts, contact: Contact, channel: str
) -> tuple[rules.Priority, str]:
    """A new conversation's priority and its reason: the customer's tier (the desk's setting, else the
    tier's own), their lifetime spend against the desk's threshold, the channel."""
    tier_priorities = {k: rules.Priority(v) for k, v in (settings.tier_priorities or {}).items()}
    tier_name: str | None = None
    perks: list[str] = []
    spend = 0
    if contact.customer_id is not None:
        loyalty = facts_about(uow.session, contact.store_id, contact.customer_id).loyalty
        if loyalty is not None:
            tier_name = loyalty.tier
            perks = list(loyalty.tier_perks)
            # The tier's own support priority (set in the loyalty program) unless the desk overrides it.
            if (
                tier_name
                and tier_name not in tier_priorities
                and loyalty.support_priority in rules.PRIORITIES
            ):
                tier_priorities[tier_name] = rules.Priority(loyalty.support_priority)
        if settings.high_value_threshold_minor is not None:
            from loyaldesk.commerce import purchase_summary

            summary = purchase_summary(uow.session, contact.store_id, contact.customer_id)
            spend = max(summary.net_spent_by_currency.values(), default=0)
    policy = rules.PriorityPolicy(
        tier_priorities=tier_priorities,
        high_value_threshold_minor=settings.high_value_threshold_minor,
        channel_priorities={k: rules.Priority(v) for k, v in (settings.channel_priorities or {}).items()},
    )
    return rules.priority_for(
        policy, tier_name=tier_name, tier_perks=perks, lifetime_spend_minor=spend, channel=channel
    )
