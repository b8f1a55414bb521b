"""The SLA page (admins): business hours and SLA policies, and the team leads told of breaches."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from loyaldesk.kernel.errors import FieldProblem, Invalid
from loyaldesk.stores import Permission
from loyaldesk.support import CHANNELS, PRIORITIES, BusinessCalendarRow, SlaPolicy, queries
from loyaldesk.support.actions import sla_settings
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import Console, ConsoleDep
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)


def _back(console: Console, notice: str, page: str = "sla") -> RedirectResponse:
    return RedirectResponse(
        f"/console/{console.store.slug}/inbox-settings/{page}?notice={quote(notice)}", status_code=303
    )


def _minutes(form: Any, field: str) -> int | None:
    text = str(form.get(field) or "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise Invalid("not a number", [FieldProblem(field, "a whole number of minutes, or empty")]) from None


def _ids(values: list[Any], field: str) -> list[int]:
    try:
        return [int(str(value)) for value in values if str(value).strip()]
    except ValueError:
        raise Invalid("not a number", [FieldProblem(field, "must be ids")]) from None


def _words(text: str) -> list[str]:
    return [word.strip() for word in text.split(",") if word.strip()]


@router.get("/console/{store_slug}/inbox-settings/sla", response_class=HTMLResponse)
def sla_page(
    request: Request, runtime: RuntimeDep, console: ConsoleDep, notice: str | None = None
) -> Response:
    console.require(Permission.MANAGE_SUPPORT)
    with runtime.database.read() as session:
        store_id = console.store.id
        context = {
            "console": console,
            "section": "inbox",
            "policies": list(
                session.scalars(
                    select(SlaPolicy)
                    .where(SlaPolicy.store_id == store_id)
                    .order_by(SlaPolicy.position, SlaPolicy.id)
                )
            ),
            "calendars": list(
                session.scalars(
                    select(BusinessCalendarRow)
                    .where(BusinessCalendarRow.store_id == store_id)
                    .order_by(BusinessCalendarRow.name)
                )
            ),
            "teams": queries.teams_of(session, store_id),
            "channels": CHANNELS,
            "priorities": PRIORITIES,
            "weekdays": sla_settings.WEEKDAYS,
            "notice": (notice or "")[:200],
        }
    return render(request, "inbox/sla.html", context)


@router.post("/console/{store_slug}/inbox-settings/sla/calendars")
async def save_calendar(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    name: Annotated[str, Form(max_length=200)],
    time_zone: Annotated[str, Form(max_length=64)],
    holidays: Annotated[str, Form(max_length=5000)] = "",
    calendar_id: Annotated[int | None, Form()] = None,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    console.check_csrf(csrf_token)
    form = await request.form()
    days = [str(form.get(f"day_{weekday}") or "")[:200] for weekday in range(7)]
    calendar = await runtime.database.write_async(
        sla_settings.save_calendar,
        console.actor,
        console.store.id,
        name=name,
        time_zone=time_zone,
        weekly_hours=days,
        holidays=holidays.splitlines(),
        calendar_id=calendar_id,
    )
    return _back(console, f"Business hours {calendar.name} saved.")


@router.post("/console/{store_slug}/inbox-settings/sla/policies")
async def save_policy(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    name: Annotated[str, Form(max_length=200)],
    position: Annotated[int, Form(ge=0, le=1000)] = 0,
    warn_before_percent: Annotated[int, Form(ge=0, le=90)] = 25,
    tiers: Annotated[str, Form(max_length=1000)] = "",
    labels: Annotated[str, Form(max_length=1000)] = "",
    active: Annotated[bool, Form()] = False,
    notify_lead: Annotated[bool, Form()] = False,
    raise_priority: Annotated[str, Form(max_length=10)] = "",
    calendar_id: Annotated[str, Form(max_length=20)] = "",
    escalation_team_id: Annotated[str, Form(max_length=20)] = "",
    policy_id: Annotated[int | None, Form()] = None,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    console.check_csrf(csrf_token)
    form = await request.form()
    policy = await runtime.database.write_async(
        sla_settings.save_policy,
        console.actor,
        console.store.id,
        name=name,
        position=position,
        active=active,
        conditions={
            "tiers": _words(tiers),
            "labels": [label.lower() for label in _words(labels)],
            "channels": [str(value) for value in form.getlist("channels")],
            "priorities": [str(value) for value in form.getlist("priorities")],
            "team_ids": _ids(form.getlist("team_ids"), "team_ids"),
        },
        first_response_minutes=_minutes(form, "first_response_minutes"),
        next_response_minutes=_minutes(form, "next_response_minutes"),
        resolution_minutes=_minutes(form, "resolution_minutes"),
        warn_before_percent=warn_before_percent,
        calendar_id=_ids([calendar_id], "calendar_id")[0] if calendar_id.strip() else None,
        escalation={
            "raise_priority": raise_priority or None,
            "team_id": _ids([escalation_team_id], "escalation_team_id")[0]
            if escalation_team_id.strip()
            else None,
            "notify_lead": notify_lead,
        },
        policy_id=policy_id,
    )
    return _back(console, f"SLA policy {policy.name} saved.")


@router.post("/console/{store_slug}/inbox-settings/sla/policies/{policy_id}/delete")
async def delete_policy(
    runtime: RuntimeDep, console: ConsoleDep, policy_id: int, csrf_token: Annotated[str | None, Form()] = None
) -> Response:
    console.check_csrf(csrf_token)
    await runtime.database.write_async(sla_settings.delete_policy, console.actor, console.store.id, policy_id)
    return _back(console, "SLA policy deleted.")


@router.post("/console/{store_slug}/inbox-settings/desk/teams/{team_id}/lead")
async def set_team_lead(
    runtime: RuntimeDep,
    console: ConsoleDep,
    team_id: int,
    lead_id: Annotated[str, Form(max_length=20)] = "",
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    console.check_csrf(csrf_token)
    lead = _ids([lead_id], "lead_id")[0] if lead_id.strip() else None
    await runtime.database.write_async(
        sla_settings.set_team_lead, console.actor, console.store.id, team_id, lead
    )
    return _back(console, "Team lead saved.", page="desk")
