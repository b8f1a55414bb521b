"""After a session: who came."""

from __future__ import annotations

from loyaldesk.kernel.db import UnitOfWork


def mark_attendance(uow: UnitOfWork, *, store_id: int, actor_id: int, seat_id: int, attended: bool) -> None:
    raise NotImplementedError
