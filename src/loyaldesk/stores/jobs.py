"""Scheduled work of the stores domain."""

from __future__ import annotations

from loyaldesk.kernel.db import Database
from loyaldesk.kernel.jobs import jobs
from loyaldesk.stores.actions import account_mail, purge_expired_sessions

jobs.every(3600, name="stores.purge_expired_sessions")(purge_expired_sessions)


@jobs.every_outside(10, name="stores.send_account_mail")
def send_account_mail(database: Database) -> int:
    """Invitations and password reset links, sent outside any transaction and retried."""
    return account_mail.send_due(database, account_mail.transport_factory())
