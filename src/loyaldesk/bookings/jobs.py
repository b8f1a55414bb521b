"""Bookings' scheduled work: lapsed holds given back (``actions.book.release_expired_holds``)."""

from __future__ import annotations

from loyaldesk.bookings.actions.book import release_expired_holds
from loyaldesk.kernel.jobs import JobRegistry

RELEASE_HOLDS_EVERY_SECONDS = 30


def register(jobs: JobRegistry) -> None:
    jobs.every(RELEASE_HOLDS_EVERY_SECONDS, name="bookings.release_expired_holds")(release_expired_holds)
