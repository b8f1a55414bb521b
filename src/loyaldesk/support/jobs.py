"""Scheduled work of the support desk."""

from __future__ import annotations

from loyaldesk.kernel.jobs import jobs
from loyaldesk.support.actions import wake_snoozed

jobs.every(30, name="support.wake_snoozed")(wake_snoozed)
