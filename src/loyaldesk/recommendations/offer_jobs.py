"""Personal offers' scheduled work: a launched offer's treatment group is told in small batches (codes,
messages; outside a transaction: each batch is its own), and an active offer whose end has passed is
ended (results final)."""

from __future__ import annotations

from loyaldesk.kernel.jobs import JobRegistry
from loyaldesk.recommendations.actions.offer_launch import end_due_offers
from loyaldesk.recommendations.actions.offer_telling import tell_offer_groups

END_EVERY_SECONDS = 300
TELL_EVERY_SECONDS = 5


def register(jobs: JobRegistry) -> None:
    jobs.every_outside(TELL_EVERY_SECONDS, name="recommendations.tell_offers")(tell_offer_groups)
    jobs.every(END_EVERY_SECONDS, name="recommendations.end_due_offers")(end_due_offers)
