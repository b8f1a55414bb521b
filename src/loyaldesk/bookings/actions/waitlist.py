"""The waitlist: joining, leaving, being offered a freed seat and accepting it (first wins)."""

from __future__ import annotations

from datetime import datetime

from loyaldesk.kernel.db import UnitOfWork


def join_waitlist(
    uow: UnitOfWork,
    *,
    store_id: int,
    customer_id: int,
    session_type_id: int,
    wanted_from: datetime,
    wanted_until: datetime,
) -> int:
    raise NotImplementedError


def leave_waitlist(uow: UnitOfWork, *, store_id: int, customer_id: int, entry_id: int) -> None:
    raise NotImplementedError


def accept_waitlist_offer(uow: UnitOfWork, *, store_id: int, customer_id: int, entry_id: int) -> int:
    raise NotImplementedError
