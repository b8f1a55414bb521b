"""Telling a staff member's live connections that their access changed.

When a session ends (logout, password change or reset) or a membership changes (removed from a store,
new role), the action announces it on the person's broker channel once its transaction commits. Open
console sockets listen there, in every process (the broker is Redis when configured), and re-check their
session and access in the database, which stays the only authority: the notice says *look again*, never
*you are out*, so a notice that is lost or late is made up for by the socket's periodic re-check.
"""

from __future__ import annotations

import json

from loyaldesk.kernel.db import UnitOfWork


def staff_access_channel(staff_id: int) -> str:
    """The broker channel of one staff member's access notices."""
    return f"staff:{staff_id}:access"


def announce_access_change(
    uow: UnitOfWork,
    staff_id: int,
    reason: str,
    *,
    store_id: int | None = None,
    session_id: int | None = None,
) -> None:
    """After commit, tell ``staff_id``'s open connections to re-check (``reason`` is for logs and tests)."""
    notice = {"type": "access_changed", "reason": reason, "store_id": store_id, "session_id": session_id}
    uow.announce(staff_access_channel(staff_id), json.dumps(notice))
