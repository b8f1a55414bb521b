"""Asking for a retraining: the store is marked as waiting, and the retraining job (``jobs.py``) trains it
once the wait is over. Examples added one after another make one training: a change asks for a training
``RETRAIN_AFTER`` from now unless one is already due sooner; the retrain button asks for one now."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from loyaldesk.assistant.teaching.models import RetrainingRequest
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.stores import Permission, authorize, record_audit

RETRAIN_AFTER = timedelta(seconds=60)


def request_retraining(uow: UnitOfWork, store_id: int, *, after: timedelta = RETRAIN_AFTER) -> datetime:
    """Mark the store as waiting for a retraining due ``after`` from now (or sooner, if one is due
    sooner already). Returns when it is due. For the teaching actions; no permission of its own."""
    due = uow.now() + after
    query = select(RetrainingRequest).where(RetrainingRequest.store_id == store_id)
    if uow.is_postgresql:
        query = query.with_for_update()
    row = uow.session.scalar(query)
    if row is None:
        try:
            with uow.session.begin_nested():
                uow.session.add(RetrainingRequest(store_id=store_id, due_at=due, requested_at=uow.now()))
            return due
        except IntegrityError:  # another transaction made the row first: update it below
            row = uow.session.scalar(query)
            assert row is not None
    row.requested_at = uow.now()
    if row.due_at is None or due < row.due_at:
        row.due_at = due
    return row.due_at


def retrain_now(uow: UnitOfWork, actor: Actor, store_id: int) -> datetime:
    """The retrain button: the job trains the store on its next pass (within seconds)."""
    authorize(actor, store_id, scope="assistant:write", permission=Permission.MANAGE_SUPPORT)
    due = request_retraining(uow, store_id, after=timedelta(0))
    record_audit(uow, actor, "assistant.retraining_requested", store_id=store_id, target_type="intent_model")
    return due
