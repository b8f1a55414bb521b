"""Scheduled work of the support desk."""

from __future__ import annotations

from loyaldesk.kernel.jobs import jobs
from loyaldesk.support.actions import wake_snoozed
from loyaldesk.support.sla import check_due

jobs.every(30, name="support.wake_snoozed")(wake_snoozed)
jobs.every(30, name="support.sla_check")(check_due)

# Polling stores' IMAP mailboxes registers itself (a job outside transactions).
from loyaldesk.channels.email import imap_poller as _imap_poller  # noqa: E402, F401
