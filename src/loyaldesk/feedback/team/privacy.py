"""A customer's erasure reaches the team's records of their words: a kudos keeps the comment of the
customer's answer, so erasing the customer removes their kudos (the agent's count goes down with it).
Coaching notes are staff's words; they go with the answer they are about (``ondelete`` cascade)."""

from __future__ import annotations

from sqlalchemy import delete, select

from loyaldesk.feedback.models import Kudos, SurveyResponse
from loyaldesk.kernel.db import UnitOfWork


def erase_kudos(uow: UnitOfWork, store_id: int, customer_id: int) -> None:
    """Erasure step: delete the kudos made from the customer's answers in this store. Whichever step runs
    first, none survives: also those whose answer is gone or lost its words (another step erased them)."""
    answers = select(SurveyResponse.id).where(
        SurveyResponse.store_id == store_id, SurveyResponse.customer_id == customer_id
    )
    with_words = select(SurveyResponse.id).where(
        SurveyResponse.store_id == store_id, SurveyResponse.comment.is_not(None)
    )
    uow.session.execute(
        delete(Kudos).where(
            Kudos.store_id == store_id,
            Kudos.response_id.in_(answers) | Kudos.response_id.not_in(with_words),
        )
    )
