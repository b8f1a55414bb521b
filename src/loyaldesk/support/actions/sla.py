"""SLA policies applied to conversations: which policy applies, the clocks' pauses, due times for the
inbox, and the warning and breach steps with their escalation, each fired once.

The math is pure and lives in ``sla_rules`` and ``business_hours``; this module feeds it a conversation's
timeline from the database and acts on what it says. ``refresh`` is called by every action that changes
what the clocks see (a message, a status change, priority, labels or team) and by the ``support.sla_check``
job when a conversation's next warning or breach is due, so escalation happens even when nobody acts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from loyaldesk.customers import facts_about
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.row_cache import RowCache
from loyaldesk.support import rules
from loyaldesk.support.business_hours import BusinessCalendar, always_open, business_calendar
from loyaldesk.support.events import ConversationUpdated, SlaBreached, SlaWarning
from loyaldesk.support.models import (
    BusinessCalendarRow,
    Conversation,
    Message,
    SlaPolicy,
    Team,
)
from loyaldesk.support.sla_rules import (
    ConversationTimeline,
    Escalation,
    EscalationKind,
    Pause,
    PauseReason,
    SlaMetric,
    SlaState,
    SlaStatus,
    SlaTargets,
    escalations_due,
    next_escalation_at,
    sla_status,
)

CONDITION_KEYS = ("tiers", "channels", "priorities", "team_ids", "labels")
_FACT_OF_CONDITION = {"tiers": "tier", "channels": "channel", "priorities": "priority", "team_ids": "team_id"}
PAUSING_STATUSES = {"pending": PauseReason.WAITING_ON_CUSTOMER, "snoozed": PauseReason.SNOOZED}
# What the inbox shows for a conversation: the most pressing state of its clocks.
_STATE_ORDER = (SlaState.BREACHED, SlaState.WARNING, SlaState.RUNNING, SlaState.PAUSED, SlaState.MET)


# -- pure helpers ----------------------------------------------------------------------------------
def matches(conditions: Mapping[str, Any], facts: Mapping[str, Any]) -> bool:
    """Whether a conversation with ``facts`` (tier, channel, priority, team_id, labels) meets every
    non-empty condition list; labels match when the conversation has any of them. Pure."""
    for key in CONDITION_KEYS:
        wanted = list(conditions.get(key) or [])
        if not wanted:
            continue
        if key == "labels":
            if not set(wanted) & set(facts.get("labels") or []):
                return False
        elif facts.get(_FACT_OF_CONDITION[key]) not in wanted:
            return False
    return True


def calendar_of(row: BusinessCalendarRow | None) -> BusinessCalendar:
    """The business calendar of a stored row (open all the time without one)."""
    if row is None:
        return always_open()
    hours = {weekday: text for weekday, text in enumerate(row.weekly_hours or []) if text and text.strip()}
    return business_calendar(row.time_zone, hours, [date.fromisoformat(day) for day in row.holidays or []])


def targets_of(policy: SlaPolicy) -> SlaTargets:
    def minutes(value: int | None) -> timedelta | None:
        return timedelta(minutes=value) if value else None

    return SlaTargets(
        first_response=minutes(policy.first_response_minutes),
        next_response=minutes(policy.next_response_minutes),
        resolution=minutes(policy.resolution_minutes),
        warn_before=min(max(policy.warn_before_percent, 0), 99) / 100,
    )


def pauses_after_status_change(
    pauses: Iterable[list[Any]], old_status: str, new_status: str, now: datetime
) -> list[list[Any]]:
    """The stored pauses once a conversation moves from ``old_status`` to ``new_status`` at ``now``: entering
    pending or snoozed opens a pause, leaving closes it. Pure."""
    result = [list(pause) for pause in pauses]
    if old_status in PAUSING_STATUSES and result and result[-1][1] is None:
        result[-1][1] = now.isoformat()
    if new_status in PAUSING_STATUSES:
        result.append([now.isoformat(), None, PAUSING_STATUSES[new_status].value])
    return result


def _escalation_key(step: Escalation) -> list[str]:
    return [step.metric.value, step.kind.value, step.clock_started_at.isoformat()]


def _fired(stored: Iterable[list[Any]]) -> set[Escalation]:
    return {
        Escalation(SlaMetric(metric), EscalationKind(kind), datetime.fromisoformat(started), datetime.min)
        for metric, kind, started in stored
    }


def summary_state(status: SlaStatus) -> str | None:
    states = {metric.state for metric in status.metrics}
    return next((state.value for state in _STATE_ORDER if state in states), None)


# -- database ----------------------------------------------------------------------------------------
# The stores known to have no active SLA policy (most stores), per database: every customer's message
# that starts or reopens a conversation asks. Kept ``NO_POLICY_SECONDS`` and forgotten at once by any change
# of a policy in this process (kernel.row_cache); another process's change is seen within that time.
NO_POLICY_SECONDS = 5.0
_no_policy: RowCache[bool] = RowCache("stores_without_sla_policy", [SlaPolicy], seconds=NO_POLICY_SECONDS)


def forget_stores_without_policy() -> None:
    """Drop what is cached of which stores have no active SLA policy."""
    _no_policy.forget()


def store_has_no_policy(uow: UnitOfWork, store_id: int) -> bool:
    """Whether the store is known (cached, see ``NO_POLICY_SECONDS``) to have no active SLA policy, so
    that ``refresh`` of a conversation without SLA state would change nothing. False when not known."""
    return bool(_no_policy.get(uow.session, store_id))


def applicable_policy(uow: UnitOfWork, conversation: Conversation) -> SlaPolicy | None:
    """The store's first active policy whose conditions the conversation meets, or None."""
    if _no_policy.get(uow.session, conversation.store_id):
        return None
    with uow.session.no_autoflush:  # the caller's pending changes are flushed at commit, once
        policies = list(
            uow.session.scalars(
                select(SlaPolicy)
                .where(SlaPolicy.store_id == conversation.store_id, SlaPolicy.active.is_(True))
                .order_by(SlaPolicy.position, SlaPolicy.id)
            )
        )
    if not policies:
        _no_policy.put(uow.session, conversation.store_id, True)
        return None
    tier = None
    if conversation.customer_id is not None and any((p.conditions or {}).get("tiers") for p in policies):
        loyalty = facts_about(uow.session, conversation.store_id, conversation.customer_id).loyalty
        tier = loyalty.tier if loyalty is not None else None
    facts = {
        "tier": tier,
        "channel": conversation.channel,
        "priority": conversation.priority,
        "team_id": conversation.team_id,
        "labels": conversation.labels or [],
    }
    return next((policy for policy in policies if matches(policy.conditions or {}, facts)), None)


def timeline_of(uow: UnitOfWork, conversation: Conversation) -> ConversationTimeline:
    rows = uow.session.execute(
        select(Message.author_kind, Message.internal, Message.created_at).where(
            Message.conversation_id == conversation.id
        )
    ).all()
    resolved = conversation.resolved_at if conversation.status in ("resolved", "closed") else None
    return ConversationTimeline(
        opened_at=conversation.created_at,
        customer_messages=tuple(created for kind, _, created in rows if kind == "customer"),
        agent_replies=tuple(created for kind, internal, created in rows if kind == "agent" and not internal),
        resolved_at=resolved,
        pauses=tuple(
            Pause(
                datetime.fromisoformat(started),
                datetime.fromisoformat(ended) if ended else None,
                PauseReason(reason),
            )
            for started, ended, reason in conversation.sla_pauses or []
        ),
    )


def refresh(uow: UnitOfWork, conversation: Conversation) -> None:
    """Bring the conversation's SLA up to date as of now: policy, due time and state for the inbox, the
    next time to look again, and any warning or breach not fired yet (with the policy's escalation)."""
    # While the assistant answers, nobody waits on a person: no clock runs (it starts at the hand-off).
    policy = None if conversation.assistant_active else applicable_policy(uow, conversation)
    if policy is None:
        if conversation.sla_policy_id is not None or conversation.sla_state is not None:
            conversation.sla_policy_id = None
            conversation.sla_state = conversation.sla_due_at = conversation.sla_next_check_at = None
        return
    conversation.sla_policy_id = policy.id
    calendar = calendar_of(
        uow.session.get(BusinessCalendarRow, policy.calendar_id) if policy.calendar_id else None
    )
    now = uow.now()
    status = sla_status(calendar, targets_of(policy), timeline_of(uow, conversation), now)
    fired = _fired(conversation.sla_fired or [])
    for step in escalations_due(status, fired):
        _fire(uow, conversation, policy, status, step)
        fired.add(step)
        conversation.sla_fired = [*(conversation.sla_fired or []), _escalation_key(step)]
    running = [
        m.due_at for m in status.metrics if m.state in (SlaState.RUNNING, SlaState.WARNING) and m.due_at
    ]
    conversation.sla_due_at = min(running, default=None)
    conversation.sla_state = summary_state(status)
    conversation.sla_next_check_at = next_escalation_at(status, fired)


def _fire(
    uow: UnitOfWork, conversation: Conversation, policy: SlaPolicy, status: SlaStatus, step: Escalation
) -> None:
    metric = next(m for m in status.metrics if m.metric == step.metric)
    due_at = (metric.breached_at or metric.due_at or step.occurred_at).isoformat()
    if step.kind is EscalationKind.WARNING:
        uow.emit(
            SlaWarning(
                store_id=conversation.store_id,
                customer_id=conversation.customer_id,
                conversation_id=conversation.id,
                policy_id=policy.id,
                metric=step.metric.value,
                due_at=due_at,
            )
        )
        return
    done, lead_id = _escalate(uow, conversation, policy, step.metric)
    uow.emit(
        SlaBreached(
            store_id=conversation.store_id,
            customer_id=conversation.customer_id,
            conversation_id=conversation.id,
            policy_id=policy.id,
            metric=step.metric.value,
            due_at=due_at,
            actions=done,
            lead_id=lead_id,
        )
    )


def _escalate(
    uow: UnitOfWork, conversation: Conversation, policy: SlaPolicy, metric: SlaMetric
) -> tuple[list[str], int | None]:
    """The policy's escalation for a breach: raise the priority, move to a team, tell the team's lead."""
    # These modules call refresh: imported at call time.
    from loyaldesk.support.actions import post_message, routing

    escalation = policy.escalation or {}
    done: list[str] = []
    label = metric.value.replace("_", " ")
    raise_to = escalation.get("raise_priority")
    if raise_to in rules.PRIORITIES and rules.priority_rank(raise_to) > conversation.priority_rank:
        conversation.priority, conversation.priority_rank = raise_to, rules.priority_rank(raise_to)
        conversation.priority_reason = f"SLA breached: {label}"
        uow.emit(
            ConversationUpdated(
                store_id=conversation.store_id,
                customer_id=conversation.customer_id,
                conversation_id=conversation.id,
                changes={"priority": raise_to},
            )
        )
        done.append("raised_priority")
    team_id = escalation.get("team_id")
    team = uow.session.get(Team, team_id) if team_id else None
    if team is not None and team.store_id == conversation.store_id and conversation.team_id != team.id:
        conversation.team_id = team.id
        routing.assign_to(uow, conversation, None, automatic=True)
        routing.route_waiting(uow, conversation.store_id)
        done.append("moved_to_team")
    lead_id = None
    if escalation.get("notify_lead"):
        lead_team = uow.session.get(Team, conversation.team_id) if conversation.team_id else team
        lead_id = lead_team.lead_id if lead_team is not None else None
        who = post_message.staff_name(uow, lead_id) if lead_id else "team lead"
        post_message.post_system_note(
            uow, conversation, f"SLA breached: {label} ({policy.name}). {who}, please take a look."
        )
        done.append("notified_lead")
    return done, lead_id


def check_due(uow: UnitOfWork, *, limit: int = 200) -> int:
    """Refresh conversations whose next warning or breach is due (the ``support.sla_check`` job)."""
    due = list(
        uow.session.scalars(
            select(Conversation)
            .where(Conversation.sla_next_check_at.is_not(None), Conversation.sla_next_check_at <= uow.now())
            .order_by(Conversation.sla_next_check_at)
            .limit(limit)
        )
    )
    for conversation in due:
        refresh(uow, conversation)
    return len(due)
