"""The team page and an agent's profile: each agent's CSAT (from the feedback answers of kind CSAT that
name them, the chat's own rating mirrored there included), conversations resolved, kudos and shout-outs
in a period. Fair by construction: agents in name order (never ranked, and nothing about speed), a
CSAT only from the store's minimum number of answers on, always with its n and 95% interval."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from loyaldesk.feedback.actions.settings import feedback_settings
from loyaldesk.feedback.models import Kudos, Shoutout, SurveyResponse
from loyaldesk.feedback.team.kudos import unseen_kudos
from loyaldesk.feedback.team.rules import Share, wilson
from loyaldesk.feedback.team.staff import StaffMember, staff_member, staff_of
from loyaldesk.feedback.vocab import SurveyKind
from loyaldesk.stores import StaffAccount
from loyaldesk.support import Conversation

SATISFIED_FROM = 4  # CSAT 4-5 of 5 is satisfied (rules.scoring's promoter bucket)


@dataclass(frozen=True)
class AgentCard:
    """One agent on the team page. ``csat`` is None below ``min_answers`` (then only ``csat_answers``
    is shown: "not enough answers yet")."""

    agent: StaffMember
    csat_answers: int
    min_answers: int
    csat: Share | None
    average: float | None
    resolved: int
    kudos: int
    shoutouts: int

    @property
    def enough(self) -> bool:
        return self.csat is not None


@dataclass(frozen=True)
class KudosItem:
    id: int
    comment: str
    created_at: datetime
    conversation_id: int | None
    new: bool


@dataclass(frozen=True)
class ShoutoutItem:
    id: int
    from_name: str
    message: str
    created_at: datetime
    conversation_id: int | None


@dataclass(frozen=True)
class Profile:
    card: AgentCard
    kudos: list[KudosItem] = field(default_factory=list)
    shoutouts: list[ShoutoutItem] = field(default_factory=list)
    unseen: int = 0


def _counts(session: Session, statement: object) -> dict[int, int]:
    return {int(key): int(value) for key, value in session.execute(statement).all() if key is not None}  # type: ignore[call-overload]


def team_cards(
    session: Session, store_id: int, since: datetime, until: datetime, *, agent_ids: set[int] | None = None
) -> list[AgentCard]:
    """A card per agent of the store (staff who answer conversations, and anyone with kudos or
    shout-outs), in name order, for what happened from ``since`` to ``until``."""
    minimum = feedback_settings(session, store_id).team_min_answers
    csat_rows = session.execute(
        select(
            SurveyResponse.agent_id,
            func.count(),
            func.sum(case((SurveyResponse.score >= SATISFIED_FROM, 1), else_=0)),
            func.avg(SurveyResponse.score),
        )
        .where(
            SurveyResponse.store_id == store_id,
            SurveyResponse.survey_kind == SurveyKind.CSAT.value,
            SurveyResponse.agent_id.is_not(None),
            SurveyResponse.score.is_not(None),
            SurveyResponse.created_at >= since,
            SurveyResponse.created_at <= until,
        )
        .group_by(SurveyResponse.agent_id)
    ).all()
    csat = {int(agent): (int(n), int(hits or 0), float(avg)) for agent, n, hits, avg in csat_rows}
    resolved = _counts(
        session,
        select(Conversation.assignee_id, func.count())
        .where(
            Conversation.store_id == store_id,
            Conversation.resolved_at >= since,
            Conversation.resolved_at <= until,
        )
        .group_by(Conversation.assignee_id),
    )
    kudos = _counts(
        session,
        select(Kudos.agent_id, func.count())
        .where(Kudos.store_id == store_id, Kudos.created_at >= since, Kudos.created_at <= until)
        .group_by(Kudos.agent_id),
    )
    shoutouts = _counts(
        session,
        select(Shoutout.to_staff_id, func.count())
        .where(Shoutout.store_id == store_id, Shoutout.created_at >= since, Shoutout.created_at <= until)
        .group_by(Shoutout.to_staff_id),
    )
    cards = []
    for member in staff_of(session, store_id):
        if agent_ids is not None and member.id not in agent_ids:
            continue
        if agent_ids is None and not (
            member.answers_conversations or member.id in kudos or member.id in shoutouts
        ):
            continue
        n, hits, average = csat.get(member.id, (0, 0, 0.0))
        enough = n >= minimum
        cards.append(
            AgentCard(
                agent=member,
                csat_answers=n,
                min_answers=minimum,
                csat=wilson(hits, n) if enough else None,
                average=average if enough else None,
                resolved=resolved.get(member.id, 0),
                kudos=kudos.get(member.id, 0),
                shoutouts=shoutouts.get(member.id, 0),
            )
        )
    return cards


def agent_profile(
    session: Session, store_id: int, agent_id: int, since: datetime, until: datetime, *, limit: int = 50
) -> Profile | None:
    """The agent's card for the period, their latest kudos (the customers' own words) and shout-outs;
    None when ``agent_id`` is not on the store's staff."""
    member = staff_member(session, store_id, agent_id)
    if member is None:
        return None
    cards = team_cards(session, store_id, since, until, agent_ids={agent_id})
    kudos_rows = session.execute(
        select(Kudos, SurveyResponse.conversation_id)
        .join(SurveyResponse, SurveyResponse.id == Kudos.response_id)
        .where(Kudos.store_id == store_id, Kudos.agent_id == agent_id)
        .order_by(Kudos.created_at.desc(), Kudos.id.desc())
        .limit(limit)
    ).all()
    shout_rows = session.execute(
        select(Shoutout, StaffAccount.name)
        .outerjoin(StaffAccount, StaffAccount.id == Shoutout.from_staff_id)
        .where(Shoutout.store_id == store_id, Shoutout.to_staff_id == agent_id)
        .order_by(Shoutout.created_at.desc(), Shoutout.id.desc())
        .limit(limit)
    ).all()
    return Profile(
        card=cards[0],
        kudos=[
            KudosItem(row.id, row.comment, row.created_at, conversation_id, row.seen_at is None)
            for row, conversation_id in kudos_rows
        ],
        shoutouts=[
            ShoutoutItem(
                row.id, name or "A former colleague", row.message, row.created_at, row.conversation_id
            )
            for row, name in shout_rows
        ],
        unseen=unseen_kudos(session, store_id, agent_id),
    )
