"""The community's configuration: spaces (on first use), settings and categories."""

from __future__ import annotations

from loyaldesk.community.schemas import CategoryIn, CommunitySettingsIn
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork


def save_community_settings(
    uow: UnitOfWork, *, store_id: int, actor: Actor, settings_in: CommunitySettingsIn
) -> None:
    """Save the store's community settings."""
    raise NotImplementedError


def save_category(
    uow: UnitOfWork, *, store_id: int, actor: Actor, category_in: CategoryIn, category_id: int | None = None
) -> int:
    """Create or change a category; returns its id."""
    raise NotImplementedError
