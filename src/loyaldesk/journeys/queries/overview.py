"""What the console's journeys pages list: a store's rules with how many messages each sent lately, the
names of its templates, and the team's open tasks. Reads only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loyaldesk.customers import Customer
from loyaldesk.journeys.models import Decision, JourneyRule, MessageTemplate, Send, TeamTask
from loyaldesk.journeys.vocab import SendStatus, TaskStatus
from loyaldesk.loyalty import Reward
from loyaldesk.stores import StaffAccount, StoreMembership
from loyaldesk.support import Team

SENT = (SendStatus.SENT, SendStatus.DELIVERED, SendStatus.UNKNOWN)
TASKS_SHOWN = 200


@dataclass(frozen=True)
class RuleLine:
    rule: JourneyRule
    sent_7_days: int


def rules_of(session: Session, store_id: int, now: datetime) -> list[RuleLine]:
    """Every rule of the store, by name, with the messages it sent in the last 7 days."""
    rules = list(
        session.scalars(
            select(JourneyRule).where(JourneyRule.store_id == store_id).order_by(JourneyRule.name)
        )
    )
    sent = dict(
        session.execute(
            select(Send.rule_id, func.count())
            .where(
                Send.store_id == store_id,
                Send.status.in_(SENT),
                Send.sent_at > now - timedelta(days=7),
            )
            .group_by(Send.rule_id)
        ).all()
    )
    return [RuleLine(rule, int(sent.get(rule.id, 0))) for rule in rules]


@dataclass(frozen=True)
class TemplateName:
    key: str
    channel: str
    name: str


def templates_of(session: Session, store_id: int) -> list[TemplateName]:
    """The store's message templates, by channel and name."""
    return [
        TemplateName(key, channel, name)
        for key, channel, name in session.execute(
            select(MessageTemplate.key, MessageTemplate.channel, MessageTemplate.name)
            .where(MessageTemplate.store_id == store_id)
            .order_by(MessageTemplate.channel, MessageTemplate.name)
        )
    ]


@dataclass(frozen=True)
class TaskLine:
    task: TeamTask
    customer: Customer | None
    rule_name: str | None


def open_tasks(session: Session, store_id: int) -> list[TaskLine]:
    """The open tasks, soonest due first (those without a due time last), with customer and rule."""
    tasks = list(
        session.scalars(
            select(TeamTask)
            .where(TeamTask.store_id == store_id, TeamTask.status == TaskStatus.OPEN)
            .order_by(TeamTask.due_at.is_(None), TeamTask.due_at, TeamTask.id)
            .limit(TASKS_SHOWN)
        )
    )
    customer_ids = {task.customer_id for task in tasks if task.customer_id}
    rule_ids = {task.rule_id for task in tasks if task.rule_id}
    customers = (
        {c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(customer_ids)))}
        if customer_ids
        else {}
    )
    names = (
        dict(
            session.execute(
                select(JourneyRule.id, JourneyRule.name).where(JourneyRule.id.in_(rule_ids))
            ).all()
        )
        if rule_ids
        else {}
    )
    return [
        TaskLine(task, customers.get(task.customer_id or 0), names.get(task.rule_id or 0)) for task in tasks
    ]


@dataclass(frozen=True)
class StoreNames:
    """What the ids and keys a rule names are called in this store."""

    templates: dict[str, str]
    rewards: dict[int, str]
    teams: dict[int, str]
    staff: dict[int, str]


def names_of(session: Session, store_id: int) -> StoreNames:
    return StoreNames(
        templates={t.key: t.name for t in templates_of(session, store_id)},
        rewards=dict(
            session.execute(select(Reward.id, Reward.name).where(Reward.store_id == store_id)).all()
        ),
        teams=dict(session.execute(select(Team.id, Team.name).where(Team.store_id == store_id)).all()),
        staff=dict(
            session.execute(
                select(StaffAccount.id, StaffAccount.name)
                .join(StoreMembership, StoreMembership.staff_id == StaffAccount.id)
                .where(StoreMembership.store_id == store_id)
            ).all()
        ),
    )


@dataclass(frozen=True)
class DecisionLine:
    decision: Decision
    customer: Customer | None


def latest_decisions(session: Session, store_id: int, rule_id: int, limit: int = 50) -> list[DecisionLine]:
    """The rule's most recent decisions, newest first, with their customers."""
    decisions = list(
        session.scalars(
            select(Decision)
            .where(Decision.store_id == store_id, Decision.rule_id == rule_id)
            .order_by(Decision.id.desc())
            .limit(limit)
        )
    )
    ids = {d.customer_id for d in decisions}
    customers = (
        {c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(ids)))} if ids else {}
    )
    return [DecisionLine(d, customers.get(d.customer_id)) for d in decisions]
