"""Feedback's reactions: the chat's own rating (support asks it in the conversation when it is
resolved) kept with the other answers, so the inbox, dashboards, detractor follow-up and kudos see every
rating in one place."""

from __future__ import annotations

from sqlalchemy import select

from loyaldesk.commerce import order_stats_for_customers
from loyaldesk.customers import facts_about
from loyaldesk.feedback.actions.surveys import ensure_default_surveys
from loyaldesk.feedback.default_surveys import CHAT_RATING
from loyaldesk.feedback.events import SurveyAnswered
from loyaldesk.feedback.models import Survey, SurveyResponse
from loyaldesk.feedback.rules.scoring import bucket
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.dispatcher import HandlerRegistry
from loyaldesk.kernel.events import StoredEvent
from loyaldesk.support import Conversation, CsatResponse, CsatSubmitted


def register(handlers: HandlerRegistry) -> None:
    handlers.on(CsatSubmitted)(mirror_chat_rating)


def mirror_chat_rating(uow: UnitOfWork, stored: StoredEvent, event: CsatSubmitted) -> None:
    """Keep the chat rating of ``event.conversation_id`` as an answer to the store's chat-rating survey
    (one answer per conversation; rating again replaces it, as in support)."""
    rating = uow.session.scalar(
        select(CsatResponse).where(CsatResponse.conversation_id == event.conversation_id)
    )
    conversation = uow.session.get(Conversation, event.conversation_id)
    if rating is None or rating.rating is None or conversation is None:
        return
    survey = _chat_survey(uow, event.store_id)
    response = uow.session.scalar(
        select(SurveyResponse).where(
            SurveyResponse.survey_id == survey.id, SurveyResponse.conversation_id == conversation.id
        )
    )
    now = uow.now()
    first = response is None
    if response is None:
        customer_id = conversation.customer_id
        facts = facts_about(uow.session, event.store_id, customer_id) if customer_id else None
        stats = order_stats_for_customers(uow.session, event.store_id, [customer_id]) if customer_id else {}
        response = SurveyResponse(
            store_id=event.store_id,
            survey_id=survey.id,
            invitation_id=None,
            customer_id=customer_id,
            survey_kind=survey.kind,
            channel=str(conversation.channel),
            language=(survey.languages or ["en"])[0],
            conversation_id=conversation.id,
            product_ids=[],
            tier=facts.loyalty.tier if facts and facts.loyalty else None,
            customer_value=stats[customer_id].net_spent if customer_id in stats else None,
            created_at=now,
        )
        uow.session.add(response)
    response.agent_id = rating.agent_id
    response.score = rating.rating
    found = bucket(survey.kind, rating.rating)
    response.bucket = found.value if found else None
    response.answers = {"score": rating.rating, **({"comment": rating.comment} if rating.comment else {})}
    response.comment = rating.comment or None
    response.complete = True
    response.completed_at = response.completed_at or now
    response.updated_at = now
    uow.session.flush()
    uow.emit(
        SurveyAnswered(
            store_id=event.store_id,
            customer_id=response.customer_id,
            response_id=response.id,
            survey_id=survey.id,
            survey_kind=survey.kind,
            score=response.score,
            bucket=response.bucket,
            complete=True,
            first=first,
            has_comment=bool(response.comment),
            mirrored=True,
        )
    )


def _chat_survey(uow: UnitOfWork, store_id: int) -> Survey:
    survey = uow.session.scalar(
        select(Survey).where(Survey.store_id == store_id, Survey.builtin_key == CHAT_RATING)
    )
    if survey is None:
        ensure_default_surveys(uow, store_id)
        survey = uow.session.scalar(
            select(Survey).where(Survey.store_id == store_id, Survey.builtin_key == CHAT_RATING)
        )
    assert survey is not None
    return survey
