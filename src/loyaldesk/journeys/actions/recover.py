"""Recovering after a worker died mid-send: its claims go back to the queue, or, if it was handing a
message to its channel, the message is marked ``unknown`` and never sent again (``deliver``'s
docstring says why)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select, update

from loyaldesk.journeys.actions.record import decide
from loyaldesk.journeys.models import Send
from loyaldesk.journeys.vocab import Outcome, Reason, SendStatus
from loyaldesk.kernel.db import UnitOfWork

if TYPE_CHECKING:
    from loyaldesk.journeys.actions.deliver import DeliveryConfig


def recover_stale(uow: UnitOfWork, config: DeliveryConfig) -> int:
    """Claims older than the lease: their worker died. What it never handed to a channel goes back to
    the queue; what it was handing over is marked ``unknown``, never resent. Returns how many were lost."""
    cutoff = uow.now() - config.lease
    uow.session.execute(
        update(Send)
        .where(Send.status == SendStatus.CLAIMED, Send.sent_at < cutoff)
        .values(status=SendStatus.QUEUED, sent_at=None)
        .execution_options(synchronize_session=False)
    )
    stale = list(
        uow.session.scalars(
            select(Send).where(Send.status == SendStatus.SENDING, Send.sent_at < cutoff).limit(500)
        )
    )
    for send in stale:
        send.status = SendStatus.UNKNOWN
        send.reason = Reason.OUTCOME_UNKNOWN.value
        if send.rule_id is not None:
            decide(
                uow,
                store_id=send.store_id,
                rule_id=send.rule_id,
                customer_id=send.customer_id,
                send_id=send.id,
                enrollment_id=send.enrollment_id,
                outcome=Outcome.FAILED,
                reason=Reason.OUTCOME_UNKNOWN,
                summary="The worker sending it stopped; not sent again, to never send twice",
            )
    return len(stale)
