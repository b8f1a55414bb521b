"""Closing the loop: mark a theme (or some answers) fixed and tell exactly the customers who raised it,
through journeys, with optional goodwill points (``mark_fixed``); who that is and how many it reaches
(``audience``); past broadcasts (``closures``, ``closure_detail``)."""

from loyaldesk.feedback.loop.actions import (
    MAX_GOODWILL_POINTS,
    MAX_NOTE,
    TEMPLATE_KEY,
    ensure_fixed_template,
    mark_fixed,
)
from loyaldesk.feedback.loop.queries import ClosureRow, RecipientRow, closure_detail, closures, theme_of
from loyaldesk.feedback.loop.recipients import Audience, Recipient, audience

__all__ = [
    "MAX_GOODWILL_POINTS",
    "MAX_NOTE",
    "TEMPLATE_KEY",
    "Audience",
    "ClosureRow",
    "Recipient",
    "RecipientRow",
    "audience",
    "closure_detail",
    "closures",
    "ensure_fixed_template",
    "mark_fixed",
    "theme_of",
]
