"""The SLA page (admins): business hours and SLA policies, and the team leads told of breaches."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import Field
from pydantic.json_schema import JsonDict
from sqlalchemy import select

from loyaldesk.kernel.errors import Conflict, FieldProblem, Invalid
from loyaldesk.stores import Permission
from loyaldesk.support import CHANNELS, BusinessCalendarRow, SlaPolicy, queries
from loyaldesk.support.actions import sla_settings
from loyaldesk.support.rules import Priority
from loyaldesk.web.console.forms import ConsoleForm, FormState, blank_form, read_form
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import Console, ConsoleDep
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)


def _back(console: Console, notice: str, page: str = "sla") -> RedirectResponse:
    return RedirectResponse(
        f"/console/{console.store.slug}/inbox-settings/{page}?notice={quote(notice)}", status_code=303
    )


MINUTES = "a whole number of minutes, or empty"
NUMBERED: JsonDict = {"inputmode": "numeric"}
# Where the domain names a problem by its own path, the input it belongs to.
POLICY_INPUTS = {
    "conditions.channels": "channels",
    "conditions.priorities": "priorities",
    "conditions.team_ids": "team_ids",
    "escalation.raise_priority": "raise_priority",
    "escalation.team_id": "escalation_team_id",
}
CALENDAR_INPUTS = {"weekly_hours": "day_0"}


def _minutes_field(title: str, example: int) -> Any:
    extra: JsonDict = {"invalid": MINUTES, "attrs": {**NUMBERED, "placeholder": str(example)}}
    return Field(default=None, title=title, json_schema_extra=extra)


class PolicyForm(ConsoleForm):
    """An SLA policy: which conversations it applies to, its targets and what a breach does."""

    name: str = Field(
        title="Name",
        min_length=1,
        max_length=200,
        json_schema_extra={"attrs": {"maxlength": 80, "placeholder": "VIP customers"}},
    )
    position: int = Field(default=0, title="Position (lower wins)", ge=0, le=1000)
    active: bool = Field(default=True, title="Active")
    first_response_minutes: int | None = _minutes_field("First response", 60)
    next_response_minutes: int | None = _minutes_field("Next response", 240)
    resolution_minutes: int | None = _minutes_field("Resolution", 1440)
    warn_before_percent: int = Field(default=25, title="Warn with this % left", ge=0, le=90)
    calendar_id: int | None = Field(default=None, title="Business hours", ge=1, le=2**62)
    channels: list[Literal[CHANNELS]] = Field(default_factory=list, title="Channels")  # type: ignore[valid-type]
    priorities: list[Priority] = Field(default_factory=list, title="Priorities")
    team_ids: list[int] = Field(default_factory=list, title="Teams")
    tiers: str = Field(
        default="",
        title="Loyalty tiers",
        max_length=1000,
        json_schema_extra={"attrs": {"placeholder": "Gold, Platinum"}},
    )
    labels: str = Field(
        default="", title="Labels", max_length=1000, json_schema_extra={"attrs": {"placeholder": "refund"}}
    )
    raise_priority: Literal[("", *[priority.value for priority in Priority])] = Field(  # type: ignore[valid-type]
        default="", title="Raise priority to", json_schema_extra={"x-labels": {"": "Keep it"}}
    )
    escalation_team_id: int | None = Field(default=None, title="Move to team", ge=1, le=2**62)
    notify_lead: bool = Field(default=False, title="Tell the team lead (an internal note)")
    policy_id: int | None = Field(default=None, ge=1, le=2**62, json_schema_extra={"widget": "hidden"})


def _day_field(weekday: int) -> Any:
    return Field(default="", title=sla_settings.WEEKDAYS[weekday], max_length=200)


class CalendarForm(ConsoleForm):
    """Business hours: a name, a time zone, the open hours of each weekday and the holidays."""

    name: str = Field(
        title="Name",
        min_length=1,
        max_length=200,
        json_schema_extra={"attrs": {"maxlength": 80, "placeholder": "Office hours"}},
    )
    time_zone: str = Field(title="Time zone", min_length=1, max_length=64)
    day_0: str = _day_field(0)
    day_1: str = _day_field(1)
    day_2: str = _day_field(2)
    day_3: str = _day_field(3)
    day_4: str = _day_field(4)
    day_5: str = _day_field(5)
    day_6: str = _day_field(6)
    holidays: str = Field(
        default="",
        title="Holidays (one date per line, such as 2026-12-25)",
        max_length=5000,
        json_schema_extra={"widget": "textarea", "attrs": {"rows": 3}},
    )
    calendar_id: int | None = Field(default=None, ge=1, le=2**62, json_schema_extra={"widget": "hidden"})

    def weekly_hours(self) -> list[str]:
        return [self.day_0, self.day_1, self.day_2, self.day_3, self.day_4, self.day_5, self.day_6]


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
    return _page(request, runtime, console, notice=notice)


def _page(
    request: Request,
    runtime: Any,
    console: Console,
    *,
    notice: str | None = None,
    policy: FormState | None = None,
    calendar: FormState | None = None,
) -> Response:
    with runtime.database.read() as session:
        store_id = console.store.id
        policies = list(
            session.scalars(
                select(SlaPolicy)
                .where(SlaPolicy.store_id == store_id)
                .order_by(SlaPolicy.position, SlaPolicy.id)
            )
        )
        calendars = list(
            session.scalars(
                select(BusinessCalendarRow)
                .where(BusinessCalendarRow.store_id == store_id)
                .order_by(BusinessCalendarRow.name)
            )
        )
        teams = queries.teams_of(session, store_id)
    workdays = {f"day_{weekday}": "09:00-17:00" for weekday in range(5)}
    context = {
        "console": console,
        "section": "inbox",
        "policies": policies,
        "calendars": calendars,
        "teams": teams,
        "weekdays": sla_settings.WEEKDAYS,
        "notice": (notice or "")[:200],
        "policy_form": policy or blank_form(PolicyForm, {"position": len(policies) * 10}, prefix="policy-"),
        "calendar_form": calendar
        or blank_form(CalendarForm, {"time_zone": console.store.timezone, **workdays}, prefix="calendar-"),
        "calendar_choices": [("", "Around the clock")]
        + [(str(cal.id), f"{cal.name} ({cal.time_zone})") for cal in calendars],
        "team_choices": [(str(team.id), team.name) for team in teams],
    }
    refused = next((state for state in (policy, calendar) if state is not None and state.invalid), None)
    if refused is not None:
        refused.refuse_for_scripts(request)
    return render(request, "inbox/sla.html", context, status_code=refused.status if refused else 200)


@router.post("/console/{store_slug}/inbox-settings/sla/calendars")
async def save_calendar(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """Saves business hours; refused ones come back (422) with each problem beside its input."""
    console.check_csrf(csrf_token)
    console.require(Permission.MANAGE_SUPPORT)
    calendar, state = read_form(CalendarForm, await request.form(), prefix="calendar-")
    if calendar is not None:
        try:
            saved = await runtime.database.write_async(
                sla_settings.save_calendar,
                console.actor,
                console.store.id,
                name=calendar.name,
                time_zone=calendar.time_zone,
                weekly_hours=calendar.weekly_hours(),
                holidays=calendar.holidays.splitlines(),
                calendar_id=calendar.calendar_id,
            )
            return _back(console, f"Business hours {saved.name} saved.")
        except Invalid as error:
            state.fail(error, renamed=CALENDAR_INPUTS)
        except Conflict as error:
            state.fail(error, field="name")
    return _page(request, runtime, console, calendar=state)


@router.post("/console/{store_slug}/inbox-settings/sla/policies")
async def save_policy(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """Saves an SLA policy; a refused one comes back (422) with each problem beside its input."""
    console.check_csrf(csrf_token)
    console.require(Permission.MANAGE_SUPPORT)
    policy, state = read_form(PolicyForm, await request.form(), prefix="policy-")
    if policy is not None:
        try:
            saved = await runtime.database.write_async(
                sla_settings.save_policy,
                console.actor,
                console.store.id,
                name=policy.name,
                position=policy.position,
                active=policy.active,
                conditions={
                    "tiers": _words(policy.tiers),
                    "labels": [label.lower() for label in _words(policy.labels)],
                    "channels": list(policy.channels),
                    "priorities": [str(priority) for priority in policy.priorities],
                    "team_ids": policy.team_ids,
                },
                first_response_minutes=policy.first_response_minutes,
                next_response_minutes=policy.next_response_minutes,
                resolution_minutes=policy.resolution_minutes,
                warn_before_percent=policy.warn_before_percent,
                calendar_id=policy.calendar_id,
                escalation={
                    "raise_priority": policy.raise_priority or None,
                    "team_id": policy.escalation_team_id,
                    "notify_lead": policy.notify_lead,
                },
                policy_id=policy.policy_id,
            )
            return _back(console, f"SLA policy {saved.name} saved.")
        except Invalid as error:
            state.fail(error, renamed=POLICY_INPUTS)
        except Conflict as error:
            state.fail(error, field="name")
    return _page(request, runtime, console, policy=state)


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
