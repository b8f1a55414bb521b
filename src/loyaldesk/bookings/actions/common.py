"""What the booking actions share: the acting staff account (checked to work for the store) and its audit
row, the seat row locked for the change, and the lock order.

Lock order (PostgreSQL), the same in every action that changes seats, occurrences or waitlist places:
first the schedules of the session type's hosts (``lock_hosts``), then seats, occurrences and waitlist
entries. Actions on one session type's experts therefore queue on the hosts instead of deadlocking.
SQLite's writers are one at a time already."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from loyaldesk.bookings.models import Occurrence, Schedule, Seat, SessionTypeHost
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


def lock_hosts(uow: UnitOfWork, *session_type_ids: int) -> None:
    """Lock the schedule rows of these session types' hosts (PostgreSQL, in id order: no deadlock between
    types sharing experts) until the transaction ends: the slot rule's checks the database cannot make
    (the daily cap, working hours) are then made against a settled state. SQLite's writers are already
    one at a time. The overlap itself is the database's to refuse either way."""
    if not uow.is_postgresql or not session_type_ids:
        return
    uow.session.execute(
        select(Schedule.id)
        .where(
            Schedule.id.in_(
                select(SessionTypeHost.schedule_id).where(
                    SessionTypeHost.session_type_id.in_(session_type_ids)
                )
            )
        )
        .order_by(Schedule.id)
        .with_for_update()
    ).all()


def lock_hosts_of_seat(uow: UnitOfWork, store_id: int, seat_id: int) -> None:
    """``lock_hosts`` for the session type of seat ``seat_id`` (nothing when there is no such seat: the
    action then reports it)."""
    if not uow.is_postgresql:
        return
    session_type_id = uow.session.scalar(
        select(Occurrence.session_type_id)
        .join(Seat, Seat.occurrence_id == Occurrence.id)
        .where(Seat.id == seat_id, Seat.store_id == store_id)
    )
    if session_type_id is not None:
        lock_hosts(uow, session_type_id)
