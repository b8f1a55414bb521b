"""A store's feedback settings (the survey throttle, how long invitations take answers, detractor
conversations and their SLA, the team page's and the pulse's minimum volumes): created with the store,
changed by a manager."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from loyaldesk.feedback.models import FeedbackSettings
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Invalid
from loyaldesk.stores import Permission, Store, authorize, record_audit
from loyaldesk.support import Team

# Whole-number settings and their ranges.
NUMBERS = {
    "throttle_days": (0, 365),
    "invitation_days": (1, 180),
    "detractor_sla_hours": (1, 24 * 14),
    "team_min_answers": (1, 100),
    "pulse_min_answers": (3, 100),
}
SWITCHES = ("detractor_conversations", "recovery_survey")


def defaults(store_id: int) -> FeedbackSettings:
    return FeedbackSettings(
        store_id=store_id,
        throttle_days=30,
        invitation_days=30,
        detractor_conversations=True,
        detractor_sla_hours=48,
        detractor_team_id=None,
        recovery_survey=True,
        team_min_answers=5,
        pulse_min_answers=5,
    )


def create_feedback_settings(uow: UnitOfWork, store: Store) -> None:
    """Store setup step: the new store's feedback settings, with the defaults."""
    if uow.session.get(FeedbackSettings, store.id) is None:
        uow.session.add(defaults(store.id))


def feedback_settings(session: Session, store_id: int) -> FeedbackSettings:
    """The store's settings (the defaults, unsaved, for a bare test store made without setup steps)."""
    return session.get(FeedbackSettings, store_id) or defaults(store_id)


def update_feedback_settings(
    uow: UnitOfWork, actor: Actor, store_id: int, changes: dict[str, Any]
) -> FeedbackSettings:
    """Change the settings; refuses an unknown field or a value out of range, naming it, and changes
    nothing then. ``detractor_team_id`` must be one of the store's teams (or None)."""
    authorize(actor, store_id, scope="feedback:write", permission=Permission.MANAGE_FEEDBACK)
    checked: dict[str, Any] = {}
    for key, value in changes.items():
        if key in NUMBERS:
            low, high = NUMBERS[key]
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise Invalid.field(key, f"a whole number from {low} to {high}")
        elif key in SWITCHES:
            if not isinstance(value, bool):
                raise Invalid.field(key, "true or false")
        elif key == "detractor_team_id":
            if value is not None:
                team = uow.session.get(Team, value) if isinstance(value, int) else None
                if team is None or team.store_id != store_id:
                    raise Invalid.field(key, "one of this store's teams, or none")
        else:
            raise Invalid.field(key, "not a feedback setting")
        checked[key] = value
    row = uow.session.get(FeedbackSettings, store_id)
    if row is None:
        row = defaults(store_id)
        uow.session.add(row)
    for key, value in checked.items():
        setattr(row, key, value)
    row.updated_at = uow.now()
    record_audit(
        uow, actor, "feedback.settings_changed", store_id=store_id, details={"fields": sorted(checked)}
    )
    return row
