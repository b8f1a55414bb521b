"""Personal offers' scheduled work: an active offer whose end has passed is ended (results final)."""

from __future__ import annotations

from loyaldesk.kernel.jobs import JobRegistry
from loyaldesk.recommendations.actions.offer_launch import end_due_offers

END_EVERY_SECONDS = 300


def register(jobs: JobRegistry) -> None:
    jobs.every(END_EVERY_SECONDS, name="recommendations.end_due_offers")(end_due_offers)
