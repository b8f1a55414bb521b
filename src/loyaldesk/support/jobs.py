"""Scheduled work of the support desk: waking snoozed conversations and checking SLA clocks.

``register(jobs)`` schedules them; the composition root calls it (the channels' jobs, polling mailboxes
and sending mail and callbacks, are registered by the channel adapters).
"""

from __future__ import annotations

from loyaldesk.kernel.jobs import JobRegistry
from loyaldesk.support.actions import wake_snoozed
from loyaldesk.support.actions.sla import check_due


def register(jobs: JobRegistry) -> None:
    """Schedule the desk's periodic work."""
    jobs.every(30, name="support.wake_snoozed")(wake_snoozed)
    jobs.every(30, name="support.sla_check")(check_due)
