"""Staff configuring expert sessions: schedules (weekly hours, date overrides) and session types with
their hosts. Each function is one transaction with an audit row naming the acting staff account; bad
input raises ``Invalid`` naming the field."""

from __future__ import annotations

from datetime import date

from loyaldesk.bookings.schemas import DateOverrideIn, ScheduleIn, SessionTypeIn
from loyaldesk.kernel.db import UnitOfWork


def save_schedule(
    uow: UnitOfWork, *, store_id: int, actor_id: int, schedule_in: ScheduleIn, schedule_id: int | None = None
) -> int:
    raise NotImplementedError


def set_date_override(
    uow: UnitOfWork, *, store_id: int, actor_id: int, schedule_id: int, override: DateOverrideIn
) -> None:
    raise NotImplementedError


def remove_date_override(
    uow: UnitOfWork, *, store_id: int, actor_id: int, schedule_id: int, day: date
) -> None:
    raise NotImplementedError


def save_session_type(
    uow: UnitOfWork,
    *,
    store_id: int,
    actor_id: int,
    session_type_in: SessionTypeIn,
    session_type_id: int | None = None,
) -> int:
    raise NotImplementedError
