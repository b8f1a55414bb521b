"""Goodwill and service recovery: points given from a conversation, within each role's monthly budget,
audited and noted in the conversation; and, when a store switches it on, an automatic gesture after an
SLA breach or a poor rating, with a follow-up task for the team lead.

Budgets count the points an agent gave in the current calendar month of the store's time zone. The
points themselves go through ``customers.grant_goodwill_points`` (the loyalty program), once per grant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loyaldesk.customers import goodwill_rewards, grant_goodwill_points, grant_goodwill_reward
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict, FieldProblem, Invalid, NotFound
from loyaldesk.kernel.events import StoredEvent
from loyaldesk.stores import Permission, authorize, record_audit, store_by_id
from loyaldesk.support.actions.desk_settings import DEFAULT_GOODWILL_BUDGETS, settings_for
from loyaldesk.support.actions.post_message import post_system_note, staff_name
from loyaldesk.support.events import CsatSubmitted, GoodwillGranted, SlaBreached
from loyaldesk.support.models import Conversation, GoodwillGrant, SupportSettings, SupportTask, Team

MAX_POINTS = 100_000


@dataclass(frozen=True)
class Budget:
    """An agent's goodwill budget this month: ``limit`` None means no limit."""

    limit: int | None
    used: int

    @property
    def left(self) -> int | None:
        return None if self.limit is None else max(self.limit - self.used, 0)


def month_start(now: datetime, time_zone: str) -> datetime:
    """The first instant of ``now``'s calendar month in ``time_zone``. Pure."""
    local = now.astimezone(ZoneInfo(time_zone))
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def budget_of(uow: UnitOfWork, store_id: int, staff_id: int, role: str | None) -> Budget:
    """The agent's budget as an action sees it (in its unit of work)."""
    return goodwill_budget(uow.session, store_id, staff_id, role, uow.now())


def goodwill_budget(
    session: Session, store_id: int, staff_id: int, role: str | None, now: datetime
) -> Budget:
    """What an agent with ``role`` may still give this month (a read: pages call it in a read session)."""
    desk = session.scalar(select(SupportSettings).where(SupportSettings.store_id == store_id))
    budgets = (desk.goodwill_budgets if desk is not None else DEFAULT_GOODWILL_BUDGETS) or {}
    limit = budgets.get(role or "", 0) if (role or "") in budgets else 0
    since = month_start(now, store_by_id(session, store_id).timezone)
    used = session.scalar(
        select(func.coalesce(func.sum(GoodwillGrant.points), 0)).where(
            GoodwillGrant.store_id == store_id,
            GoodwillGrant.staff_id == staff_id,
            GoodwillGrant.created_at >= since,
        )
    )
    return Budget(limit=limit, used=int(used or 0))


def grant_goodwill(
    uow: UnitOfWork,
    actor: Actor,
    conversation_id: int,
    *,
    points: int | None = None,
    reward_id: int | None = None,
    reason: str,
) -> GoodwillGrant:
    """An agent gives the conversation's customer ``points``, or the code of reward ``reward_id`` (its
    points cost counts against the budget), with a ``reason`` the customer will read. ``Conflict`` naming
    what is left when it would go over the agent's monthly budget."""
    conversation = uow.session.get(Conversation, conversation_id)
    if conversation is None or actor.store_id not in (conversation.store_id, None):
        raise NotFound("no such conversation")  # another store's: as if missing
    authorize(
        actor, conversation.store_id, scope="conversations:write", permission=Permission.ANSWER_CONVERSATIONS
    )
    problems = []
    reward = None
    if reward_id is not None:
        offered = goodwill_rewards(uow.session, conversation.store_id)
        reward = next((r for r in offered if r.reward_id == reward_id), None)
        if reward is None:
            problems.append(FieldProblem("reward_id", "is not an active reward of this store"))
        points = reward.points if reward is not None else 0
    elif not isinstance(points, int) or not 1 <= points <= MAX_POINTS:
        problems.append(FieldProblem("points", f"a whole number from 1 to {MAX_POINTS:,}"))
    text = " ".join((reason or "").split())
    if not 3 <= len(text) <= 300:
        problems.append(FieldProblem("reason", "say why, in 3 to 300 characters (the customer reads it)"))
    if problems:
        raise Invalid("the goodwill gesture is not valid", problems)
    assert points is not None
    if conversation.customer_id is None:
        raise Conflict("this visitor is not a known customer, so points cannot be given")
    if actor.kind != "staff" or actor.id is None:
        raise Conflict("goodwill is given by a staff member")
    budget = budget_of(uow, conversation.store_id, actor.id, actor.role)
    if budget.left is not None and points > budget.left:
        raise Conflict(
            f"over your goodwill budget: {budget.left:,} of {budget.limit:,} points left this month"
        )
    grant = GoodwillGrant(
        store_id=conversation.store_id,
        conversation_id=conversation.id,
        customer_id=conversation.customer_id,
        staff_id=actor.id,
        role=actor.role,
        points=points,
        reason=text,
        created_at=uow.now(),
    )
    uow.session.add(grant)
    uow.session.flush()
    balance: int | None = None
    if reward is not None:
        issued = grant_goodwill_reward(
            uow,
            conversation.store_id,
            conversation.customer_id,
            reward_id=reward.reward_id,
            note=text,
            key=f"grant:{grant.id}",
            actor_label=actor.label,
        )
        grant.reward_id, grant.reward_name, grant.code = issued.reward_id, issued.name, issued.code
    else:
        balance = grant_goodwill_points(
            uow,
            conversation.store_id,
            conversation.customer_id,
            points=points,
            note=text,
            key=f"grant:{grant.id}",
            reason_code="goodwill",
            actor_label=actor.label,
        ).available_points
    record_audit(
        uow,
        actor,
        "support.goodwill_granted",
        store_id=conversation.store_id,
        target_type="conversation",
        target_id=conversation.id,
        details={
            "points": grant.points,
            "reward": grant.reward_name,
            "reason": text,
            "customer_id": conversation.customer_id,
        },
    )
    who = staff_name(uow, actor.id)
    gift = (
        f"the reward {grant.reward_name} (code {grant.code})" if grant.code else f"{points:,} goodwill points"
    )
    post_system_note(uow, conversation, f"{who} gave {gift}: {text}")
    _emit(uow, conversation, grant, balance, automatic=False)
    return grant


def _emit(
    uow: UnitOfWork, conversation: Conversation, grant: GoodwillGrant, balance: int | None, *, automatic: bool
) -> None:
    uow.emit(
        GoodwillGranted(
            store_id=conversation.store_id,
            customer_id=conversation.customer_id,
            conversation_id=conversation.id,
            points=grant.points,
            reason=grant.reason,
            staff_id=grant.staff_id,
            automatic=automatic,
            available_points=balance,
            reward_name=grant.reward_name,
        )
    )


def _recover(uow: UnitOfWork, conversation_id: int | None, why: str) -> None:
    """The store's automatic gesture for a bad experience, once per conversation, and a task for the lead."""
    conversation = uow.session.get(Conversation, conversation_id) if conversation_id else None
    if conversation is None or conversation.customer_id is None:
        return
    settings = settings_for(uow, conversation.store_id)
    if not settings.recovery_enabled or settings.recovery_points <= 0:
        return
    key = f"recovery:{conversation.id}"
    if uow.session.scalar(select(GoodwillGrant.id).where(GoodwillGrant.automatic_key == key)) is not None:
        return
    grant = GoodwillGrant(
        store_id=conversation.store_id,
        conversation_id=conversation.id,
        customer_id=conversation.customer_id,
        points=settings.recovery_points,
        reason="Sorry for the trouble",
        automatic_key=key,
        created_at=uow.now(),
    )
    uow.session.add(grant)
    uow.session.flush()
    try:
        given = grant_goodwill_points(
            uow,
            conversation.store_id,
            conversation.customer_id,
            points=grant.points,
            note=f"we are sorry about conversation #{conversation.id}",
            key=key,
            reason_code="service_recovery",
            actor_label="service recovery",
        )
    except Conflict:  # not a member: no points, but the lead still follows up
        uow.session.delete(grant)
        given = None
    lead_id = None
    if conversation.team_id is not None:
        team = uow.session.get(Team, conversation.team_id)
        lead_id = team.lead_id if team is not None else None
    uow.session.add(
        SupportTask(
            store_id=conversation.store_id,
            conversation_id=conversation.id,
            assignee_id=lead_id,
            title=f"Follow up with the customer: {why}",
            created_at=uow.now(),
        )
    )
    note = f"Service recovery: {why}."
    if given is not None:
        note += f" {grant.points:,} points were given automatically."
    post_system_note(uow, conversation, note + " A follow-up task was created for the team lead.")
    if given is not None:
        _emit(uow, conversation, grant, given.available_points, automatic=True)


def recover_after_breach(uow: UnitOfWork, stored: StoredEvent, event: SlaBreached) -> None:
    """Handler of ``SlaBreached``: service recovery where the store switched it on."""
    metric = event.metric.replace("_", " ")
    _recover(uow, event.conversation_id, f"the {metric} target was missed")


def recover_after_poor_rating(uow: UnitOfWork, stored: StoredEvent, event: CsatSubmitted) -> None:
    """Handler of ``CsatSubmitted``: service recovery after a rating of 2 or less."""
    if event.rating <= 2:
        _recover(uow, event.conversation_id, f"they rated the conversation {event.rating} out of 5")


def complete_task(uow: UnitOfWork, actor: Actor, store_id: int, task_id: int) -> SupportTask:
    authorize(actor, store_id, scope="conversations:write", permission=Permission.ANSWER_CONVERSATIONS)
    task = uow.session.get(SupportTask, task_id)
    if task is None or task.store_id != store_id:
        raise NotFound("no such task")
    task.done_at = task.done_at or uow.now()
    return task
