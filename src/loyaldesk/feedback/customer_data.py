"""Feedback in a customer's GDPR export (the surveys they were asked and every answer they gave, with
their words) and in their erasure: their words go (answers, comments, kudos, coaching notes on their
answers), open invitations expire, and the answers stay only as scores without an identity, so the
store's NPS and CSAT history keeps its counts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from loyaldesk.customers import erasure_step, export_section
from loyaldesk.feedback.models import CoachingNote, Kudos, Survey, SurveyInvitation, SurveyResponse
from loyaldesk.feedback.vocab import InvitationStatus
from loyaldesk.kernel.db import UnitOfWork


def export_feedback(session: Session, store_id: int, customer_id: int) -> dict[str, Any]:
    names = dict(session.execute(select(Survey.id, Survey.name).where(Survey.store_id == store_id)).all())
    invitations = [
        {
            "survey": names.get(row.survey_id),
            "channel": row.channel,
            "status": row.status,
            "asked_at": row.asked_at.isoformat(),
            "answered_at": row.answered_at.isoformat() if row.answered_at else None,
        }
        for row in session.scalars(
            select(SurveyInvitation)
            .where(SurveyInvitation.store_id == store_id, SurveyInvitation.customer_id == customer_id)
            .order_by(SurveyInvitation.id)
        )
    ]
    answers = [
        {
            "survey": names.get(row.survey_id),
            "score": row.score,
            "answers": row.answers,
            "complete": row.complete,
            "order_id": row.order_id,
            "conversation_id": row.conversation_id,
            "answered_at": row.created_at.isoformat(),
        }
        for row in session.scalars(
            select(SurveyResponse)
            .where(SurveyResponse.store_id == store_id, SurveyResponse.customer_id == customer_id)
            .order_by(SurveyResponse.id)
        )
    ]
    return {"invitations": invitations, "answers": answers}


def erase_feedback(uow: UnitOfWork, store_id: int, customer_id: int) -> None:
    session = uow.session
    responses = list(
        session.scalars(
            select(SurveyResponse.id).where(
                SurveyResponse.store_id == store_id, SurveyResponse.customer_id == customer_id
            )
        )
    )
    if responses:
        session.execute(delete(Kudos).where(Kudos.response_id.in_(responses)))
        session.execute(delete(CoachingNote).where(CoachingNote.response_id.in_(responses)))
        for response_id in responses:  # keep the score; drop every word
            response = session.get(SurveyResponse, response_id)
            assert response is not None
            scored = {key: value for key, value in (response.answers or {}).items() if isinstance(value, int)}
            response.answers = scored
            response.comment = None
        session.execute(
            update(SurveyResponse)
            .where(SurveyResponse.id.in_(responses))
            .values(customer_id=None, order_id=None, product_ids=[], customer_value=None)
        )
    session.execute(
        update(SurveyInvitation)
        .where(
            SurveyInvitation.store_id == store_id,
            SurveyInvitation.customer_id == customer_id,
            SurveyInvitation.status.in_((InvitationStatus.ASKED, InvitationStatus.PARTIAL)),
        )
        .values(status=InvitationStatus.EXPIRED.value, expires_at=uow.now())
    )


def register() -> None:
    """Plug feedback's export section and erasure step into the customer record."""
    export_section("feedback")(export_feedback)
    erasure_step("feedback")(erase_feedback)
