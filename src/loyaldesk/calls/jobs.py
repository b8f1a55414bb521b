"""Calls' scheduled work: requests nobody answered marked missed (``actions.expire``)."""

from __future__ import annotations

from loyaldesk.calls.actions.expire import expire_unanswered
from loyaldesk.kernel.jobs import JobRegistry

EXPIRE_UNANSWERED_EVERY_SECONDS = 30


def register(jobs: JobRegistry) -> None:
    jobs.every(EXPIRE_UNANSWERED_EVERY_SECONDS, name="calls.expire_unanswered")(expire_unanswered)
