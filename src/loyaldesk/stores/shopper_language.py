"""The store's default language for shoppers: what its member page, rating page, chat widget and mail to
shoppers read in when a shopper's own profile names no language (kernel.i18n says the whole order)."""

from __future__ import annotations

from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Invalid, NotFound, PermissionDenied
from loyaldesk.kernel.i18n import LANGUAGES, shipped_language
from loyaldesk.stores.models import Store
from loyaldesk.stores.rules import Permission, has_permission


def check_default_language(language: str | None) -> str | None:
    """``language`` as a shipped language code (``de-AT`` → ``de``), None for none; ``Invalid`` naming the
    field ``default_language`` for a language loyaldesk does not ship."""
    if language is None or not language.strip():
        return None
    shipped = shipped_language(language)
    if shipped is None:
        raise Invalid.field(
            "default_language", f"{language!r} is not one of the shipped languages ({', '.join(LANGUAGES)})"
        )
    return shipped


def set_default_language(uow: UnitOfWork, actor: Actor, store_id: int, language: str | None) -> Store:
    """Set (or, with None, clear) the store's default language for shoppers; audited."""
    from loyaldesk.stores.actions import record_audit

    allowed = actor.kind == "system" and actor.store_id in (None, store_id)
    if not allowed and not (
        actor.kind == "staff"
        and actor.store_id == store_id
        and has_permission(actor.role or "", Permission.MANAGE_STORE_SETTINGS)
    ):
        raise PermissionDenied("your role may not manage store settings")
    store = uow.session.get(Store, store_id)
    if store is None:
        raise NotFound(f"no store {store_id}")
    store.default_language = check_default_language(language)
    record_audit(
        uow,
        actor,
        "store.default_language_set",
        store_id=store_id,
        target_type="store",
        target_id=store_id,
        details={"default_language": store.default_language},
    )
    return store
