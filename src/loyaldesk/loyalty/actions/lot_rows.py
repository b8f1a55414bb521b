"""Available lots read as plain columns: what a spend needs of a lot, without loading ORM objects (the
redemption batch read them for every member it locked). ``post_entries.post`` updates these rows and
objects alike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.loyalty.models import PointLot

__all__ = ["LotRow", "available_lot_rows"]


@dataclass
class LotRow:
    """An available lot read as plain columns (``available_lot_rows``); ``post`` changes it as it changes
    the lot's row."""

    id: int
    member_id: int
    remaining: int
    status: str
    pending_until: datetime | None = None


def available_lot_rows(uow: UnitOfWork, member_ids: list[int]) -> dict[int, list[LotRow]]:
    """The available lots with points left of each of ``member_ids``, oldest first, as ``LotRow``s (one
    query; the members are locked by the caller). Members without any map to an empty list."""
    lots: dict[int, list[LotRow]] = {member_id: [] for member_id in member_ids}
    query = (
        select(PointLot.id, PointLot.member_id, PointLot.remaining, PointLot.status, PointLot.pending_until)
        .where(PointLot.member_id.in_(member_ids), PointLot.status == "available", PointLot.remaining > 0)
        .order_by(PointLot.id)
    )
    for lot_id, member_id, remaining, status, pending_until in uow.session.execute(query):
        lots[member_id].append(LotRow(lot_id, member_id, remaining, status, pending_until))
    return lots
