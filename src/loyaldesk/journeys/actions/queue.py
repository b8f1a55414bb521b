"""Queueing one message outside a rule's send step: what another domain sends on its own initiative (a
survey invitation, "we fixed it" to the customers who raised an issue) goes through here, so that
consent, quiet hours, exactly-once and the channels' adapters apply to it as to any journey's send.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from loyaldesk.journeys.actions.record import decide
from loyaldesk.journeys.models import MessageTemplate, Send
from loyaldesk.journeys.vocab import Channel, MessageCategory, Outcome, SendStatus
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
    due_at: datetime | None = None,
    expires_at: datetime | None = None,
    rule_id: int | None = None,
    enrollment_id: int | None = None,
    step_index: int | None = None,
) -> Send | None:
    """Queue ``template_key`` for ``customer_id`` on ``channel``; None when a message with this ``key``
    (the caller's idempotency key, at most 200 characters, unique across the install) exists already, so
    a repeated call sends nothing twice. ``blocks`` are rendered below the body (``journeys.rendering``);
    ``context`` fills the template's event variables. The deliver job decides at send time whether and
    when it goes (consent for the ``category``, waking hours, ``expires_at``) and records why not.
    Raises ``Invalid`` when the store has no such template for the channel."""
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
        content={"context": dict(context or {}), "blocks": [dict(block) for block in blocks]},
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
