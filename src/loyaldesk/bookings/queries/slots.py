"""The slots a shopper is offered."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from loyaldesk.bookings.schemas import SlotOut


def slots_for_shopper(
    session: Session,
    *,
    store_id: int,
    session_type_id: int,
    time_zone: str,
    first_day: date,
    days: int,
    now: datetime,
) -> dict[date, list[SlotOut]]:
    raise NotImplementedError
