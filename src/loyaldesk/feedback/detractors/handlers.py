"""How feedback reacts around a detractor's conversation, and the job that opens them.

* ``feedback.open_detractor_conversations`` (every 10 s): ``actions.open_due``. With the 30 s wait for
  the comment, every detractor has its conversation within a minute of answering.
* ``SurveyAnswered``: a comment that arrives after the conversation opened is added to it as the
  customer's message.
* ``MessagePosted``: the team's first public reply in it sets ``contacted_at`` (loop closure).
* ``ConversationStatusChanged`` to resolved: the recovery survey (the same survey, as a follow-up).
"""

from __future__ import annotations

import hashlib
import logging

from sqlalchemy import select

from loyaldesk.feedback.actions.ask import ask_customer
from loyaldesk.feedback.actions.settings import feedback_settings
from loyaldesk.feedback.detractors.actions import open_due
from loyaldesk.feedback.events import SurveyAnswered
from loyaldesk.feedback.models import SurveyResponse
from loyaldesk.feedback.vocab import SurveyChannel
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.dispatcher import HandlerRegistry
from loyaldesk.kernel.events import StoredEvent
from loyaldesk.kernel.jobs import JobRegistry
from loyaldesk.support import (
    Conversation,
    ConversationStatusChanged,
    Message,
    MessagePosted,
    post_customer_message,
)

log = logging.getLogger(__name__)
OPEN_EVERY_SECONDS = 10


def register(handlers: HandlerRegistry, jobs: JobRegistry, *, base_url: str) -> None:
    """Subscribe the reactions and schedule the opening job (the composition root calls this);
    ``base_url`` is the install's public address, for the recovery survey's links."""
    jobs.every(OPEN_EVERY_SECONDS, name="feedback.open_detractor_conversations")(open_due)
    handlers.on(SurveyAnswered)(add_late_comment)
    handlers.on(MessagePosted)(mark_contacted)
    handlers.on(ConversationStatusChanged)(RecoveryAsker(base_url).ask_recovery)


def _detractor_answer(uow: UnitOfWork, conversation_id: int) -> SurveyResponse | None:
    return uow.session.scalar(
        select(SurveyResponse).where(SurveyResponse.detractor_conversation_id == conversation_id).limit(1)
    )


def add_late_comment(uow: UnitOfWork, stored: StoredEvent, event: SurveyAnswered) -> None:
    """The comment's parts not yet in the detractor's conversation, added as the customer's message
    (once per text: the message's key is the text's digest)."""
    response = uow.session.get(SurveyResponse, event.response_id)
    if response is None or response.detractor_conversation_id is None or not response.comment:
        return
    conversation = uow.session.get(Conversation, response.detractor_conversation_id)
    if conversation is None:
        return
    said = " ".join(
        uow.session.scalars(
            select(Message.body).where(
                Message.conversation_id == conversation.id, Message.author_kind == "customer"
            )
        )
    )
    new = [part for part in response.comment.split("\n\n") if part.strip() and part.strip() not in said]
    if not new:
        return
    text = "\n\n".join(new)
    digest = hashlib.sha256(text.encode()).hexdigest()[:24]
    post_customer_message(
        uow,
        conversation.contact_id,
        body=text,
        conversation_id=conversation.id,
        channel=conversation.channel,
        source_key=f"feedback-comment:{response.id}:{digest}",
        plain_text=True,
    )


def mark_contacted(uow: UnitOfWork, stored: StoredEvent, event: MessagePosted) -> None:
    """A person's first public reply in a detractor's conversation: the answer is contacted then."""
    if event.internal or event.message.get("author_kind") != "agent":
        return
    response = _detractor_answer(uow, event.conversation_id)
    if response is None or response.contacted_at is not None:
        return
    response.contacted_at = stored.occurred_at


class RecoveryAsker:
    """The recovery survey, with the install's public address for its links."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def ask_recovery(self, uow: UnitOfWork, stored: StoredEvent, event: ConversationStatusChanged) -> None:
        """A resolved detractor conversation: ask the customer the same survey again, as a follow-up of
        the answer (``feedback.ask_customer(..., follow_up_of_id=...)``, which skips the throttle), once
        (its key is the answer's), not for an answer that is itself a follow-up, when the store's
        recovery survey is on. When the asker says no (the survey closed, the customer opted out or
        was erased) nothing is asked and the reason is logged."""
        if event.to_status != "resolved":
            return
        response = _detractor_answer(uow, event.conversation_id)
        if response is None or response.customer_id is None or response.follow_up_of_id is not None:
            return
        if not feedback_settings(uow.session, response.store_id).recovery_survey:
            return
        channel = SurveyChannel.SMS if response.channel == SurveyChannel.SMS else SurveyChannel.EMAIL
        result = ask_customer(
            uow,
            store_id=response.store_id,
            survey_id=response.survey_id,
            customer_id=response.customer_id,
            channel=channel,
            context={"order_id": response.order_id, "conversation_id": event.conversation_id},
            key=f"feedback-recovery:{response.id}",
            base_url=self.base_url,
            follow_up_of_id=response.id,
        )
        if not result.asked:
            log.info("no recovery survey for answer %s: %s", response.id, result.reason)
