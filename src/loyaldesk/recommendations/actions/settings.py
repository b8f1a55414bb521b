"""A store's recommendation settings: created with the store (a setup step), read through a small
per-store cache (serving reads them for every pick), changed by staff who manage the loyalty program or
the store's settings.

Stores made before recommendations existed have no row: ``recommendation_settings`` gives the defaults
then, and the first change creates the row.
"""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Invalid
from loyaldesk.recommendations.models import RecommendationSettings
from loyaldesk.recommendations.vocab import Method
from loyaldesk.stores import Permission, Store, authorize, record_audit

# Whole-number settings and their ranges.
NUMBERS = {
    "exclude_bought_days": (0, 3650),
    "stored_picks": (5, 200),
    "refit_hours": (1, 24 * 30),
}
SWITCHES = ("enabled", "in_stock_only", "widget_greeting")
CATEGORY_LISTS = ("categories", "consumable_categories")
MAX_CATEGORIES = 200
MAX_CATEGORY_LENGTH = 200
# The methods a store may weigh in the blend (the blend itself is what they add up to).
WEIGHABLE = tuple(method.value for method in Method if method is not Method.BLEND)
CACHE_SECONDS = 30.0
# Who may change them: staff who manage the loyalty program and the store (as loyalty's settings).
MANAGE_PERMISSION = Permission.MANAGE_STORE_SETTINGS


@dataclass(frozen=True)
class ServingSettings:
    """What serving needs of the settings, frozen (safe to share between requests)."""

    store_id: int
    enabled: bool
    in_stock_only: bool
    categories: tuple[str, ...]
    exclude_bought_days: int
    consumable_categories: tuple[str, ...]
    stored_picks: int
    widget_greeting: bool


def defaults(store_id: int) -> RecommendationSettings:
    return RecommendationSettings(
        store_id=store_id,
        enabled=True,
        in_stock_only=True,
        categories=[],
        exclude_bought_days=180,
        consumable_categories=[],
        weights={},
        stored_picks=40,
        refit_hours=24,
        widget_greeting=True,
    )


def create_recommendation_settings(uow: UnitOfWork, store: Store) -> None:
    """Store setup step: the new store's recommendation settings, with the defaults."""
    if uow.session.get(RecommendationSettings, store.id) is None:
        row = defaults(store.id)
        row.updated_at = uow.now()
        uow.session.add(row)


def recommendation_settings(session: Session, store_id: int) -> RecommendationSettings:
    """The store's settings (the defaults, unsaved, for a store made before recommendations)."""
    return session.get(RecommendationSettings, store_id) or defaults(store_id)


# -- the serving cache ------------------------------------------------------------------------------
# Per database engine (tests run many databases in one process), per store: (generation, expiry, value).
# A change bumps the store's generation, so this process never serves stale settings after it; other
# processes see a change within CACHE_SECONDS.
_cache: weakref.WeakKeyDictionary[Engine, dict[int, tuple[int, float, ServingSettings]]] = (
    weakref.WeakKeyDictionary()
)
_generations: dict[int, int] = {}
_lock = threading.Lock()


def _frozen(row: RecommendationSettings) -> ServingSettings:
    return ServingSettings(
        store_id=row.store_id,
        enabled=bool(row.enabled),
        in_stock_only=bool(row.in_stock_only),
        categories=tuple(row.categories or ()),
        exclude_bought_days=int(row.exclude_bought_days or 0),
        consumable_categories=tuple(row.consumable_categories or ()),
        stored_picks=int(row.stored_picks or 40),
        widget_greeting=bool(row.widget_greeting),
    )


def serving_settings(session: Session, store_id: int) -> ServingSettings:
    """The store's settings as serving reads them, cached per store for a few seconds."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    now = time.monotonic()
    generation = _generations.get(store_id, 0)
    with _lock:
        entry = _cache.get(engine, {}).get(store_id)
    if entry is not None and entry[0] == generation and entry[1] > now:
        return entry[2]
    value = _frozen(recommendation_settings(session, store_id))
    with _lock:
        _cache.setdefault(engine, {})[store_id] = (generation, now + CACHE_SECONDS, value)
    return value


def forget_settings(store_id: int) -> None:
    """Drop the cached settings of a store (after a change)."""
    with _lock:
        _generations[store_id] = _generations.get(store_id, 0) + 1


# -- changes ------------------------------------------------------------------------------------------


def _authorize(actor: Actor, store_id: int) -> None:
    """Staff who manage the store's settings (the loyalty program's permission); an API key with
    ``recommendations:write``."""
    authorize(actor, store_id, scope="recommendations:write", permission=MANAGE_PERMISSION)


def _categories(key: str, value: Any) -> list[str]:
    if not isinstance(value, list | tuple):
        raise Invalid.field(key, "a list of category names")
    cleaned: list[str] = []
    for entry in value:
        if not isinstance(entry, str) or not entry.strip() or len(entry.strip()) > MAX_CATEGORY_LENGTH:
            raise Invalid.field(key, f"category names of 1 to {MAX_CATEGORY_LENGTH} characters")
        if entry.strip() not in cleaned:
            cleaned.append(entry.strip())
    if len(cleaned) > MAX_CATEGORIES:
        raise Invalid.field(key, f"at most {MAX_CATEGORIES} categories")
    return cleaned


def _weights(value: Any) -> dict[str, float]:
    if not isinstance(value, dict):
        raise Invalid.field("weights", "an object of method → weight")
    checked: dict[str, float] = {}
    for method, weight in value.items():
        if method not in WEIGHABLE:
            raise Invalid.field("weights", f"methods are {', '.join(WEIGHABLE)}")
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 <= weight <= 10:
            raise Invalid.field("weights", "each weight a number from 0 to 10")
        checked[method] = float(weight)
    if checked and not any(checked.values()):
        raise Invalid.field("weights", "at least one weight above 0 (or none, for the defaults)")
    return checked


def update_recommendation_settings(
    uow: UnitOfWork, actor: Actor, store_id: int, changes: dict[str, Any]
) -> RecommendationSettings:
    """Change the settings; refuses an unknown field or a value out of range, naming it, and changes
    nothing then."""
    _authorize(actor, store_id)
    checked: dict[str, Any] = {}
    for key, value in changes.items():
        if key in NUMBERS:
            low, high = NUMBERS[key]
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise Invalid.field(key, f"a whole number from {low} to {high}")
        elif key in SWITCHES:
            if not isinstance(value, bool):
                raise Invalid.field(key, "true or false")
        elif key in CATEGORY_LISTS:
            value = _categories(key, value)
        elif key == "weights":
            value = _weights(value)
        else:
            raise Invalid.field(key, "not a recommendation setting")
        checked[key] = value
    row = uow.session.get(RecommendationSettings, store_id)
    if row is None:
        row = defaults(store_id)
        uow.session.add(row)
    for key, value in checked.items():
        setattr(row, key, value)
    row.updated_at = uow.now()
    record_audit(
        uow, actor, "recommendations.settings_changed", store_id=store_id, details={"fields": sorted(checked)}
    )
    forget_settings(store_id)
    uow.after_commit(lambda: forget_settings(store_id))
    return row


def record_fit_request(uow: UnitOfWork, actor: Actor, store_id: int) -> None:
    """Note in the audit log that ``actor`` asked for a fit now (checked like a settings change)."""
    _authorize(actor, store_id)
    record_audit(uow, actor, "recommendations.fit_requested", store_id=store_id, details={})
