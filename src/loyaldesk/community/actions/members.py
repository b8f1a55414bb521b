"""A member's community profile: their display name."""

from __future__ import annotations

from loyaldesk.kernel.db import UnitOfWork


def set_display_name(uow: UnitOfWork, *, store_id: int, customer_id: int, display_name: str | None) -> None:
    """Choose a display name (None or empty: back to the default)."""
    raise NotImplementedError
