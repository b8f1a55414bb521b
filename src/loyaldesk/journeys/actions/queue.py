"""Queueing one message outside a rule's send step: what another domain sends on its own initiative (a
survey invitation, "we fixed it" to the customers who raised an issue) goes through here, so that
consent, quiet hours, exactly-once and the channels' adapters apply to it as to any journey's send.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from loyaldesk.journeys.actions.record import decide
from loyaldesk.journeys.models import MessageTemplate, Send
from loyaldesk.journeys.vocab import Channel, MessageCategory, Outcome, Reason, SendStatus
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Invalid


def queue_message(
    uow: UnitOfWork,
    *,
    store_id: int,
    customer_id: int,
    channel: Channel,
    template_key: str,
    category: MessageCategory,
    key: str,
    context: Mapping[str, Any] | None = None,
    blocks: Sequence[Mapping[str, Any]] = (),
    attachments: Sequence[Mapping[str, str]] = (),
    due_at: datetime | None = None,
    expires_at: datetime | None = None,
    rule_id: int | None = None,
    enrollment_id: int | None = None,
    step_index: int | None = None,
) -> Send | None:
    """Queue ``template_key`` for ``customer_id`` on ``channel``; None when a message with this ``key``
    (the caller's idempotency key, at most 200 characters, unique across the install) exists already, so
    a repeated call sends nothing twice. ``blocks`` are rendered below the body (``journeys.rendering``);
    ``context`` fills the template's event variables; ``attachments`` (``filename``, ``content_type``
    such as ``text/calendar; method=REQUEST``, text ``content``) travel with an email as files. The
    deliver job decides at send time whether and when it goes (consent for the ``category``, waking
    hours, ``expires_at``) and records why not. Raises ``Invalid`` when the store has no such template
    for the channel."""
    if uow.session.scalar(select(Send.id).where(Send.idempotency_key == key)) is not None:
        return None
    template_channel = uow.session.scalar(
        select(MessageTemplate.channel).where(
            MessageTemplate.store_id == store_id, MessageTemplate.key == template_key
        )
    )
    if template_channel != channel.value:
        raise Invalid.field("template", f"no {channel.value} message template {template_key!r} in this store")
    now = uow.now()
    send = Send(
        store_id=store_id,
        rule_id=rule_id,
        enrollment_id=enrollment_id,
        step_index=step_index,
        customer_id=customer_id,
        channel=channel.value,
        category=category.value,
        template_key=template_key,
        content={
            "context": dict(context or {}),
            "blocks": [dict(block) for block in blocks],
            **({"attachments": [dict(item) for item in attachments]} if attachments else {}),
        },
        idempotency_key=key[:200],
        status=SendStatus.QUEUED,
        due_at=due_at or now,
        expires_at=expires_at,
        created_at=now,
        attempts=0,
    )
    uow.session.add(send)
    uow.session.flush()
    if rule_id is not None:
        decide(
            uow,
            store_id=store_id,
            rule_id=rule_id,
            customer_id=customer_id,
            enrollment_id=enrollment_id,
            send_id=send.id,
            outcome=Outcome.QUEUED,
            summary=f"{channel.value} message {template_key!r} queued",
        )
    return send


def withdraw_message(uow: UnitOfWork, *, store_id: int, key: str) -> bool:
    """Take back the message queued under ``key`` before it goes (a reminder of a session that was
    cancelled or moved): it is suppressed with reason ``withdrawn``. True when one was still waiting;
    False when there is none or it went (or is going) already."""
    withdrawn = uow.session.execute(
        update(Send)
        .where(
            Send.store_id == store_id,
            Send.idempotency_key == key[:200],
            Send.status.in_([SendStatus.QUEUED.value, SendStatus.DEFERRED.value]),
        )
        .values(status=SendStatus.SUPPRESSED.value, reason=Reason.WITHDRAWN.value)
    )
    return bool(withdrawn.rowcount)  # type: ignore[attr-defined]
