"""Sending what the journeys queued: each due message is checked against consent, the recipient's
waking hours and the caps at the moment it would go, rendered, claimed and handed to its channel.

Exactly once: a worker claims a batch (``claimed``: rendered, counted against the caps), then, a few at a
time, moves messages to ``sending`` in a committed transaction *before* their channel is called, and
records each outcome. Only a worker holding the claim reports it. A worker that dies leaves its messages
``claimed`` or ``sending``; after the lease, ``claimed`` ones (never handed to a channel) go back to the
queue, and ``sending`` ones become ``unknown`` and are never sent again (the channel may or may not have
taken them; sending twice is the one thing a store must never see). So a crash can lose at most the few
messages in flight (``DeliveryConfig.chunk``), never duplicate one. Passing failures (a 4xx from the
mail server, a provider's 503) go back to the queue with backoff; deferred marketing that can wait no
longer (its ``expires_at``) is dropped, and counted.

The network is called outside any transaction: claim (short transaction) → deliver → record (short
transaction).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from loyaldesk.customers import Customer
from loyaldesk.journeys.actions.consent import consent_allows, feedback_allowed
from loyaldesk.journeys.actions.messaging_settings import messaging_settings
from loyaldesk.journeys.actions.record import decide
from loyaldesk.journeys.actions.recover import recover_stale
from loyaldesk.journeys.events import MessageSent
from loyaldesk.journeys.models import MessageTemplate, Send
from loyaldesk.journeys.ports import (
    ADAPTERS,
    DeliveryResult,
    DeliveryStatus,
    OutgoingMessage,
    Recipient,
    finish_delivery,
    prepare_delivery,
)
from loyaldesk.journeys.queries.facts import home_country
from loyaldesk.journeys.rules.delivery_window import Caps, Window, allowed_moment, recipient_zone
from loyaldesk.journeys.vocab import Channel, MessageCategory, Outcome, Reason, SendStatus
from loyaldesk.kernel.db import Database, UnitOfWork
from loyaldesk.stores import Store

log = logging.getLogger("loyaldesk.journeys.deliver")

RETRY_AFTER = (
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(minutes=30),
    timedelta(hours=2),
)
__all__ = ["DeliveryConfig", "claim_due", "deliver_due", "mark_sending", "record_results", "recover_stale"]

COUNTED = (SendStatus.CLAIMED, SendStatus.SENDING, SendStatus.SENT, SendStatus.DELIVERED, SendStatus.UNKNOWN)


@dataclass(frozen=True)
class DeliveryConfig:
    """``secret_source`` gives the key links are signed with, read when first needed (composing must not
    create the install's key file)."""

    base_url: str
    secret_source: Callable[[], str]
    batch: int = 100
    chunk: int = 5  # messages handed to channels between two commits (at most this many lost to a crash)
    max_attempts: int = 6
    lease: timedelta = timedelta(minutes=10)

    @property
    def secret(self) -> str:
        return self.secret_source()


@dataclass(frozen=True)
class Claimed:
    send_id: int
    message: OutgoingMessage


def deliver_due(database: Database, config: DeliveryConfig) -> int:
    """One pass: claim and render what is due, hand it to the channels, record what they said."""
    database.write(recover_stale, config)
    claimed = database.write(claim_due, config)
    if not claimed:
        return 0
    for start in range(0, len(claimed), config.chunk):
        part = claimed[start : start + config.chunk]
        database.write(mark_sending, [item.send_id for item in part])
        results = [deliver_one(database, item.message) for item in part]
        database.write(record_results, results, config)
    return len(claimed)


def mark_sending(uow: UnitOfWork, send_ids: list[int]) -> None:
    """These claimed messages are about to be handed to their channels (committed before the first is)."""
    uow.session.execute(
        update(Send)
        .where(Send.id.in_(send_ids), Send.status == SendStatus.CLAIMED)
        .values(status=SendStatus.SENDING)
        .execution_options(synchronize_session=False)
    )


def deliver_one(database: Database, message: OutgoingMessage) -> tuple[OutgoingMessage, DeliveryResult]:
    """Hand one claimed message to its channel: what the adapter needs is loaded on a read session
    (``prepare``), then the network call runs outside any transaction. Returns the message as the
    adapter saw it, for ``record_results``."""
    adapter = ADAPTERS.get(str(message.channel))
    if adapter is None:
        return message, DeliveryResult(DeliveryStatus.FAILED, error="channel not set up")
    try:
        with database.read() as session:
            message = prepare_delivery(adapter, session, message)
        return message, adapter.deliver(message)
    except Exception as error:  # an adapter must not raise; if it does, it is a passing failure
        log.exception("channel %s raised", message.channel)
        return message, DeliveryResult(DeliveryStatus.RETRY, error=f"{type(error).__name__}: {error}")


def claim_due(uow: UnitOfWork, config: DeliveryConfig) -> list[Claimed]:
    """Decide, for each due message, whether it goes now, later or never; claim and render those that
    go now (``sending``, committed with this transaction)."""
    now = uow.now()
    query = (
        select(Send)
        .where(Send.status.in_((SendStatus.QUEUED, SendStatus.DEFERRED)), Send.due_at <= now)
        .order_by(Send.due_at, Send.id)
        .limit(config.batch)
    )
    if uow.is_postgresql:
        query = query.with_for_update(skip_locked=True)
    claimed: list[Claimed] = []
    stores: dict[int, Store] = {}
    for send in list(uow.session.scalars(query)):
        store = stores.get(send.store_id) or uow.session.get(Store, send.store_id)
        assert store is not None
        stores[store.id] = store
        mark = uow.mark()
        savepoint = uow.session.begin_nested()
        try:
            message = _gate_and_render(uow, send, store, config)
            savepoint.commit()
        except Exception as error:  # a message that cannot be rendered fails alone, with the reason
            savepoint.rollback()
            uow.discard_since(mark)
            log.exception("preparing message %s failed", send.id)
            send.attempts += 1
            send.last_error = f"{type(error).__name__}: {error}"[:2000]
            _suppress(uow, send, SendStatus.FAILED, Reason.DELIVERY_FAILED, f"Not sent: {send.last_error}")
            continue
        if message is not None:
            claimed.append(Claimed(send.id, message))
    return claimed


def _suppress(uow: UnitOfWork, send: Send, status: SendStatus, reason: Reason, summary: str) -> None:
    send.status = status
    send.reason = reason.value
    outcome = Outcome.FAILED if status in (SendStatus.FAILED, SendStatus.DROPPED) else Outcome.SUPPRESSED
    if send.rule_id is not None:
        decide(
            uow,
            store_id=send.store_id,
            rule_id=send.rule_id,
            customer_id=send.customer_id,
            enrollment_id=send.enrollment_id,
            send_id=send.id,
            outcome=outcome,
            reason=reason,
            summary=summary,
        )


def _gate_and_render(
    uow: UnitOfWork, send: Send, store: Store, config: DeliveryConfig
) -> OutgoingMessage | None:
    now = uow.now()
    customer_query = select(Customer).where(Customer.id == send.customer_id)
    if uow.is_postgresql:  # one worker at a time decides for a customer: caps hold across workers
        customer_query = customer_query.with_for_update()
    customer = uow.session.scalar(customer_query)
    if customer is None or customer.erased_at is not None:
        _suppress(uow, send, SendStatus.SUPPRESSED, Reason.ERASED, "Not sent: the customer was erased")
        return None
    adapter = ADAPTERS.get(send.channel)
    if adapter is None:
        _suppress(
            uow, send, SendStatus.SUPPRESSED, Reason.CHANNEL_OFF, f"Not sent: {send.channel} is not set up"
        )
        return None
    marketing = send.category == MessageCategory.MARKETING
    channel = Channel(send.channel) if send.channel in Channel.__members__.values() else None
    if marketing and channel is not None and not consent_allows(uow.session, customer, channel):
        _suppress(
            uow,
            send,
            SendStatus.SUPPRESSED,
            Reason.NO_CONSENT,
            f"Not sent: no marketing consent for {send.channel}",
        )
        return None
    if (
        send.category == MessageCategory.FEEDBACK
        and channel is not None
        and not feedback_allowed(uow.session, customer, channel)
    ):
        _suppress(
            uow, send, SendStatus.SUPPRESSED, Reason.OPTED_OUT, f"Not sent: opted out of {send.channel}"
        )
        return None
    address = (
        str(send.content.get("url"))
        if send.channel == "webhook"
        else adapter.address_of(uow.session, store.id, customer.id)
    )
    if not address:
        _suppress(uow, send, SendStatus.SUPPRESSED, Reason.NO_ADDRESS, f"Not sent: no {send.channel} address")
        return None
    settings = messaging_settings(uow.session, store.id)
    zone, country = recipient_zone(
        customer.timezone, customer.phone, home_country(uow.session, customer), store.timezone
    )
    # Marketing and feedback wait for waking hours; only marketing counts against the caps.
    if marketing or send.category == MessageCategory.FEEDBACK:
        if send.expires_at is not None and now > send.expires_at:
            _suppress(uow, send, SendStatus.DROPPED, Reason.EXPIRED, "Dropped: waited past its deadline")
            return None
        recent = (
            uow.session.execute(
                select(Send.sent_at, Send.channel).where(
                    Send.customer_id == customer.id,
                    Send.category == MessageCategory.MARKETING,
                    Send.status.in_(COUNTED),
                    Send.sent_at > now - timedelta(days=7),
                )
            ).all()
            if marketing
            else []
        )
        verdict = allowed_moment(
            now,
            zone=zone,
            country=country,
            channel=send.channel,
            recent=[(sent_at, ch) for sent_at, ch in recent if sent_at is not None],
            window=Window(settings.quiet_start_hour, settings.quiet_end_hour, settings.respect_holidays),
            caps=Caps(
                timedelta(hours=settings.min_gap_hours),
                settings.per_week,
                dict(settings.per_channel_per_week or {}),
            ),
        )
        if verdict.at > now:
            if send.expires_at is not None and verdict.at > send.expires_at:
                _suppress(
                    uow,
                    send,
                    SendStatus.DROPPED,
                    Reason.EXPIRED,
                    f"Dropped: {verdict.reason} until past its deadline",
                )
                return None
            first = send.status != SendStatus.DEFERRED or send.reason != (
                verdict.reason.value if verdict.reason else None
            )
            send.status, send.due_at = SendStatus.DEFERRED, verdict.at
            send.reason = verdict.reason.value if verdict.reason else None
            if first and send.rule_id is not None and verdict.reason is not None:
                local = verdict.at.astimezone(zone)
                decide(
                    uow,
                    store_id=send.store_id,
                    rule_id=send.rule_id,
                    customer_id=send.customer_id,
                    enrollment_id=send.enrollment_id,
                    send_id=send.id,
                    outcome=Outcome.DEFERRED,
                    reason=verdict.reason,
                    summary=(
                        f"Deferred ({verdict.reason.value.replace('_', ' ')}) "
                        f"to {local:%Y-%m-%d %H:%M} {zone.key}"
                    ),
                )
            return None
    message = _render(uow, send, store, customer, address, settings, config)
    if message is None:
        return None
    send.status = SendStatus.CLAIMED
    send.sent_at = now  # counts against the caps from the claim on
    send.attempts += 1
    send.reason = None
    return message


def _render(
    uow: UnitOfWork,
    send: Send,
    store: Store,
    customer: Customer,
    address: str,
    settings: Any,
    config: DeliveryConfig,
) -> OutgoingMessage | None:
    context = dict(send.content.get("context") or {})
    language = customer.locale or store.default_language or "en"
    recipient = Recipient(customer.id, address, customer.display_name, language)
    common: dict[str, Any] = {
        "store_id": store.id,
        "send_id": send.id,
        "idempotency_key": send.idempotency_key,
        "channel": send.channel,
        "category": MessageCategory(send.category),
        "recipient": recipient,
        "sender_name": settings.sender_name or store.name,
        "sender_email": settings.sender_email,
    }
    if send.channel == "webhook":
        payload = {
            "type": "journey.step",
            "rule_id": send.rule_id,
            "customer_id": customer.id,
            "external_id": customer.external_id,
            "context": context,
            "idempotency_key": send.idempotency_key,
        }
        return OutgoingMessage(
            **common,
            subject="",
            text="",
            url=str(send.content.get("url")),
            payload=payload,
            signing_secret=store.identity_secret,
        )
    from loyaldesk.journeys.links import links_for
    from loyaldesk.journeys.queries.facts import facts_for, template_values
    from loyaldesk.journeys.queries.products import product_blocks
    from loyaldesk.journeys.rendering import render_message

    template = uow.session.scalar(
        select(MessageTemplate).where(
            MessageTemplate.store_id == store.id, MessageTemplate.key == send.template_key
        )
    )
    if template is None:
        _suppress(
            uow,
            send,
            SendStatus.FAILED,
            Reason.DELIVERY_FAILED,
            f"Not sent: template {send.template_key!r} is gone",
        )
        return None
    channel = Channel(send.channel)
    links = links_for(
        config.base_url, config.secret, store.slug, send.id, customer.id, channel, store_id=store.id
    )
    facts = facts_for(
        uow.session,
        store,
        [customer],
        uow.now(),
        context={customer.id: context},
        needs=_facts_needed(template),
    )[customer.id]
    values = template_values(store, customer, facts, config.base_url, language=language)
    rendered = render_message(
        template,
        channel,
        values,
        settings,
        links,
        store_name=store.name,
        language=language,
        marketing=send.category == MessageCategory.MARKETING,
        blocks=[
            *(send.content.get("blocks") or ()),
            *product_blocks(uow.session, template, customer, language),
        ],
    )
    return OutgoingMessage(
        **common,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        url=rendered.url,
        headers=dict(rendered.headers),
        attachments=[dict(item) for item in send.content.get("attachments") or ()],
    )


_LOYALTY_VARIABLES = frozenset(
    {"points", "pending_points", "tier", "expiring_points", "expiring_on", "referral_url"}
)
_TIER_VARIABLES = frozenset({"next_tier", "next_tier_gap"})


def _facts_needed(template: MessageTemplate) -> set[str]:
    """The fact groups the template's variables read (the next tier's gap costs a tier evaluation)."""
    text = " ".join(
        part or ""
        for part in (template.subject, template.preheader, template.body, template.button_url, template.mjml)
    )
    names = set(re.findall(r"\{\{\s*([a-z_]+)", text))
    needs: set[str] = set()
    if names & _LOYALTY_VARIABLES:
        needs.add("loyalty.points")
    if names & _TIER_VARIABLES:
        needs.add("loyalty.next_tier_gap")
    return needs


def record_results(
    uow: UnitOfWork, results: list[tuple[OutgoingMessage, DeliveryResult]], config: DeliveryConfig
) -> None:
    """What the channels said, for the messages this worker claimed; each adapter writes what it learnt
    (``after_delivery``: a widget notice, a gone push subscription) in this same transaction."""
    now = uow.now()
    for message, result in results:
        send = uow.session.get(Send, message.send_id)
        if send is None or send.status != SendStatus.SENDING:
            continue  # recovered as unknown meanwhile: leave it so
        adapter = ADAPTERS.get(send.channel)
        if adapter is not None:
            finish_delivery(adapter, uow, message, result)
        send.provider_id = result.provider_id
        base: dict[str, Any] = {
            "store_id": send.store_id,
            "customer_id": send.customer_id,
            "enrollment_id": send.enrollment_id,
            "send_id": send.id,
        }
        if result.status is DeliveryStatus.SENT:
            send.status = SendStatus.SENT
            send.last_error = None
            uow.emit(
                MessageSent(
                    store_id=send.store_id,
                    customer_id=send.customer_id,
                    send_id=send.id,
                    rule_id=send.rule_id,
                    channel=send.channel,
                    category=send.category,
                )
            )
            if send.rule_id is not None:
                decide(
                    uow, **base, rule_id=send.rule_id, outcome=Outcome.SENT, summary=f"Sent by {send.channel}"
                )
            continue
        send.last_error = (result.error or result.status.value)[:2000]
        send.sent_at = None
        if result.status is DeliveryStatus.RETRY and send.attempts < config.max_attempts:
            send.status = SendStatus.QUEUED
            send.due_at = now + RETRY_AFTER[min(send.attempts, len(RETRY_AFTER)) - 1]
            continue
        send.status = SendStatus.FAILED
        send.reason = (
            Reason.NO_ADDRESS if result.status is DeliveryStatus.GONE else Reason.DELIVERY_FAILED
        ).value
        if send.rule_id is not None:
            decide(
                uow,
                **base,
                rule_id=send.rule_id,
                outcome=Outcome.FAILED,
                reason=Reason(send.reason),
                summary=f"Failed: {send.last_error}",
            )
