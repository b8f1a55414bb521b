"""Scheduled work of the support desk."""

from __future__ import annotations

from loyaldesk.kernel.jobs import jobs
from loyaldesk.support.actions import wake_snoozed
from loyaldesk.support.sla import check_due

jobs.every(30, name="support.wake_snoozed")(wake_snoozed)
jobs.every(30, name="support.sla_check")(check_due)
