"""The refusals of the booking actions, each a ``kernel.errors`` class so the web layer maps it once."""

from __future__ import annotations

from datetime import datetime

from loyaldesk.kernel.errors import Conflict


class SlotUnavailable(Conflict):
    """No host of the session type can take this start (not offered, taken, or full)."""


class HoldExpired(Conflict):
    """The hold lapsed before it was confirmed (the slot may be someone else's by now)."""


class NotEnoughPoints(Conflict):
    """The member's available points do not cover the session's price."""


class CancellationClosed(Conflict):
    """A shopper may no longer cancel (or move) this booking themselves: the window closed at
    ``deadline``."""

    def __init__(self, message: str, deadline: datetime) -> None:
        super().__init__(message)
        self.deadline = deadline


class RescheduleClosed(CancellationClosed):
    """A shopper may no longer move this booking: the reschedule window closed at ``deadline``."""


class OfferTaken(Conflict):
    """Another waitlisted shopper accepted the freed slot first (or the offer lapsed)."""
