"""A customer's answers to an invitation: checked against the survey's questions, kept even when partial,
linked to what the customer was asked about and to who they were then (tier, value), and announced
(``SurveyAnswered``) for the reactions: themes, a detractor's conversation, kudos, review points."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from loyaldesk.commerce import order_stats_for_customers
from loyaldesk.customers import facts_about
from loyaldesk.feedback.events import SurveyAnswered
from loyaldesk.feedback.models import Survey, SurveyInvitation, SurveyResponse
from loyaldesk.feedback.rules.questions import check_answers, is_complete, visible
from loyaldesk.feedback.rules.scoring import bucket, score_question
from loyaldesk.feedback.vocab import InvitationStatus, QuestionType, SurveyStatus
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict, FieldProblem, Invalid, NotFound


def invitation_by_token(uow: UnitOfWork, store_id: int, token: str) -> SurveyInvitation:
    """The invitation ``token`` opens in this store; ``NotFound`` otherwise (the same answer for a token
    of another store as for none)."""
    invitation = uow.session.scalar(select(SurveyInvitation).where(SurveyInvitation.token == token))
    if invitation is None or invitation.store_id != store_id:
        raise NotFound("no such survey invitation")
    return invitation


def submit_answers(
    uow: UnitOfWork,
    invitation: SurveyInvitation,
    answers: Mapping[str, Any],
    *,
    language: str | None = None,
) -> SurveyResponse:
    """Record ``answers`` (question id -> answer) to ``invitation``, adding to what the customer answered
    before. Refused with the reason, storing nothing: a closed survey or an expired invitation
    (``Conflict``); answering a question of a complete answer again (``Conflict``: answering twice; a
    complete answer still takes the optional questions left open, such as the comment after a one-click
    score in the email); answers that do not fit their questions (``Invalid``, one problem per question).
    The caller has proved that the asker holds ``invitation`` (its token, or the signed-in shopper it
    belongs to)."""
    survey = uow.session.get(Survey, invitation.survey_id)
    if survey is None:
        raise NotFound("no such survey invitation")
    now = uow.now()
    if survey.status == SurveyStatus.CLOSED or (survey.closes_at is not None and survey.closes_at <= now):
        raise Conflict("this survey is closed and takes no more answers")
    if invitation.status == InvitationStatus.EXPIRED or invitation.expires_at <= now:
        raise Conflict("this survey invitation has expired")
    clean, problems = check_answers(survey.questions, answers)
    if problems:
        raise Invalid(
            "some answers do not fit their questions",
            [FieldProblem(f"answers.{problem.question}", problem.reason) for problem in problems],
        )
    if not clean:
        raise Invalid.field("answers", "answer at least one question")
    response = uow.session.scalar(select(SurveyResponse).where(SurveyResponse.invitation_id == invitation.id))
    if invitation.status == InvitationStatus.ANSWERED and (
        response is None or any(qid in (response.answers or {}) for qid in clean)
    ):
        # Complete already: what was answered stays; only a question left open may still be answered
        # (the optional comment after a one-click score in the email).
        raise Conflict("this survey was already answered, thank you")
    first = response is None
    if response is None:
        response = _new_response(uow, survey, invitation, language)
    merged = {**(response.answers or {}), **clean}
    shown = visible(survey.questions, merged)
    shown_ids = {str(question["id"]) for question in shown}
    merged = {qid: answer for qid, answer in merged.items() if qid in shown_ids}
    response.answers = merged
    if language:
        response.language = language[:8]
    scored = score_question(survey.questions)
    if scored is not None and merged.get(scored["id"]) is not None:
        response.score = int(merged[scored["id"]])
        found = bucket(survey.kind, response.score, scored.get("min", 1), scored.get("max", 5))
        response.bucket = found.value if found else None
    texts = [str(merged[q["id"]]) for q in shown if q["type"] == QuestionType.TEXT and merged.get(q["id"])]
    response.comment = "\n\n".join(texts) or None
    response.complete = is_complete(survey.questions, merged)
    response.updated_at = now
    if response.complete and response.completed_at is None:
        response.completed_at = now
    invitation.status = (InvitationStatus.ANSWERED if response.complete else InvitationStatus.PARTIAL).value
    invitation.answered_at = invitation.answered_at or now
    uow.session.flush()
    uow.emit(
        SurveyAnswered(
            store_id=response.store_id,
            customer_id=response.customer_id,
            response_id=response.id,
            survey_id=survey.id,
            survey_kind=survey.kind,
            score=response.score,
            bucket=response.bucket,
            complete=response.complete,
            first=first,
            has_comment=bool(response.comment),
        )
    )
    return response


def _new_response(
    uow: UnitOfWork, survey: Survey, invitation: SurveyInvitation, language: str | None
) -> SurveyResponse:
    """A response carrying the invitation's context and the customer's tier and value as they are now."""
    facts = facts_about(uow.session, invitation.store_id, invitation.customer_id)
    stats = order_stats_for_customers(uow.session, invitation.store_id, [invitation.customer_id])
    now = uow.now()
    response = SurveyResponse(
        store_id=invitation.store_id,
        survey_id=survey.id,
        invitation_id=invitation.id,
        customer_id=invitation.customer_id,
        survey_kind=survey.kind,
        channel=invitation.channel,
        language=(language or (survey.languages or ["en"])[0])[:8],
        order_id=invitation.order_id,
        conversation_id=invitation.conversation_id,
        agent_id=invitation.agent_id,
        product_ids=list(invitation.product_ids or []),
        tier=facts.loyalty.tier if facts.loyalty else None,
        customer_value=stats[invitation.customer_id].net_spent if invitation.customer_id in stats else None,
        follow_up_of_id=invitation.follow_up_of_id,
        answers={},
        complete=False,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(response)
    return response
