"""What the booking actions share: the acting staff account (checked to work for the store) and its audit
row, and the seat row locked for the change."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from loyaldesk.bookings.models import Seat
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import NotFound, PermissionDenied
from loyaldesk.stores import StaffAccount, StoreMembership, record_audit


def staff_actor(uow: UnitOfWork, store_id: int, actor_id: int) -> Actor:
    """The staff account ``actor_id`` as an ``Actor`` of the store; ``PermissionDenied`` when it does not
    work for the store (the web layer checks roles; this keeps another store's staff out whatever)."""
    row = uow.session.execute(
        select(StaffAccount.email, StoreMembership.role)
        .join(StoreMembership, StoreMembership.staff_id == StaffAccount.id)
        .where(StaffAccount.id == actor_id, StoreMembership.store_id == store_id)
    ).one_or_none()
    if row is None:
        raise PermissionDenied("you do not work for this store")
    return Actor(kind="staff", id=actor_id, store_id=store_id, label=row.email, role=row.role)


def audit(
    uow: UnitOfWork,
    store_id: int,
    actor_id: int,
    action: str,
    target_type: str,
    target_id: int,
    details: dict[str, Any] | None = None,
) -> None:
    """One audit row: ``actor_id`` (staff of the store) did ``action`` (``bookings.*``) to the target."""
    record_audit(
        uow,
        staff_actor(uow, store_id, actor_id),
        action,
        store_id=store_id,
        target_type=target_type,
        target_id=target_id,
        details=details,
    )


def locked_seat(uow: UnitOfWork, store_id: int, seat_id: int, customer_id: int | None = None) -> Seat:
    """The seat, its row locked (PostgreSQL; SQLite writers are serialised already) and refreshed;
    ``NotFound`` when it is not the store's or, given ``customer_id``, not that customer's."""
    query = select(Seat).where(Seat.id == seat_id, Seat.store_id == store_id)
    if customer_id is not None:
        query = query.where(Seat.customer_id == customer_id)
    if uow.is_postgresql:
        query = query.with_for_update()
    seat = uow.session.scalar(query.execution_options(populate_existing=True))
    if seat is None:
        raise NotFound("no such booking")
    return seat
