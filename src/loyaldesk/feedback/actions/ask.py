"""Asking a customer a survey: the one throttle, the invitation, and (on email or SMS) the message that
carries it, queued through journeys with the first question answerable in the message itself.

The throttle holds across every survey and channel: no customer gets a second invitation within the
store's ``throttle_days``, whoever asks (a survey's rule, the store's site through the API, a person).
It is read and the invitation written in one transaction, under the customer's row lock on PostgreSQL,
so two workers asking at once cannot both pass. A recovery follow-up (``follow_up_of_id``: asked after a
detractor's conversation is resolved) is exempt: the customer's own case asks for it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from sqlalchemy import func, select

from loyaldesk.commerce import Order, OrderLine, Product
from loyaldesk.customers import Customer
from loyaldesk.feedback.actions.settings import feedback_settings
from loyaldesk.feedback.actions.surveys import survey_of
from loyaldesk.feedback.actions.templates import ensure_survey_templates, template_key_for
from loyaldesk.feedback.events import SurveyAsked
from loyaldesk.feedback.models import Survey, SurveyInvitation
from loyaldesk.feedback.rules.questions import text_of
from loyaldesk.feedback.schemas import AskIn
from loyaldesk.feedback.vocab import QuestionType, SurveyChannel, SurveyStatus
from loyaldesk.journeys import Channel, MessageCategory, SurveyAsk, feedback_allowed, queue_message
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict, Invalid, NotFound
from loyaldesk.stores import Permission, Store, authorize
from loyaldesk.support import Conversation


@dataclass(frozen=True)
class AskResult:
    """``invitation`` when the customer was asked (or had been, for this ``key``); else None with
    ``reason``: ``throttled``, ``opted_out``, ``no_address``, ``not_active``, ``sampled_out``,
    ``erased``."""

    invitation: SurveyInvitation | None
    reason: str

    @property
    def asked(self) -> bool:
        return self.invitation is not None


def ask_customer(
    uow: UnitOfWork,
    *,
    store_id: int,
    survey_id: int,
    customer_id: int,
    channel: SurveyChannel,
    context: Mapping[str, Any],
    key: str,
    base_url: str,
    follow_up_of_id: int | None = None,
) -> AskResult:
    """Ask ``customer_id`` survey ``survey_id`` on ``channel`` about ``context`` (``order_id``,
    ``conversation_id``); once per ``key`` (a repeat returns the first invitation). ``base_url`` is the
    public address links are built on. The caller has checked that the survey and customer are the
    store's (``ask_from_api`` and the rule's step do)."""
    existing = uow.session.scalar(
        select(SurveyInvitation).where(SurveyInvitation.idempotency_key == key[:200])
    )
    if existing is not None:
        return AskResult(existing, "asked")
    survey = uow.session.get(Survey, survey_id)
    if survey is None or survey.store_id != store_id or survey.status != SurveyStatus.ACTIVE:
        return AskResult(None, "not_active")
    customer_query = select(Customer).where(Customer.id == customer_id, Customer.store_id == store_id)
    if uow.is_postgresql:
        customer_query = customer_query.with_for_update()
    customer = uow.session.scalar(customer_query)
    if customer is None or customer.erased_at is not None:
        return AskResult(None, "erased")
    settings = feedback_settings(uow.session, store_id)
    now = uow.now()
    if follow_up_of_id is None and settings.throttle_days > 0:
        latest = uow.session.scalar(
            select(func.max(SurveyInvitation.asked_at)).where(SurveyInvitation.customer_id == customer_id)
        )
        if latest is not None and latest > now - timedelta(days=settings.throttle_days):
            return AskResult(None, "throttled")
    journeys_channel = _journeys_channel(channel)
    if journeys_channel is not None:
        if not feedback_allowed(uow.session, customer, journeys_channel):
            return AskResult(None, "opted_out")
        if not (customer.email if journeys_channel is Channel.EMAIL else customer.phone):
            return AskResult(None, "no_address")
    order_id = _int(context.get("order_id"))
    conversation_id = _int(context.get("conversation_id"))
    invitation = SurveyInvitation(
        store_id=store_id,
        survey_id=survey.id,
        customer_id=customer.id,
        channel=channel.value,
        token=secrets.token_urlsafe(24),
        status="asked",
        order_id=order_id if _owned_order(uow, store_id, customer.id, order_id) else None,
        conversation_id=None,
        agent_id=None,
        product_ids=[],
        follow_up_of_id=follow_up_of_id,
        idempotency_key=key[:200],
        asked_at=now,
        expires_at=now + timedelta(days=settings.invitation_days),
    )
    conversation = uow.session.get(Conversation, conversation_id) if conversation_id else None
    if (
        conversation is not None
        and conversation.store_id == store_id
        and conversation.customer_id == customer.id
    ):
        invitation.conversation_id, invitation.agent_id = conversation.id, conversation.assignee_id
    invitation.product_ids = _products_of(uow, store_id, invitation.order_id)
    uow.session.add(invitation)
    uow.session.flush()
    if journeys_channel is not None:
        store = uow.session.get(Store, store_id)
        assert store is not None
        language = _language(customer.locale or store.default_language, survey.languages or ["en"])
        template = survey.template_key or template_key_for(channel)
        block = first_question_block(survey, invitation.token, store.slug, base_url, language)

        def queue() -> Any:
            return queue_message(
                uow,
                store_id=store_id,
                customer_id=customer.id,
                channel=journeys_channel,
                template_key=template,
                category=MessageCategory.FEEDBACK,
                key=f"survey-invitation:{invitation.id}",
                context={"order_id": invitation.order_id} if invitation.order_id else {},
                blocks=[block],
                expires_at=invitation.expires_at,
            )

        try:
            send = queue()
        except Invalid:  # the store has no invitation template yet (or deleted it): make the default
            ensure_survey_templates(uow, store_id, store.default_language or "en")
            uow.session.flush()
            send = queue()
        invitation.send_id = send.id if send is not None else None
    uow.emit(
        SurveyAsked(
            store_id=store_id,
            customer_id=customer.id,
            invitation_id=invitation.id,
            survey_id=survey.id,
            survey_kind=survey.kind,
            channel=channel.value,
        )
    )
    return AskResult(invitation, "asked")


def survey_url(base_url: str, store_slug: str, token: str) -> str:
    """The survey page of an invitation."""
    return f"{base_url.rstrip('/')}/s/{quote(store_slug)}/{quote(token)}"


def first_question_block(
    survey: Survey, token: str, store_slug: str, base_url: str, language: str
) -> dict[str, Any]:
    """The survey's first question as a ``choices`` block: one link per answer (``?a=<answer>`` on the
    survey page, which records it and shows the rest), and the whole survey's link. A first question
    without fixed answers (text, several choices) is a link to the page."""
    languages = survey.languages or ["en"]
    question = survey.questions[0]
    url = survey_url(base_url, store_slug, token)
    options: list[dict[str, str]] = []
    if question["type"] in (QuestionType.NPS, QuestionType.SCALE):
        low_word = text_of(question.get("low") or {}, language, languages)
        high_word = text_of(question.get("high") or {}, language, languages)
        for value in range(question["min"], question["max"] + 1):
            title = str(value)
            if value == question["min"] and low_word:
                title = f"{value} ({low_word})"
            elif value == question["max"] and high_word:
                title = f"{value} ({high_word})"
            options.append({"label": str(value), "title": title, "url": f"{url}?a={value}"})
    elif question["type"] == QuestionType.SINGLE:
        for option in question["options"]:
            words = text_of(option["text"], language, languages)
            options.append({"label": words, "title": words, "url": f"{url}?a={quote(option['id'])}"})
    return {
        "kind": "choices",
        "question": text_of(question["text"], language, languages),
        "low": text_of(question.get("low") or {}, language, languages),
        "high": text_of(question.get("high") or {}, language, languages),
        "options": options,
        "url": url,
    }


class FeedbackAsker:
    """Journeys' ``ask_survey`` step (``journeys.ports.SurveyAsker``), registered by the composition root
    with the install's public address."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def survey_ids(self, session: Any, store_id: int) -> frozenset[int]:
        return frozenset(session.scalars(select(Survey.id).where(Survey.store_id == store_id)))

    def ask(self, uow: UnitOfWork, ask: SurveyAsk) -> str:
        survey = uow.session.get(Survey, int(ask.step["survey_id"]))
        if survey is None or survey.store_id != ask.store_id:
            return "survey not found"
        sample = ask.step.get("sample_percent")
        if sample is not None and not in_sample(ask.key, float(sample)):
            return f"not in this run's {sample:g}% sample"
        result = ask_customer(
            uow,
            store_id=ask.store_id,
            survey_id=survey.id,
            customer_id=ask.customer_id,
            channel=SurveyChannel(survey.channel),
            context=ask.context,
            key=ask.key,
            base_url=self.base_url,
        )
        if result.invitation is not None:
            return f"asked survey {survey.name!r} on {survey.channel}"
        return {
            "throttled": "not asked: asked for feedback recently (the survey throttle)",
            "opted_out": f"not asked: opted out of {survey.channel}",
            "no_address": f"not asked: no {survey.channel} address",
            "not_active": "not asked: the survey is not active",
            "erased": "not asked: the customer was erased",
        }.get(result.reason, f"not asked: {result.reason}")


def in_sample(key: str, percent: float) -> bool:
    """Whether the run ``key`` falls in a ``percent`` sample: stable for a key, uniform across keys."""
    digest = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")
    return digest % 100_000 < percent * 1000


def _journeys_channel(channel: SurveyChannel) -> Channel | None:
    """The journeys channel that carries an invitation: email and SMS send a message; the widget, the
    member page and the API keep the invitation until the customer comes."""
    return {SurveyChannel.EMAIL: Channel.EMAIL, SurveyChannel.SMS: Channel.SMS}.get(channel)


def _language(wanted: str | None, languages: list[str]) -> str:
    if wanted:
        for candidate in (wanted, wanted.split("-")[0]):
            if candidate in languages:
                return candidate
    return languages[0]


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _owned_order(uow: UnitOfWork, store_id: int, customer_id: int, order_id: int | None) -> bool:
    if order_id is None:
        return False
    order = uow.session.get(Order, order_id)
    return order is not None and order.store_id == store_id and order.customer_id == customer_id


def _products_of(uow: UnitOfWork, store_id: int, order_id: int | None) -> list[int]:
    """The catalogue products of an order's lines (those the catalogue knows)."""
    if order_id is None:
        return []
    external = [
        value
        for value in uow.session.scalars(
            select(OrderLine.product_external_id).where(OrderLine.order_id == order_id)
        )
        if value
    ]
    if not external:
        return []
    return sorted(
        uow.session.scalars(
            select(Product.id).where(Product.store_id == store_id, Product.external_id.in_(external))
        )
    )


REFUSALS = {
    "throttled": "this customer was asked for feedback recently (the store's survey throttle)",
    "opted_out": "this customer opted out of that channel",
    "no_address": "this customer has no address on that channel",
    "not_active": "this survey is not active: switch it on first",
    "erased": "this customer's data was erased",
}


def ask_from_api(
    uow: UnitOfWork, actor: Actor, store_id: int, survey_id: int, data: AskIn, *, base_url: str
) -> SurveyInvitation:
    """The store's site or app (or a person) asks one customer (``AskIn``): the same throttle, consent and
    channel rules as a survey asking on its own. Raises ``NotFound`` for another store's survey or
    customer, ``Conflict`` with the reason when the customer may not be asked now. An idempotent
    request (the same ``Idempotency-Key``) is answered by the HTTP layer."""
    authorize(actor, store_id, scope="feedback:write", permission=Permission.MANAGE_FEEDBACK)
    survey = survey_of(uow.session, store_id, survey_id)
    if data.customer_id is not None:
        customer = uow.session.get(Customer, data.customer_id)
    else:
        customer = uow.session.scalar(
            select(Customer).where(
                Customer.store_id == store_id, Customer.external_id == data.customer_external_id
            )
        )
    if customer is None or customer.store_id != store_id:
        raise NotFound(f"no customer {data.customer_id or data.customer_external_id!r} in this store")
    result = ask_customer(
        uow,
        store_id=store_id,
        survey_id=survey.id,
        customer_id=customer.id,
        channel=SurveyChannel(data.channel),
        context={"order_id": data.order_id, "conversation_id": data.conversation_id},
        key=f"api:{survey.id}:{customer.id}:{secrets.token_hex(8)}",  # each request asks anew
        base_url=base_url,
    )
    if result.invitation is None:
        raise Conflict(REFUSALS.get(result.reason, result.reason))
    return result.invitation
