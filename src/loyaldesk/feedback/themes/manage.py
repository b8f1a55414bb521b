"""A manager's changes to the store's themes: a new theme (``create_theme``), and a theme's name,
description, owning team or switch (``update_theme``). Both need ``Permission.MANAGE_FEEDBACK`` or the
``feedback:write`` scope, refuse bad values naming the field (changing nothing), write an audit row,
and ask for a retraining (the model trains for the enabled themes)."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from sqlalchemy import select

from loyaldesk.feedback.models import Theme
from loyaldesk.feedback.themes.defaults import ensure_default_themes
from loyaldesk.feedback.themes.training import request_theme_retraining
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict, Invalid, NotFound
from loyaldesk.stores import Permission, authorize, record_audit
from loyaldesk.support import Team

NAME_LIMIT = 100
DESCRIPTION_LIMIT = 500
MAX_THEMES = 60


def theme_key(name: str) -> str:
    """The key a theme named ``name`` gets: lower-case ASCII words joined by ``_`` (``Gift wrap`` ->
    ``gift_wrap``)."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", plain.lower()).strip("_")[:64]


def _clean_name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid.field("name", "give the theme a name")
    name = " ".join(value.split())
    if len(name) > NAME_LIMIT:
        raise Invalid.field("name", f"at most {NAME_LIMIT} characters")
    return name


def _check_team(uow: UnitOfWork, store_id: int, value: Any) -> int | None:
    if value is None:
        return None
    team = uow.session.get(Team, value) if isinstance(value, int) and not isinstance(value, bool) else None
    if team is None or team.store_id != store_id:
        raise Invalid.field("owner_team_id", "one of this store's teams, or none")
    return int(value)


def _clean_description(value: Any) -> str:
    if not isinstance(value, str) or len(value) > DESCRIPTION_LIMIT:
        raise Invalid.field("description", f"text of at most {DESCRIPTION_LIMIT} characters")
    return value.strip()


def create_theme(
    uow: UnitOfWork,
    actor: Actor,
    store_id: int,
    *,
    name: str,
    description: str = "",
    owner_team_id: int | None = None,
) -> Theme:
    """A theme of the store's own. Its key comes from its name; ``Conflict`` when the store has a theme
    of that name (or key) already. It is predicted once enough answers are labelled with it."""
    authorize(actor, store_id, scope="feedback:write", permission=Permission.MANAGE_FEEDBACK)
    clean = _clean_name(name)
    key = theme_key(clean)
    if not key:
        raise Invalid.field("name", "use at least one letter or digit")
    text = _clean_description(description)
    team_id = _check_team(uow, store_id, owner_team_id)
    ensure_default_themes(uow, store_id)
    themes = list(uow.session.scalars(select(Theme).where(Theme.store_id == store_id)))
    if any(theme.key == key or theme.name.lower() == clean.lower() for theme in themes):
        raise Conflict(f"the store has a theme called {clean!r} already")
    if len(themes) >= MAX_THEMES:
        raise Conflict(f"a store has at most {MAX_THEMES} themes")
    theme = Theme(
        store_id=store_id,
        key=key,
        name=clean,
        description=text,
        owner_team_id=team_id,
        builtin=False,
        enabled=True,
        created_at=uow.now(),
    )
    uow.session.add(theme)
    uow.session.flush()
    record_audit(
        uow,
        actor,
        "feedback.theme_created",
        store_id=store_id,
        target_type="feedback_theme",
        target_id=theme.id,
    )
    return theme


UPDATABLE = ("name", "description", "owner_team_id", "enabled")


def update_theme(
    uow: UnitOfWork, actor: Actor, store_id: int, theme_id: int, changes: dict[str, Any]
) -> Theme:
    """Change a theme's ``name``, ``description``, ``owner_team_id`` (a team of the store, or None) or
    ``enabled``. ``NotFound`` for a theme of another store; an unknown field is refused by name."""
    authorize(actor, store_id, scope="feedback:write", permission=Permission.MANAGE_FEEDBACK)
    theme = uow.session.get(Theme, theme_id)
    if theme is None or theme.store_id != store_id:
        raise NotFound("no such theme")
    checked: dict[str, Any] = {}
    for field, value in changes.items():
        if field == "name":
            checked[field] = _clean_name(value)
            clash = uow.session.scalar(
                select(Theme.id).where(
                    Theme.store_id == store_id, Theme.id != theme_id, Theme.name == checked[field]
                )
            )
            if clash is not None:
                raise Conflict(f"the store has a theme called {checked[field]!r} already")
        elif field == "description":
            checked[field] = _clean_description(value)
        elif field == "owner_team_id":
            checked[field] = _check_team(uow, store_id, value)
        elif field == "enabled":
            if not isinstance(value, bool):
                raise Invalid.field("enabled", "true or false")
            checked[field] = value
        else:
            raise Invalid.field(field, "not a theme setting (name, description, owner_team_id, enabled)")
    switched = "enabled" in checked and checked["enabled"] != theme.enabled
    for field, value in checked.items():
        setattr(theme, field, value)
    if switched:
        request_theme_retraining(uow, store_id)
    record_audit(
        uow,
        actor,
        "feedback.theme_changed",
        store_id=store_id,
        target_type="feedback_theme",
        target_id=theme_id,
        details={"fields": sorted(checked)},
    )
    return theme
