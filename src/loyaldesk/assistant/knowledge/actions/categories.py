"""Article categories: create, change, delete (their articles stay, without a category)."""

from __future__ import annotations

from sqlalchemy import func, select

from loyaldesk.assistant.knowledge.models import ArticleCategory
from loyaldesk.assistant.knowledge.rules import check_category
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict, NotFound
from loyaldesk.stores import Permission, authorize, record_audit

WRITE_SCOPE = "knowledge:write"


def save_category(
    uow: UnitOfWork,
    actor: Actor,
    store_id: int,
    *,
    name: str,
    slug: str = "",
    position: int | None = None,
    category_id: int | None = None,
) -> ArticleCategory:
    """Create a category (``category_id`` None; placed last unless ``position`` says) or change one.
    ``Conflict`` naming the slug when another category of the store has it."""
    authorize(actor, store_id, scope=WRITE_SCOPE, permission=Permission.MANAGE_KNOWLEDGE)
    name, slug = check_category(name, slug)
    clash = uow.session.scalar(
        select(ArticleCategory).where(ArticleCategory.store_id == store_id, ArticleCategory.slug == slug)
    )
    if category_id is None:
        if clash is not None:
            raise Conflict(f"a category with the address {slug} exists already")
        if position is None:
            last = uow.session.scalar(
                select(func.max(ArticleCategory.position)).where(ArticleCategory.store_id == store_id)
            )
            position = (last or 0) + 1
        category = ArticleCategory(
            store_id=store_id, name=name, slug=slug, position=position, created_at=uow.now()
        )
        uow.session.add(category)
    else:
        found = uow.session.get(ArticleCategory, category_id)
        if found is None or found.store_id != store_id:
            raise NotFound("no such category")
        if clash is not None and clash.id != category_id:
            raise Conflict(f"a category with the address {slug} exists already")
        category = found
        category.name, category.slug = name, slug
        if position is not None:
            category.position = position
    uow.session.flush()
    record_audit(
        uow,
        actor,
        "knowledge.category_saved",
        store_id=store_id,
        target_type="category",
        target_id=category.id,
    )
    return category


def delete_category(uow: UnitOfWork, actor: Actor, store_id: int, category_id: int) -> None:
    authorize(actor, store_id, scope=WRITE_SCOPE, permission=Permission.MANAGE_KNOWLEDGE)
    category = uow.session.get(ArticleCategory, category_id)
    if category is None or category.store_id != store_id:
        raise NotFound("no such category")
    from loyaldesk.assistant.knowledge.models import Article

    for article in uow.session.scalars(select(Article).where(Article.category_id == category_id)):
        article.category_id = None  # SQLite without foreign keys enforced does not do SET NULL
    uow.session.delete(category)
    record_audit(
        uow,
        actor,
        "knowledge.category_deleted",
        store_id=store_id,
        target_type="category",
        target_id=category_id,
    )
