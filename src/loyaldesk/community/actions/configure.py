"""The community's configuration by staff (``Permission.MANAGE_SUPPORT``): its settings and its
categories. Each change writes an audit row. (Spaces are created on first use: ``common.ensure_space``.)"""

from __future__ import annotations

from sqlalchemy import select

from loyaldesk.community.actions.common import staff
from loyaldesk.community.models import Category, CommunitySettings
from loyaldesk.community.rules.words import slugify
from loyaldesk.community.schemas import CategoryIn, CommunitySettingsIn
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict, Invalid, NotFound
from loyaldesk.stores import Permission, StoreMembership, record_audit


def save_community_settings(
    uow: UnitOfWork, *, store_id: int, actor: Actor, settings_in: CommunitySettingsIn
) -> None:
    """Replace the store's community settings with ``settings_in`` (validated by its model: banned words
    lower-cased and de-duplicated, milestones sorted)."""
    staff(actor, store_id, Permission.MANAGE_SUPPORT)
    now = uow.now()
    row = uow.session.get(CommunitySettings, store_id)
    if row is None:
        row = CommunitySettings(store_id=store_id, created_at=now)
        uow.session.add(row)
    for name, value in settings_in.model_dump().items():
        setattr(row, name, value)
    row.updated_at = now
    uow.session.flush()
    record_audit(
        uow,
        actor,
        "community.settings_saved",
        store_id=store_id,
        target_type="store",
        target_id=store_id,
        details=settings_in.model_dump(exclude={"banned_words"}),
    )


def save_category(
    uow: UnitOfWork, *, store_id: int, actor: Actor, category_in: CategoryIn, category_id: int | None = None
) -> int:
    """Create a category (``category_id`` None) or change one; returns its id. The slug is made from the
    name when empty. Refused: ``Invalid`` on ``name``/``slug``/``owner_staff_ids`` (staff not of the
    store), ``Conflict`` when another category has the slug, ``NotFound``."""
    staff(actor, store_id, Permission.MANAGE_SUPPORT)
    name = " ".join(category_in.name.split())
    if not name:
        raise Invalid.field("name", "is required")
    slug = slugify(category_in.slug or name, max_length=120)
    if not slug:
        raise Invalid.field("slug", "needs at least one letter or digit")
    owners = sorted(set(category_in.owner_staff_ids))
    if owners:
        members = set(
            uow.session.scalars(
                select(StoreMembership.staff_id).where(
                    StoreMembership.store_id == store_id, StoreMembership.staff_id.in_(owners)
                )
            )
        )
        strangers = [owner for owner in owners if owner not in members]
        if strangers:
            raise Invalid.field("owner_staff_ids", f"not staff of this store: {strangers}")
    clash = uow.session.scalar(
        select(Category.id).where(Category.store_id == store_id, Category.slug == slug)
    )
    now = uow.now()
    if category_id is None:
        if clash is not None:
            raise Conflict(f"a category with the address {slug} exists already")
        category = Category(store_id=store_id, created_at=now)
        uow.session.add(category)
    else:
        found = uow.session.get(Category, category_id)
        if found is None or found.store_id != store_id:
            raise NotFound("no such category")
        if clash is not None and clash != category_id:
            raise Conflict(f"a category with the address {slug} exists already")
        category = found
    category.name, category.slug = name, slug
    category.description = category_in.description.strip()
    category.owner_staff_ids = owners
    category.position = category_in.position
    category.updated_at = now
    uow.session.flush()
    record_audit(
        uow,
        actor,
        "community.category_saved",
        store_id=store_id,
        target_type="community_category",
        target_id=category.id,
    )
    return int(category.id)
