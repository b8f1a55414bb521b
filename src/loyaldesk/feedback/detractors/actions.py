"""A detractor's conversation: opened in the support inbox for every detractor answer (by the
``feedback.open_detractor_conversations`` job), routed by theme to the team that owns it, high priority,
with the store's detractor SLA; the comment that arrives later added to it; the team's first reply
recorded (loop closure); and, once it is resolved, the same survey asked again (recovery).

Everything in the inbox is written through support's own actions (a customer message opens the
conversation, ``assign`` gives it to a team, ``update_conversation`` sets priority and labels, the SLA
comes from a support SLA policy that matches the ``detractor`` label), so routing, the SLA clocks and
the inbox's live updates work as for any conversation.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import or_, select

from loyaldesk.commerce import Order
from loyaldesk.customers import Customer
from loyaldesk.feedback.actions.settings import feedback_settings
from loyaldesk.feedback.detractors import words
from loyaldesk.feedback.models import (
    FeedbackSettings,
    ResponseTheme,
    Survey,
    SurveyResponse,
    Theme,
)
from loyaldesk.feedback.vocab import Bucket
from loyaldesk.kernel.actors import system_for
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.support import (
    PRIORITIES,
    Conversation,
    SlaPolicy,
    Team,
    assign,
    identify_contact,
    post_customer_message,
    save_policy,
    update_conversation,
)

log = logging.getLogger(__name__)

LABEL = "detractor"
# A detractor answer waits this long for the rest of the survey (its comment) unless it is complete.
COMMENT_GRACE = timedelta(seconds=30)
# Answers older than this are not opened any more (a store switching the setting on gets no flood).
OPEN_WITHIN = timedelta(days=7)
POLICY_NAME = "Detractors (feedback)"
ACTOR_LABEL = "feedback"


def open_due(uow: UnitOfWork, *, limit: int = 100) -> int:
    """Open a conversation for each detractor answer that has none yet, whose first answer is at least
    ``COMMENT_GRACE`` old or which is complete, in a store with detractor conversations on. Idempotent:
    the answers are locked (skipped when another worker holds them) and re-read, and the opening
    message's key is the answer's, so an answer never gets two. Returns how many were opened."""
    now = uow.now()
    switched_off = select(FeedbackSettings.store_id).where(
        FeedbackSettings.detractor_conversations.is_(False)
    )
    due = list(
        uow.session.scalars(
            select(SurveyResponse)
            .where(
                SurveyResponse.bucket == Bucket.DETRACTOR.value,
                SurveyResponse.detractor_conversation_id.is_(None),
                SurveyResponse.customer_id.is_not(None),
                SurveyResponse.created_at >= now - OPEN_WITHIN,
                or_(SurveyResponse.complete.is_(True), SurveyResponse.created_at <= now - COMMENT_GRACE),
                SurveyResponse.store_id.not_in(switched_off),
            )
            .order_by(SurveyResponse.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    opened = 0
    for response in due:
        if response.detractor_conversation_id is None and open_conversation(uow, response) is not None:
            opened += 1
    return opened


def owning_team(uow: UnitOfWork, response: SurveyResponse) -> int | None:
    """The team a detractor's conversation goes to: the owner of the answer's most confident theme (a
    person's tag counts as certain), else the store's detractor team, else None (the store's routing)."""
    rows = uow.session.execute(
        select(ResponseTheme.confidence, ResponseTheme.source, Theme.owner_team_id)
        .join(Theme, Theme.id == ResponseTheme.theme_id)
        .where(
            ResponseTheme.response_id == response.id,
            ResponseTheme.present.is_(True),
            Theme.store_id == response.store_id,
            Theme.enabled.is_(True),
        )
    ).all()
    ranked = sorted(
        rows, key=lambda row: 1.0 if row.confidence is None else float(row.confidence), reverse=True
    )
    candidates = [row.owner_team_id for row in ranked[:1]]
    candidates.append(feedback_settings(uow.session, response.store_id).detractor_team_id)
    for team_id in candidates:
        if team_id is None:
            continue
        team = uow.session.get(Team, team_id)
        if team is not None and team.store_id == response.store_id:
            return team.id
    return None


def ensure_sla_policy(uow: UnitOfWork, store_id: int, hours: int) -> None:
    """The store's SLA policy for detractor conversations (label ``detractor``: the first reply within
    ``hours``, on the clock, ahead of the store's other policies), created or brought in line with the
    feedback settings through support's own ``save_policy``, so the inbox shows and escalates it."""
    policies = list(uow.session.scalars(select(SlaPolicy).where(SlaPolicy.store_id == store_id)))
    mine = next((policy for policy in policies if policy.name == POLICY_NAME), None)
    first = min((policy.position for policy in policies if policy is not mine), default=0)
    position = min(first - 1, 0) if mine is None or mine.position >= first else mine.position
    minutes = hours * 60
    if (
        mine is not None
        and mine.active
        and mine.first_response_minutes == minutes
        and mine.position == position
        and (mine.conditions or {}).get("labels") == [LABEL]
    ):
        return
    save_policy(
        uow,
        system_for(store_id, ACTOR_LABEL),
        store_id,
        name=POLICY_NAME,
        position=position,
        conditions={"labels": [LABEL]},
        first_response_minutes=minutes,
        escalation=(mine.escalation if mine is not None else None),
        calendar_id=mine.calendar_id if mine is not None else None,
        policy_id=mine.id if mine is not None else None,
    )


def _about(uow: UnitOfWork, response: SurveyResponse) -> list[str]:
    about = []
    if response.order_id is not None:
        order = uow.session.get(Order, response.order_id)
        if order is not None and order.store_id == response.store_id:
            about.append(f"About order {order.number}.")
    if response.conversation_id is not None:
        about.append(f"About conversation #{response.conversation_id}.")
    if response.tier:
        about.append(f"Tier when answering: {response.tier}.")
    return about


def open_conversation(uow: UnitOfWork, response: SurveyResponse) -> Conversation | None:
    """Open the detractor conversation of ``response`` (None when there is no customer or survey):
    the answer as the customer's first message, the theme's team, high priority, the ``detractor``
    label and the store's detractor SLA; ``response.detractor_conversation_id`` set."""
    survey = uow.session.get(Survey, response.survey_id)
    customer = uow.session.get(Customer, response.customer_id) if response.customer_id else None
    if survey is None or customer is None or customer.store_id != response.store_id:
        return None
    store_id = response.store_id
    settings = feedback_settings(uow.session, store_id)
    ensure_sla_policy(uow, store_id, settings.detractor_sla_hours)
    contact = identify_contact(
        uow, store_id, customer_id=customer.id, visitor_token=None, name=customer.display_name
    )
    body = words.first_message(
        survey_name=survey.name,
        kind=survey.kind,
        score=response.score,
        questions=survey.questions or [],
        answers=response.answers or {},
        comment=response.comment,
        language=response.language,
        about=_about(uow, response),
    )
    message = post_customer_message(
        uow,
        contact.contact_id,
        body=body,
        channel="email",
        subject=words.subject(survey.name, survey.kind, response.score, survey.questions or []),
        new_thread=True,
        source_key=f"feedback-detractor:{response.id}",
        plain_text=True,
    )
    conversation = uow.session.get(Conversation, message.conversation_id)
    assert conversation is not None
    actor = system_for(store_id, ACTOR_LABEL)
    team_id = owning_team(uow, response)
    if team_id is not None and conversation.team_id != team_id:
        assign(uow, actor, conversation.id, assignee_id=None, team_id=team_id)
    high = PRIORITIES.index("high")
    priority = "high" if PRIORITIES.index(conversation.priority) < high else None
    themes = uow.session.scalars(
        select(Theme.key)
        .join(ResponseTheme, ResponseTheme.theme_id == Theme.id)
        .where(ResponseTheme.response_id == response.id, ResponseTheme.present.is_(True))
    )
    labels = sorted({*(conversation.labels or []), LABEL, *(key[:40] for key in themes)})[:20]
    update_conversation(uow, actor, conversation.id, priority=priority, labels=labels)
    response.detractor_conversation_id = conversation.id
    return conversation
