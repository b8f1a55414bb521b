"""Managing SLA policies and business calendars (admins): each change validated, audited, and applied to
the open conversations it concerns at once, so due times in the inbox are never stale."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict, FieldProblem, Invalid, NotFound
from loyaldesk.stores import Permission, authorize, record_audit
from loyaldesk.support import rules
from loyaldesk.support.actions import sla
from loyaldesk.support.actions.routing import is_desk_member
from loyaldesk.support.models import BusinessCalendarRow, Conversation, SlaPolicy, Team
from loyaldesk.support.rules import CHANNELS

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MAX_TARGET_MINUTES = 60 * 24 * 90
OPEN_STATUSES = ("open", "pending", "snoozed")


def _name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > 80:
        raise Invalid("a name is needed", [FieldProblem("name", "1 to 80 characters")])
    return cleaned


def _refresh_open(uow: UnitOfWork, store_id: int) -> None:
    """Apply the store's current policies to its conversations that are not resolved."""
    for conversation in uow.session.scalars(
        select(Conversation).where(Conversation.store_id == store_id, Conversation.status.in_(OPEN_STATUSES))
    ):
        sla.refresh(uow, conversation)


def save_calendar(
    uow: UnitOfWork,
    actor: Actor,
    store_id: int,
    *,
    name: str,
    time_zone: str,
    weekly_hours: list[str],
    holidays: list[str],
    calendar_id: int | None = None,
) -> BusinessCalendarRow:
    """Create or change a business calendar: seven days of ``"09:00-12:00, 13:00-17:00"`` (empty:
    closed), ISO holiday dates, an IANA time zone."""
    authorize(actor, store_id, scope="conversations:write", permission=Permission.MANAGE_SUPPORT)
    problems: list[FieldProblem] = []
    cleaned_name = _name(name)
    days = [" ".join((text or "").split()) for text in weekly_hours] + [""] * (7 - len(weekly_hours))
    dates: list[str] = []
    for line in holidays:
        if line.strip():
            try:
                dates.append(date.fromisoformat(line.strip()).isoformat())
            except ValueError:
                problems.append(FieldProblem("holidays", f"{line.strip()!r} is not a date like 2026-12-25"))
    row = BusinessCalendarRow(
        store_id=store_id,
        name=cleaned_name,
        time_zone=time_zone.strip(),
        weekly_hours=days[:7],
        holidays=dates,
    )
    if not problems:
        try:
            sla.calendar_of(row)
        except ValueError as error:
            field = "time_zone" if "time zone" in str(error) else "weekly_hours"
            problems.append(FieldProblem(field, str(error)))
    if problems:
        raise Invalid("the business hours are not valid", problems)
    clash = uow.session.scalar(
        select(BusinessCalendarRow.id).where(
            BusinessCalendarRow.store_id == store_id,
            BusinessCalendarRow.name == cleaned_name,
            BusinessCalendarRow.id != (calendar_id or 0),
        )
    )
    if clash is not None:
        raise Conflict(f"business hours called {cleaned_name!r} exist already")
    if calendar_id is not None:
        found = uow.session.get(BusinessCalendarRow, calendar_id)
        if found is None or found.store_id != store_id:
            raise NotFound("no such business hours")
        found.name, found.time_zone = row.name, row.time_zone
        found.weekly_hours, found.holidays = row.weekly_hours, row.holidays
        row = found
    else:
        uow.session.add(row)
    uow.session.flush()
    record_audit(
        uow, actor, "support.calendar_saved", store_id=store_id, target_type="calendar", target_id=row.id
    )
    _refresh_open(uow, store_id)
    return row


def save_policy(
    uow: UnitOfWork,
    actor: Actor,
    store_id: int,
    *,
    name: str,
    position: int = 0,
    active: bool = True,
    conditions: dict[str, list[Any]] | None = None,
    first_response_minutes: int | None = None,
    next_response_minutes: int | None = None,
    resolution_minutes: int | None = None,
    warn_before_percent: int = 25,
    calendar_id: int | None = None,
    escalation: dict[str, Any] | None = None,
    policy_id: int | None = None,
) -> SlaPolicy:
    """Create or change an SLA policy; see ``SlaPolicy`` for the fields. Targets are minutes of business
    time (at least one); conditions name known channels, priorities and this store's teams."""
    authorize(actor, store_id, scope="conversations:write", permission=Permission.MANAGE_SUPPORT)
    problems: list[FieldProblem] = []
    cleaned_name = _name(name)
    targets = {
        "first_response_minutes": first_response_minutes,
        "next_response_minutes": next_response_minutes,
        "resolution_minutes": resolution_minutes,
    }
    for field, value in targets.items():
        if value is not None and not 1 <= value <= MAX_TARGET_MINUTES:
            problems.append(FieldProblem(field, f"between 1 and {MAX_TARGET_MINUTES} minutes, or empty"))
    if all(value is None for value in targets.values()):
        problems.append(FieldProblem("first_response_minutes", "give at least one target"))
    if not 0 <= warn_before_percent <= 90:
        problems.append(FieldProblem("warn_before_percent", "between 0 and 90"))
    given = {key: list(value or []) for key, value in (conditions or {}).items() if value}
    for key in given:
        if key not in sla.CONDITION_KEYS:
            problems.append(FieldProblem(f"conditions.{key}", "is not a condition"))
    if bad := [c for c in given.get("channels", []) if c not in CHANNELS]:
        problems.append(FieldProblem("conditions.channels", f"unknown channels {bad}"))
    if bad := [p for p in given.get("priorities", []) if p not in rules.PRIORITIES]:
        problems.append(FieldProblem("conditions.priorities", f"unknown priorities {bad}"))
    store_teams = set(uow.session.scalars(select(Team.id).where(Team.store_id == store_id)))
    if bad := [t for t in given.get("team_ids", []) if t not in store_teams]:
        problems.append(FieldProblem("conditions.team_ids", f"not teams of this store: {bad}"))
    steps = dict(escalation or {})
    if steps.get("raise_priority") not in (None, "", *rules.PRIORITIES):
        problems.append(FieldProblem("escalation.raise_priority", "low, normal, high, urgent or empty"))
    if steps.get("team_id") not in (None, *store_teams):
        problems.append(FieldProblem("escalation.team_id", "is not a team of this store"))
    if calendar_id is not None:
        calendar = uow.session.get(BusinessCalendarRow, calendar_id)
        if calendar is None or calendar.store_id != store_id:
            problems.append(FieldProblem("calendar_id", "is not business hours of this store"))
    if problems:
        raise Invalid("the SLA policy is not valid", problems)
    if policy_id is None:
        policy = SlaPolicy(store_id=store_id, created_at=uow.now())
        uow.session.add(policy)
    else:
        found = uow.session.get(SlaPolicy, policy_id)
        if found is None or found.store_id != store_id:
            raise NotFound("no such SLA policy")
        policy = found
    policy.name, policy.position, policy.active = cleaned_name, position, active
    policy.conditions = given
    policy.first_response_minutes = first_response_minutes
    policy.next_response_minutes = next_response_minutes
    policy.resolution_minutes = resolution_minutes
    policy.warn_before_percent = warn_before_percent
    policy.calendar_id = calendar_id
    policy.escalation = {
        "raise_priority": steps.get("raise_priority") or None,
        "team_id": steps.get("team_id"),
        "notify_lead": bool(steps.get("notify_lead")),
    }
    uow.session.flush()
    record_audit(
        uow,
        actor,
        "support.sla_policy_saved",
        store_id=store_id,
        target_type="sla_policy",
        target_id=policy.id,
    )
    _refresh_open(uow, store_id)
    return policy


def delete_policy(uow: UnitOfWork, actor: Actor, store_id: int, policy_id: int) -> None:
    authorize(actor, store_id, scope="conversations:write", permission=Permission.MANAGE_SUPPORT)
    policy = uow.session.get(SlaPolicy, policy_id)
    if policy is None or policy.store_id != store_id:
        raise NotFound("no such SLA policy")
    uow.session.delete(policy)
    uow.session.flush()
    record_audit(
        uow,
        actor,
        "support.sla_policy_deleted",
        store_id=store_id,
        target_type="sla_policy",
        target_id=policy_id,
    )
    _refresh_open(uow, store_id)


def set_team_lead(uow: UnitOfWork, actor: Actor, store_id: int, team_id: int, lead_id: int | None) -> None:
    """Who hears about SLA breaches of the team's conversations (an agent of the store, or nobody)."""
    authorize(actor, store_id, scope="conversations:write", permission=Permission.MANAGE_SUPPORT)
    team = uow.session.get(Team, team_id)
    if team is None or team.store_id != store_id:
        raise NotFound("no such team")
    if lead_id is not None and not is_desk_member(uow, store_id, lead_id):
        raise Invalid("not an agent here", [FieldProblem("lead_id", "is not an agent of this store")])
    team.lead_id = lead_id
    record_audit(
        uow,
        actor,
        "support.team_lead_set",
        store_id=store_id,
        target_type="team",
        target_id=team_id,
        details={"lead_id": lead_id},
    )
