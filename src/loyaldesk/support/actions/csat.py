"""Customer satisfaction: asking when a conversation is resolved, rating links, and the answer credited
to the agent who handled it (``csat.submitted`` lets the loyalty program reward answering)."""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy import select

from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict, FieldProblem, Invalid, NotFound
from loyaldesk.kernel.keys import RATING_LINK, purpose_key
from loyaldesk.support.actions.desk_settings import settings_for
from loyaldesk.support.events import CsatRequested, CsatSubmitted
from loyaldesk.support.models import Conversation, CsatResponse


def request_csat(uow: UnitOfWork, conversation: Conversation) -> None:
    settings = settings_for(uow, conversation.store_id)
    if not settings.csat_enabled or conversation.message_count == 0:
        return
    response = uow.session.scalar(select(CsatResponse).where(CsatResponse.conversation_id == conversation.id))
    if response is None:
        response = CsatResponse(
            store_id=conversation.store_id,
            conversation_id=conversation.id,
            customer_id=conversation.customer_id,
            requested_at=uow.now(),
        )
        uow.session.add(response)
    response.agent_id = conversation.assignee_id
    uow.emit(
        CsatRequested(
            store_id=conversation.store_id,
            customer_id=conversation.customer_id,
            conversation_id=conversation.id,
        )
    )


def csat_link_token(secret: str, conversation_id: int) -> str:
    """The secret in a rating link for ``conversation_id`` (for channels that are not live), signed with
    the store's identity secret's key for rating links (never the secret itself: see ``kernel.keys``)."""
    digest = hmac.new(purpose_key(secret, RATING_LINK), str(conversation_id).encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def csat_link_matches(secret: str, conversation_id: int, token: str) -> bool:
    return hmac.compare_digest(csat_link_token(secret, conversation_id), token)


def submit_csat(
    uow: UnitOfWork, conversation_id: int, *, rating: int, comment: str | None, contact_id: int | None
) -> CsatResponse:
    """The customer's rating (1-5) of a conversation they were asked about; ``contact_id`` must own it
    (None when the caller proved ownership with a rating link). Answering again replaces the answer."""
    conversation = uow.session.get(Conversation, conversation_id)
    if conversation is None or (contact_id is not None and conversation.contact_id != contact_id):
        raise NotFound("no such conversation")
    problems = []
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        problems.append(FieldProblem("rating", "must be a whole number from 1 to 5"))
    text = (comment or "").strip()
    if len(text) > 2000:
        problems.append(FieldProblem("comment", "must be at most 2000 characters"))
    if problems:
        raise Invalid("the rating is not valid", problems)
    response = uow.session.scalar(select(CsatResponse).where(CsatResponse.conversation_id == conversation_id))
    if response is None:
        raise Conflict("this conversation has not been rated yet: it is still in progress")
    response.rating = rating
    response.comment = text or None
    response.answered_at = uow.now()
    uow.emit(
        CsatSubmitted(
            store_id=conversation.store_id,
            customer_id=conversation.customer_id,
            conversation_id=conversation.id,
            rating=rating,
            agent_id=response.agent_id,
            has_comment=bool(text),
        )
    )
    return response
