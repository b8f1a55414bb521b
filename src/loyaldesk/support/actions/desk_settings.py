"""The support desk's settings per store: routing, priorities, widget look and CSAT.

A store's settings are created with the store (``create_desk_settings``, a store setup step that the
composition root registers; migration 0013 created them for the stores that existed before), so pages
read them in a read session (``queries.settings_of``) and never write.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.email_address import normalise_email
from loyaldesk.kernel.errors import FieldProblem, Invalid
from loyaldesk.kernel.row_cache import RowCache
from loyaldesk.stores import Permission, Role, Store, authorize, record_audit
from loyaldesk.support import rules
from loyaldesk.support.models import SupportSettings
from loyaldesk.support.widget_origins import allowed_origin_problems, normalise_origin


def create_desk_settings(uow: UnitOfWork, store: Store) -> None:
    """Store setup step: the new store's desk settings, with the defaults."""
    if uow.session.scalar(select(SupportSettings.id).where(SupportSettings.store_id == store.id)) is None:
        uow.session.add(default_settings(store.id))


def settings_for(uow: UnitOfWork, store_id: int) -> SupportSettings:
    """The store's desk settings, for an action that reads or changes them (created with defaults for a
    store made without its setup steps, as bare test fixtures are)."""
    found = uow.session.scalar(select(SupportSettings).where(SupportSettings.store_id == store_id))
    if found is None:
        found = default_settings(store_id)
        uow.session.add(found)
        uow.session.flush()
    return found


@dataclass(frozen=True)
class DeskFacts:
    """What of a store's desk settings every new conversation reads: its priority (tiers, high value,
    channels) and its routing (auto-assign, method, default capacity)."""

    tier_priorities: dict[str, Any]
    high_value_threshold_minor: int | None
    channel_priorities: dict[str, Any]
    auto_assign: bool
    routing_method: str
    default_capacity: int


# The desk facts per database and store, kept ``DESK_FACTS_SECONDS`` and forgotten at once by any change of
# desk settings in this process (kernel.row_cache); another process's change is seen within that time.
DESK_FACTS_SECONDS = 5.0
_facts: RowCache[DeskFacts] = RowCache("desk_facts", [SupportSettings], seconds=DESK_FACTS_SECONDS)


def forget_desk_facts() -> None:
    """Drop the cached desk facts of every store."""
    _facts.forget()


def desk_facts(uow: UnitOfWork, store_id: int) -> DeskFacts:
    """The store's ``DeskFacts`` (cached, see ``DESK_FACTS_SECONDS``; never what this transaction changed
    for other transactions)."""
    cached = _facts.get(uow.session, store_id)
    if cached is not None:
        return cached
    settings = settings_for(uow, store_id)
    found = DeskFacts(
        dict(settings.tier_priorities or {}),
        settings.high_value_threshold_minor,
        dict(settings.channel_priorities or {}),
        bool(settings.auto_assign),
        settings.routing_method,
        settings.default_capacity,
    )
    _facts.put(uow.session, store_id, found)
    return found


def default_settings(store_id: int) -> SupportSettings:
    return SupportSettings(
        store_id=store_id,
        auto_assign=True,
        routing_method=rules.RoutingMethod.LEAST_LOAD.value,
        default_capacity=5,
        tier_priorities={},
        high_value_threshold_minor=None,
        channel_priorities={},
        widget_title="Chat with us",
        widget_greeting="Hi! How can we help?",
        widget_accent="#1f5fbf",
        csat_enabled=True,
        widget_allowed_origins=[],
        goodwill_budgets=dict(DEFAULT_GOODWILL_BUDGETS),
        recovery_enabled=False,
        recovery_points=0,
        return_window_days=30,
    )


# Points per calendar month; a role not named gives none; None: no limit.
DEFAULT_GOODWILL_BUDGETS = {"agent": 500, "admin": 2000, "owner": None}


# What ``update_settings`` may change (never the store it belongs to).
SETTING_FIELDS = frozenset(
    {
        "auto_assign",
        "routing_method",
        "default_capacity",
        "tier_priorities",
        "high_value_threshold_minor",
        "channel_priorities",
        "widget_title",
        "widget_greeting",
        "widget_accent",
        "csat_enabled",
        "widget_allowed_origins",
        "support_email",
        "goodwill_budgets",
        "recovery_enabled",
        "recovery_points",
        "imap_host",
        "imap_port",
        "imap_ssl",
        "imap_username",
        "imap_password",
        "imap_folder",
        "return_window_days",
        "shipping_info",
    }
)


# Never written to the audit log.
SECRET_FIELDS = frozenset({"imap_password"})


def update_settings(uow: UnitOfWork, actor: Actor, store_id: int, changes: dict[str, Any]) -> SupportSettings:
    """Change the desk settings (fields of ``SupportSettings``), each checked (allowed origins are
    http(s) origins, stored as browsers send them; the support address is normalised); audited."""
    authorize(actor, store_id, scope="conversations:write", permission=Permission.MANAGE_SUPPORT)
    settings = settings_for(uow, store_id)
    problems: list[FieldProblem] = [
        FieldProblem(key, "is not a support setting") for key in changes if key not in SETTING_FIELDS
    ]
    if "routing_method" in changes and changes["routing_method"] not in set(rules.RoutingMethod):
        problems.append(FieldProblem("routing_method", "must be round_robin or least_load"))
    if "default_capacity" in changes and not 0 <= int(changes["default_capacity"]) <= 100:
        problems.append(FieldProblem("default_capacity", "must be between 0 and 100"))
    for tier, priority in dict(changes.get("tier_priorities") or {}).items():
        if priority not in rules.PRIORITIES:
            problems.append(FieldProblem(f"tier_priorities.{tier}", "must be low, normal, high or urgent"))
    for role, budget in dict(changes.get("goodwill_budgets") or {}).items():
        if role not in set(Role) or not (
            budget is None or (isinstance(budget, int) and 0 <= budget <= 10**7)
        ):
            problems.append(
                FieldProblem(f"goodwill_budgets.{role}", "a known role with 0 or more points, or no limit")
            )
    changes = dict(changes)
    if "widget_allowed_origins" in changes:
        origins = [str(origin).strip() for origin in changes["widget_allowed_origins"] or []]
        origins = [origin for origin in origins if origin]
        if origin_problems := allowed_origin_problems(origins):
            problems.extend(origin_problems)
        else:  # stored as browsers send them: lower case, no default port, no trailing slash
            normalised = [normalise_origin(origin) or origin for origin in origins]
            changes["widget_allowed_origins"] = list(dict.fromkeys(normalised))
    for channel, priority in dict(changes.get("channel_priorities") or {}).items():
        if channel not in rules.CHANNELS or priority not in rules.PRIORITIES:
            problems.append(
                FieldProblem(f"channel_priorities.{channel}", "a channel with low, normal, high or urgent")
            )
    if changes.get("support_email") is not None:
        try:
            changes["support_email"] = normalise_email(str(changes["support_email"]))
        except ValueError as error:
            problems.append(FieldProblem("support_email", str(error)))
    if "imap_port" in changes and not 1 <= int(changes["imap_port"]) <= 65535:
        problems.append(FieldProblem("imap_port", "between 1 and 65535"))
    if "recovery_points" in changes and not 0 <= int(changes["recovery_points"]) <= 100_000:
        problems.append(FieldProblem("recovery_points", "between 0 and 100,000"))
    if "return_window_days" in changes and not 0 <= int(changes["return_window_days"]) <= 365:
        problems.append(FieldProblem("return_window_days", "between 0 and 365 days"))
    if changes.get("shipping_info") is not None and len(str(changes["shipping_info"])) > 4000:
        problems.append(FieldProblem("shipping_info", "at most 4,000 characters"))
    if problems:
        raise Invalid("the support settings are not valid", problems)
    for key, value in changes.items():
        setattr(settings, key, value)
    shown = {key: ("(changed)" if key in SECRET_FIELDS else value) for key, value in changes.items()}
    record_audit(uow, actor, "support.settings_changed", store_id=store_id, details=shown)
    uow.session.flush()  # forgets the cached ``desk_facts`` now, for the rest of this transaction too
    return settings
