"""Journeys in a customer's GDPR export (their consent per channel and the messages sent to them) and in
their erasure: consent and segment memberships are removed, runs end, messages not yet sent are
suppressed, and what the explain record and the messages kept about them (the facts a condition read,
an event's payload) is emptied; the counts that the results are made of stay, without an identity."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from loyaldesk.customers import erasure_step, export_section
from loyaldesk.journeys.models import AudienceMembership, ChannelConsent, Decision, Enrollment, Send
from loyaldesk.journeys.vocab import EnrollmentStatus, Reason, SendStatus
from loyaldesk.kernel.db import UnitOfWork

WAITING = (SendStatus.QUEUED, SendStatus.DEFERRED, SendStatus.CLAIMED)


def export_messages(session: Session, store_id: int, customer_id: int) -> dict[str, Any]:
    consent = [
        {
            "channel": row.channel,
            "granted": row.granted,
            "source": row.source,
            "changed_at": row.changed_at.isoformat(),
        }
        for row in session.scalars(
            select(ChannelConsent).where(
                ChannelConsent.store_id == store_id, ChannelConsent.customer_id == customer_id
            )
        )
    ]
    messages = [
        {
            "channel": send.channel,
            "template": send.template_key,
            "status": send.status,
            "sent_at": send.sent_at.isoformat() if send.sent_at else None,
            "opened_at": send.opened_at.isoformat() if send.opened_at else None,
            "clicked_at": send.clicked_at.isoformat() if send.clicked_at else None,
        }
        for send in session.scalars(
            select(Send).where(Send.store_id == store_id, Send.customer_id == customer_id).order_by(Send.id)
        )
    ]
    return {"consent": consent, "messages": messages}


def erase_messages(uow: UnitOfWork, store_id: int, customer_id: int) -> None:
    session = uow.session
    session.execute(
        delete(ChannelConsent).where(
            ChannelConsent.store_id == store_id, ChannelConsent.customer_id == customer_id
        )
    )
    session.execute(delete(AudienceMembership).where(AudienceMembership.customer_id == customer_id))
    session.execute(
        update(Send)
        .where(Send.store_id == store_id, Send.customer_id == customer_id, Send.status.in_(WAITING))
        .values(status=SendStatus.SUPPRESSED, reason=Reason.ERASED.value)
    )
    session.execute(
        update(Send).where(Send.store_id == store_id, Send.customer_id == customer_id).values(content={})
    )
    session.execute(
        update(Enrollment)
        .where(
            Enrollment.store_id == store_id,
            Enrollment.customer_id == customer_id,
            Enrollment.status.in_((EnrollmentStatus.DUE, EnrollmentStatus.WAITING_EVENT)),
        )
        .values(status=EnrollmentStatus.EXITED, due_at=None, waiting_event=None, finished_at=uow.now())
    )
    session.execute(
        update(Enrollment)
        .where(Enrollment.store_id == store_id, Enrollment.customer_id == customer_id)
        .values(context={})
    )
    session.execute(
        update(Decision)
        .where(Decision.store_id == store_id, Decision.customer_id == customer_id)
        .values(details={}, summary="(erased)")
    )


def register() -> None:
    """Plug journeys' export section and erasure step into the customer record."""
    export_section("messages")(export_messages)
    erasure_step("messages")(erase_messages)
