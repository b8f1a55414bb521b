"""Claiming and settling rows of an outbox that something outside delivers (mail, HTTP callbacks).

Domain-free: support's replies by email and callbacks, and the stores domain's account mail, use it.

A row has ``status`` (pending, sent, failed), ``attempts``, ``next_attempt_at``, ``last_error`` and
``sent_at``. ``claim_due`` leases due rows for ``LEASE`` in a short transaction (``SKIP LOCKED`` on
PostgreSQL), so that another process does not deliver them at the same time; the caller delivers with
no transaction open and then calls ``settle``, which marks the row sent or schedules a retry with
backoff (1, 2, 4 ... minutes, at most an hour) until ``MAX_ATTEMPTS``.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy import select

from loyaldesk.kernel.db import UnitOfWork

log = logging.getLogger("loyaldesk.delivery")

MAX_ATTEMPTS = 8
LEASE = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=1)

Row = TypeVar("Row")


def backoff(attempts: int) -> timedelta:
    """The wait before the next attempt after ``attempts`` failed ones. Pure."""
    return min(MAX_BACKOFF, timedelta(minutes=2 ** max(attempts - 1, 0)))


def claim_due(uow: UnitOfWork, model: type[Row], limit: int) -> list[Row]:
    now = uow.now()
    table: Any = model
    query = (
        select(model)
        .where(table.status == "pending", table.next_attempt_at <= now)
        .order_by(table.next_attempt_at, table.id)
        .limit(limit)
    )
    if uow.session.bind is not None and uow.session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = list(uow.session.scalars(query))
    for row in rows:
        item: Any = row
        item.attempts += 1
        item.next_attempt_at = now + LEASE
    return rows


def settle(uow: UnitOfWork, model: type[Any], row_id: int, error: str | None) -> None:
    row = uow.session.get(model, row_id)
    if row is None:
        return
    if error is None:
        row.status, row.sent_at, row.last_error = "sent", uow.now(), None
        return
    row.last_error = error[:500]
    if row.attempts >= MAX_ATTEMPTS:
        row.status = "failed"
        log.error(
            "gave up delivering %s %s after %s attempts: %s", model.__name__, row_id, row.attempts, error
        )
    else:
        row.next_attempt_at = uow.now() + backoff(row.attempts)
