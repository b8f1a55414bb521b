"""Calls in a customer's GDPR export (each session: kind, state, when, how long, whether a recording was
kept) and in their erasure: the recordings of their sessions are deleted and the sessions lose their
link to the customer and their contact; the sessions themselves stay, as kind, times and durations, for the
support report (they hold nothing personal once unlinked)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from loyaldesk.calls.models import CallSession, RecordingChunk
from loyaldesk.customers import erasure_step, export_section
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.support import Contact, Conversation


def _of_customer(store_id: int, customer_id: int) -> Any:
    contacts = select(Contact.id).where(Contact.store_id == store_id, Contact.customer_id == customer_id)
    conversations = select(Conversation.id).where(
        Conversation.store_id == store_id, Conversation.customer_id == customer_id
    )
    return select(CallSession.id).where(
        CallSession.store_id == store_id,
        or_(
            CallSession.customer_id == customer_id,
            CallSession.contact_id.in_(contacts),
            CallSession.conversation_id.in_(conversations),
        ),
    )


def export_calls(session: Session, store_id: int, customer_id: int) -> dict[str, Any]:
    rows = session.execute(
        select(CallSession)
        .where(CallSession.id.in_(_of_customer(store_id, customer_id)))
        .order_by(CallSession.id)
    ).scalars()
    kept = set(
        session.scalars(
            select(RecordingChunk.session_id).where(
                RecordingChunk.session_id.in_(_of_customer(store_id, customer_id))
            )
        )
    )
    return {
        "sessions": [
            {
                "kind": row.kind,
                "state": row.state,
                "requested_by": row.requested_by,
                "requested_at": row.requested_at.isoformat(),
                "started_at": row.started_at.isoformat() if row.started_at else None,
                "ended_at": row.ended_at.isoformat() if row.ended_at else None,
                "duration_seconds": row.duration_seconds,
                "recording_kept": row.id in kept,
            }
            for row in rows
        ]
    }


def erase_calls(uow: UnitOfWork, store_id: int, customer_id: int) -> None:
    ids = list(uow.session.scalars(_of_customer(store_id, customer_id)))
    if not ids:
        return
    uow.session.execute(
        delete(RecordingChunk)
        .where(RecordingChunk.session_id.in_(ids))
        .execution_options(synchronize_session=False)
    )
    uow.session.execute(
        update(CallSession)
        .where(CallSession.id.in_(ids))
        .values(customer_id=None, contact_id=None, recording_allowed=False)
        .execution_options(synchronize_session=False)
    )


def register() -> None:
    """Plug the calls' export section and erasure step into the customer record."""
    export_section("calls")(export_calls)
    erasure_step("calls")(erase_calls)
