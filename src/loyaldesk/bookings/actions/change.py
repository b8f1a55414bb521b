"""Cancelling and moving a booking, inside the session type's windows."""

from __future__ import annotations

from datetime import datetime

from loyaldesk.kernel.db import UnitOfWork


def cancel_booking(
    uow: UnitOfWork,
    *,
    store_id: int,
    seat_id: int,
    customer_id: int | None = None,
    actor_id: int | None = None,
    reason: str | None = None,
) -> int:
    raise NotImplementedError


def reschedule_booking(
    uow: UnitOfWork, *, store_id: int, seat_id: int, customer_id: int, new_starts_at: datetime
) -> int:
    raise NotImplementedError
