"""Schedules and session types as staff configure them and shoppers pick them."""

from __future__ import annotations

from sqlalchemy.orm import Session

from loyaldesk.bookings.schemas import ScheduleOut, SessionTypeOut


def session_types(session: Session, *, store_id: int, active_only: bool = True) -> list[SessionTypeOut]:
    raise NotImplementedError


def session_type(session: Session, *, store_id: int, session_type_id: int) -> SessionTypeOut:
    raise NotImplementedError


def schedules(session: Session, *, store_id: int) -> list[ScheduleOut]:
    raise NotImplementedError


def schedule(session: Session, *, store_id: int, schedule_id: int) -> ScheduleOut:
    raise NotImplementedError
