"""Slots as a shopper reads them: in their own time zone, grouped by their own local date. A slot is
always stored and booked as its UTC start; only its reading changes with the viewer."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from loyaldesk.bookings.rules.local_time import time_zone


@dataclass(frozen=True)
class ShopperSlot:
    """One slot: ``starts_at`` in UTC (what a booking names), and its start and end read on the
    shopper's clocks (aware datetimes in the shopper's zone, so their offsets show DST)."""

    starts_at: datetime
    local_start: datetime
    local_end: datetime

    @property
    def local_date(self) -> date:
        """The shopper's calendar date of the start (which may differ from the expert's)."""
        return self.local_start.date()

    @property
    def label(self) -> str:
        """``"09:30-10:15"`` on the shopper's clocks (24-hour; the web layer localises further)."""
        return f"{self.local_start:%H:%M}-{self.local_end:%H:%M}"


def in_shopper_zone(
    slots: Iterable[datetime], session_length: timedelta, shopper_time_zone: str
) -> list[ShopperSlot]:
    """Each UTC slot start (aware) read in ``shopper_time_zone``, in the order given; ``ValueError`` on an
    unknown zone or a naive start."""
    zone = time_zone(shopper_time_zone)
    shown: list[ShopperSlot] = []
    for start in slots:
        if start.tzinfo is None:
            raise ValueError("slot starts must be timezone-aware")
        starts_at = start.astimezone(UTC)
        shown.append(
            ShopperSlot(starts_at, starts_at.astimezone(zone), (starts_at + session_length).astimezone(zone))
        )
    return shown


def by_shopper_date(
    slots: Iterable[datetime], session_length: timedelta, shopper_time_zone: str
) -> dict[date, list[ShopperSlot]]:
    """The slots grouped by the shopper's local date, dates ascending and slots in time order within each:
    what a day-by-day picker shows."""
    grouped: dict[date, list[ShopperSlot]] = {}
    for slot in sorted(in_shopper_zone(slots, session_length, shopper_time_zone), key=lambda s: s.starts_at):
        grouped.setdefault(slot.local_date, []).append(slot)
    return dict(sorted(grouped.items()))
