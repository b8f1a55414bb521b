"""Kudos: a customer's top score with a comment, about a conversation an agent served, becomes one kudos
for that agent (once per answer) and ``KudosReceived`` tells the agent. The agent's unseen kudos are
counted until they open their own profile."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from loyaldesk.feedback.events import KudosReceived, SurveyAnswered
from loyaldesk.feedback.models import Kudos, Survey, SurveyResponse
from loyaldesk.feedback.rules.scoring import SCORE_RANGES, score_question
from loyaldesk.feedback.vocab import QuestionType, SurveyKind
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.events import StoredEvent


def top_score(survey: Survey) -> int | None:
    """The top of the survey's score scale: CSAT 5, CES 7, NPS 10, a custom scale's ``max`` (None for a
    survey without a score question)."""
    try:
        known = SCORE_RANGES.get(SurveyKind(survey.kind))
    except ValueError:
        known = None
    if known is not None:
        return known[1]
    question = score_question(survey.questions or [])
    if question is None:
        return None
    if question.get("type") == QuestionType.NPS:
        return 10
    return int(question.get("max", 5))


def record_kudos(uow: UnitOfWork, stored: StoredEvent, event: SurveyAnswered) -> None:
    """Handler of ``SurveyAnswered``: when the answer (as it stands now) has its scale's top score and a
    comment and names the agent who served the customer, keep one kudos for it and announce it. Runs for
    every part of an answer; the first part that qualifies makes the kudos, later ones find it made.
    A customer who answers again (the chat's rating can be changed) keeps the kudos current: new words
    replace the old, and a kudos whose answer no longer qualifies is withdrawn."""
    response = uow.session.get(SurveyResponse, event.response_id)
    if response is None:
        return
    existing = uow.session.scalar(select(Kudos).where(Kudos.response_id == response.id))
    comment = (response.comment or "").strip()
    survey = uow.session.get(Survey, response.survey_id)
    qualifies = (
        survey is not None
        and response.agent_id is not None
        and response.score is not None
        and bool(comment)
        and response.score == top_score(survey)
    )
    if existing is not None:
        if not qualifies or existing.agent_id != response.agent_id:
            uow.session.delete(existing)
        elif existing.comment != comment:
            existing.comment = comment
        return
    if not qualifies or response.agent_id is None:
        return
    kudos = Kudos(
        store_id=response.store_id,
        agent_id=response.agent_id,
        response_id=response.id,
        comment=comment,
        created_at=uow.now(),
    )
    uow.session.add(kudos)
    uow.session.flush()
    uow.emit(KudosReceived(store_id=response.store_id, agent_id=response.agent_id, response_id=response.id))


def unseen_kudos(session: Session, store_id: int, agent_id: int) -> int:
    """How many of the agent's kudos they have not seen yet (on their profile)."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(Kudos)
            .where(Kudos.store_id == store_id, Kudos.agent_id == agent_id, Kudos.seen_at.is_(None))
        )
        or 0
    )


def mark_kudos_seen(uow: UnitOfWork, actor: Actor, store_id: int) -> int:
    """The acting staff member opened their profile: their kudos are seen. Returns how many were new.
    Only ever the actor's own kudos (someone else opening a profile changes nothing)."""
    if actor.kind != "staff" or actor.id is None or actor.store_id != store_id:
        return 0
    result = uow.session.execute(
        update(Kudos)
        .where(Kudos.store_id == store_id, Kudos.agent_id == actor.id, Kudos.seen_at.is_(None))
        .values(seen_at=uow.now())
    )
    return int(getattr(result, "rowcount", 0) or 0)
