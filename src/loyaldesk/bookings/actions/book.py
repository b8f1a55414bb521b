"""A shopper taking a slot: hold it, confirm it (paying points), or both at once."""

from __future__ import annotations

from datetime import datetime

from loyaldesk.kernel.db import UnitOfWork


def hold_slot(
    uow: UnitOfWork,
    *,
    store_id: int,
    customer_id: int,
    session_type_id: int,
    starts_at: datetime,
    actor_id: int | None = None,
) -> int:
    raise NotImplementedError


def confirm_booking(
    uow: UnitOfWork, *, store_id: int, customer_id: int, seat_id: int, actor_id: int | None = None
) -> None:
    raise NotImplementedError


def book_slot(
    uow: UnitOfWork,
    *,
    store_id: int,
    customer_id: int,
    session_type_id: int,
    starts_at: datetime,
    actor_id: int | None = None,
) -> int:
    raise NotImplementedError


def release_expired_holds(uow: UnitOfWork, *, limit: int = 500) -> int:
    raise NotImplementedError
