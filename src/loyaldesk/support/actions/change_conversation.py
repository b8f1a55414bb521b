"""Changing a conversation: its status (resolve, snooze, reopen, wake from a snooze), its assignee and team,
its priority, labels and subject, and read receipts. One function each, one transaction, its event
published on commit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import FieldProblem, Invalid, NotFound
from loyaldesk.stores import Permission
from loyaldesk.support import rules
from loyaldesk.support.actions import sla
from loyaldesk.support.actions.csat import request_csat
from loyaldesk.support.actions.routing import assign_to, is_desk_member, route_waiting
from loyaldesk.support.actions.staff_access import require_staff
from loyaldesk.support.events import (
    ConversationStatusChanged,
    ConversationUpdated,
    MessagesRead,
)
from loyaldesk.support.models import Conversation, Team

CHANNELS = rules.CHANNELS
MAX_LABELS = 20
MAX_SUBJECT = 200


def set_status(
    uow: UnitOfWork,
    conversation: Conversation,
    status: rules.ConversationStatus,
    until: datetime | None = None,
) -> None:
    """Move ``conversation`` to ``status`` (no permission check: for the actions that checked), pausing or
    resuming its SLA clocks, and publish ``ConversationStatusChanged``."""
    previous = conversation.status
    conversation.status = status.value
    conversation.snoozed_until = until if status == rules.ConversationStatus.SNOOZED else None
    conversation.updated_at = uow.now()
    if previous != status.value:
        conversation.sla_pauses = sla.pauses_after_status_change(
            conversation.sla_pauses or [], previous, status.value, uow.now()
        )
    if status == rules.ConversationStatus.RESOLVED:
        conversation.resolved_at = uow.now()
    uow.emit(
        ConversationStatusChanged(
            store_id=conversation.store_id,
            customer_id=conversation.customer_id,
            conversation_id=conversation.id,
            from_status=previous,
            to_status=status.value,
            snoozed_until=until.isoformat() if until else None,
        )
    )


def change_status(
    uow: UnitOfWork,
    actor: Actor,
    conversation_id: int,
    status: str,
    *,
    snoozed_until: datetime | None = None,
) -> Conversation:
    """Move a conversation to ``status``; snoozing needs ``snoozed_until``. Resolving asks the customer
    to rate the conversation (when CSAT is on)."""
    conversation = require_staff(uow, actor, conversation_id, Permission.ANSWER_CONVERSATIONS)
    target = rules.check_status_change(conversation.status, status)
    until = None
    if target == rules.ConversationStatus.SNOOZED:
        if snoozed_until is None:
            raise Invalid("say until when", [FieldProblem("snoozed_until", "is required to snooze")])
        until = rules.check_snooze_until(snoozed_until, uow.now())
    if target.value == conversation.status and until is None:
        return conversation
    set_status(uow, conversation, target, until)
    if target == rules.ConversationStatus.RESOLVED:
        request_csat(uow, conversation)
    sla.refresh(uow, conversation)
    return conversation


# ``assign(team_id=KEEP_TEAM)`` leaves the conversation's team as it is.
KEEP_TEAM = -1


def assign(
    uow: UnitOfWork,
    actor: Actor,
    conversation_id: int,
    *,
    assignee_id: int | None,
    team_id: int | None = KEEP_TEAM,
) -> Conversation:
    """Assign (or unassign, ``None``) a conversation, and give it to a team (``None``: no team). The
    assignee must answer conversations here. A conversation moved to a team without an assignee is
    routed to that team's online agents at once."""
    conversation = require_staff(uow, actor, conversation_id, Permission.ANSWER_CONVERSATIONS)
    if assignee_id is not None and not is_desk_member(uow, conversation.store_id, assignee_id):
        raise Invalid(
            "cannot assign to this person",
            [FieldProblem("assignee_id", "is not an agent of this store")],
        )
    team_changed = team_id != KEEP_TEAM and team_id != conversation.team_id
    if team_changed and team_id is not None:
        team = uow.session.get(Team, team_id)
        if team is None or team.store_id != conversation.store_id:
            raise Invalid("no such team", [FieldProblem("team_id", "is not a team of this store")])
    if team_changed:
        conversation.team_id = team_id
    if assignee_id != conversation.assignee_id or team_changed:
        assign_to(uow, conversation, assignee_id, automatic=False)
    if team_changed and assignee_id is None and conversation.status == "open":
        route_waiting(uow, conversation.store_id)
    if team_changed:
        sla.refresh(uow, conversation)  # a policy may apply to the team
    return conversation


def update_conversation(
    uow: UnitOfWork,
    actor: Actor,
    conversation_id: int,
    *,
    priority: str | None = None,
    labels: list[str] | None = None,
    subject: str | None = None,
) -> Conversation:
    """Change priority, labels or subject."""
    conversation = require_staff(uow, actor, conversation_id, Permission.ANSWER_CONVERSATIONS)
    changes: dict[str, Any] = {}
    if priority is not None and priority != conversation.priority:
        if priority not in rules.PRIORITIES:
            raise Invalid(
                "unknown priority", [FieldProblem("priority", "must be low, normal, high or urgent")]
            )
        conversation.priority = priority
        conversation.priority_rank = rules.priority_rank(priority)
        conversation.priority_reason = "set by an agent"
        changes["priority"] = priority
    if labels is not None:
        cleaned = sorted({label.strip().lower() for label in labels if label.strip()})
        if len(cleaned) > MAX_LABELS or any(len(label) > 40 for label in cleaned):
            raise Invalid(
                "too many or too long labels",
                [FieldProblem("labels", f"at most {MAX_LABELS} labels of at most 40 characters")],
            )
        if cleaned != list(conversation.labels or []):
            conversation.labels = cleaned
            changes["labels"] = cleaned
    if subject is not None and subject.strip() != conversation.subject:
        conversation.subject = subject.strip()[:MAX_SUBJECT]
        changes["subject"] = conversation.subject
    if changes:
        conversation.updated_at = uow.now()
        uow.emit(
            ConversationUpdated(
                store_id=conversation.store_id,
                customer_id=conversation.customer_id,
                conversation_id=conversation.id,
                changes=changes,
            )
        )
        if "priority" in changes or "labels" in changes:
            sla.refresh(uow, conversation)  # another policy may apply now
    return conversation


def mark_read(
    uow: UnitOfWork, conversation_id: int, *, reader: str, message_id: int, contact_id: int | None = None
) -> None:
    """The customer (``reader="customer"``, who must own it) or the desk has read up to ``message_id``."""
    conversation = uow.session.get(Conversation, conversation_id)
    if conversation is None or (reader == "customer" and conversation.contact_id != contact_id):
        raise NotFound("no such conversation")
    column = "customer_last_read_message_id" if reader == "customer" else "agent_last_read_message_id"
    if (getattr(conversation, column) or 0) >= message_id:
        return
    setattr(conversation, column, message_id)
    uow.emit(
        MessagesRead(
            store_id=conversation.store_id,
            customer_id=conversation.customer_id,
            conversation_id=conversation.id,
            reader=reader,
            message_id=message_id,
        )
    )


def wake_snoozed(uow: UnitOfWork, *, limit: int = 500) -> int:
    """Reopen conversations whose snooze has ended (a periodic job)."""
    due = list(
        uow.session.scalars(
            select(Conversation)
            .where(Conversation.status == "snoozed", Conversation.snoozed_until <= uow.now())
            .order_by(Conversation.snoozed_until)
            .limit(limit)
        )
    )
    stores = set()
    for conversation in due:
        set_status(uow, conversation, rules.ConversationStatus.OPEN)
        conversation.waiting_since = conversation.waiting_since or uow.now()
        sla.refresh(uow, conversation)
        stores.add(conversation.store_id)
    for store_id in stores:
        route_waiting(uow, store_id)
    return len(due)
