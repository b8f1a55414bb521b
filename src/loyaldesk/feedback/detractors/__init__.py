"""Detractors' conversations: every detractor answer opens a conversation in the support inbox (routed
by theme, high priority, with the store's detractor SLA), the team's first reply closes the loop
(``contacted_at``), and a resolved conversation asks the survey again (recovery).

``register(handlers, jobs)`` is called by the composition root."""

from loyaldesk.feedback.detractors.actions import open_conversation, open_due, owning_team
from loyaldesk.feedback.detractors.handlers import register

__all__ = ["open_conversation", "open_due", "owning_team", "register"]
