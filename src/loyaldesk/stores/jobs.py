"""Scheduled work of the stores domain."""

from __future__ import annotations

from loyaldesk.kernel.jobs import jobs
from loyaldesk.stores.actions import purge_expired_sessions

jobs.every(3600, name="stores.purge_expired_sessions")(purge_expired_sessions)

# Sending account mail (invitations, reset links) needs the install's mail server: the composition root
# schedules ``account_mail.send_due`` with it.
