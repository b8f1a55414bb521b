"""A store's messaging settings (caps, quiet hours, sender, brand): created with the store, changed by a
manager."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from loyaldesk.journeys.models import StoreMessaging
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Invalid
from loyaldesk.stores import Permission, Store, authorize, record_audit

EDITABLE = {
    "min_gap_hours": (0, 24 * 7),
    "per_week": (0, 50),
    "quiet_start_hour": (0, 23),
    "quiet_end_hour": (0, 23),
    "max_defer_hours": (1, 24 * 14),
}


def create_messaging_settings(uow: UnitOfWork, store: Store) -> None:
    """Store setup step: the new store's messaging settings, with the defaults."""
    if uow.session.get(StoreMessaging, store.id) is None:
        uow.session.add(defaults(store.id, store.name))


def defaults(store_id: int, store_name: str = "") -> StoreMessaging:
    return StoreMessaging(
        store_id=store_id,
        min_gap_hours=16,
        per_week=3,
        per_channel_per_week={},
        quiet_start_hour=21,
        quiet_end_hour=9,
        respect_holidays=True,
        max_defer_hours=72,
        sender_name=store_name,
        sender_email="",
        brand_color="#1f5fbf",
        logo_url="",
        postal_address="",
    )


def messaging_settings(session: Session, store_id: int) -> StoreMessaging:
    """The store's settings (the defaults, unsaved, for a bare test store made without setup steps)."""
    return session.get(StoreMessaging, store_id) or defaults(store_id)


def update_messaging_settings(
    uow: UnitOfWork, actor: Actor, store_id: int, changes: dict[str, Any]
) -> StoreMessaging:
    """Change the settings; refuses an unknown field or a value out of range, naming it."""
    authorize(actor, store_id, scope="journeys:write", permission=Permission.MANAGE_JOURNEYS)
    row = uow.session.get(StoreMessaging, store_id)
    if row is None:
        row = defaults(store_id)
        uow.session.add(row)
    for key, value in changes.items():
        if key in EDITABLE:
            low, high = EDITABLE[key]
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise Invalid.field(key, f"a whole number from {low} to {high}")
        elif key == "respect_holidays":
            value = bool(value)
        elif key == "brand_color":
            if not (isinstance(value, str) and len(value) == 7 and value.startswith("#")):
                raise Invalid.field("brand_color", "a colour like #1f5fbf")
        elif key in ("sender_name", "sender_email", "logo_url", "postal_address"):
            value = str(value or "").strip()
        elif key == "per_channel_per_week":
            if not isinstance(value, dict):
                raise Invalid.field("per_channel_per_week", "a number per channel")
        else:
            raise Invalid.field(key, "not a messaging setting")
        setattr(row, key, value)
    row.updated_at = uow.now()
    record_audit(
        uow, actor, "journeys.settings_changed", store_id=store_id, details={"fields": sorted(changes)}
    )
    return row
