"""Expert sessions set up in the console: experts' schedules (``/console/{store}/bookings/schedules``,
weekly hours, date overrides and holidays, buffers, minimum notice, a day's maximum) and session types
(``bookings_types``).

Setting up is managing the store (``manage_store_settings``: owners and admins); the day's bookings are
``bookings_day``. Every change goes through the bookings actions, which check what needs the database
(the expert is staff of the store, the tiers and hosts are the store's) and name the field they refuse.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import Field, ValidationError

from loyaldesk import bookings
from loyaldesk.kernel.errors import DomainError, Invalid
from loyaldesk.runtime import Runtime
from loyaldesk.stores import Permission
from loyaldesk.stores.queries import list_staff
from loyaldesk.web.console.forms import ConsoleForm, FormState, blank_form, read_form
from loyaldesk.web.console.loyalty_forms import FormDep
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import Console, ConsoleDep
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)
MANAGE = Permission.MANAGE_STORE_SETTINGS
ScheduleId = Annotated[int, Path(ge=1, le=2**62)]
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
HOURS_HELP = "Like 09:00-12:00, 13:00-17:00 (your local clock); empty: a day off."
_RANGE = re.compile(r"^\s*(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})\s*$")


def _hours(label: str) -> Any:
    return Field(default="", max_length=200, title=label, description=HOURS_HELP)


class ScheduleForm(ConsoleForm):
    """An expert's schedule as a manager types it."""

    user_id: int = Field(ge=1, le=2**62, title="Expert", json_schema_extra={"widget": "select"})
    time_zone: str = Field(
        min_length=1,
        max_length=64,
        title="Time zone",
        description="Where the expert works, like Europe/Paris.",
    )
    monday: str = _hours("Monday")
    tuesday: str = _hours("Tuesday")
    wednesday: str = _hours("Wednesday")
    thursday: str = _hours("Thursday")
    friday: str = _hours("Friday")
    saturday: str = _hours("Saturday")
    sunday: str = _hours("Sunday")
    buffer_before_minutes: int = Field(default=0, ge=0, le=1440, title="Buffer before (minutes)")
    buffer_after_minutes: int = Field(default=0, ge=0, le=1440, title="Buffer after (minutes)")
    minimum_notice_minutes: int = Field(
        default=0,
        ge=0,
        le=525600,
        title="Minimum notice (minutes)",
        description="No booking sooner than this.",
    )
    max_per_day: int | None = Field(
        default=None, ge=1, le=1000, title="Most sessions a day", description="Empty: no limit."
    )
    slot_step_minutes: int | None = Field(
        default=None, ge=1, le=1440, title="Slot step (minutes)", description="Empty: the session's length."
    )
    active: bool = Field(default=True, title="Takes bookings")


class OverrideForm(ConsoleForm):
    day: str = Field(
        pattern=r"^\d{4}-\d{2}-\d{2}$",
        title="Day",
        json_schema_extra={"widget": "date", "invalid": "a date like 2026-12-24"},
    )
    hours: str = Field(default="", max_length=200, title="Hours that day", description=HOURS_HELP)
    note: str = Field(default="", max_length=200, title="Note", description="Like “Holiday” (optional).")


FLASH = {
    "saved": "Saved.",
    "override": "The day's hours are set.",
    "removed": "The day follows its weekday again.",
}


def parse_hours(text: str, field: str) -> list[tuple[str, str]]:
    """``"09:00-12:00, 13:00-17:00"`` as clock ranges; ``Invalid`` naming ``field`` otherwise."""
    ranges: list[tuple[str, str]] = []
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        match = _RANGE.match(part)
        if match is None:
            raise Invalid.field(field, f"“{part}” is not a range like 09:00-12:00")
        ranges.append((match.group(1).zfill(5), match.group(2).zfill(5)))
    return ranges


def _format_hours(ranges: list[tuple[str, str]] | list[Any]) -> str:
    return ", ".join(f"{start}-{end}" for start, end in ranges)


def _staff_choices(runtime: Runtime, console: Console) -> tuple[tuple[str, str], ...]:
    with runtime.database.read() as session:
        return tuple(
            (str(member.staff_id), f"{member.name} ({member.role})")
            for member in list_staff(session, console.store.id)
        )


# -- schedules ------------------------------------------------------------------------------------


@router.get("/console/{store_slug}/bookings/schedules", response_class=HTMLResponse)
def schedules_page(request: Request, runtime: RuntimeDep, console: ConsoleDep) -> Response:
    console.require(MANAGE)
    with runtime.database.read() as session:
        found = bookings.schedules(session, store_id=console.store.id)
    return render(
        request,
        "bookings/schedules.html",
        {
            "console": console,
            "section": "bookings",
            "tab": "schedules",
            "schedules": found,
            "weekdays": WEEKDAYS,
            "hours": _format_hours,
        },
    )


def _schedule_page(
    request: Request,
    runtime: Runtime,
    console: Console,
    state: FormState,
    schedule: bookings.ScheduleOut | None,
    *,
    override_state: FormState | None = None,
    flash: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "bookings/schedule_form.html",
        {
            "console": console,
            "section": "bookings",
            "tab": "schedules",
            "form": state,
            "schedule": schedule,
            "staff": _staff_choices(runtime, console),
            "weekdays": WEEKDAYS,
            "override_form": override_state or blank_form(OverrideForm, prefix="o-"),
            "hours": _format_hours,
            "flash": flash,
        },
        status_code=status_code,
    )


@router.get("/console/{store_slug}/bookings/schedules/new", response_class=HTMLResponse)
def new_schedule_page(request: Request, runtime: RuntimeDep, console: ConsoleDep) -> Response:
    console.require(MANAGE)
    state = blank_form(ScheduleForm, {"time_zone": console.store.timezone or "UTC"})
    return _schedule_page(request, runtime, console, state, None)


@router.get("/console/{store_slug}/bookings/schedules/{schedule_id}", response_class=HTMLResponse)
def schedule_page(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    schedule_id: ScheduleId,
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    console.require(MANAGE)
    with runtime.database.read() as session:
        found = bookings.schedule(session, store_id=console.store.id, schedule_id=schedule_id)
    values: dict[str, Any] = found.model_dump(exclude={"weekly_hours", "overrides", "id", "expert_name"})
    for index, name in enumerate(WEEKDAYS):
        values[name] = _format_hours(found.weekly_hours.get(index, []))
    return _schedule_page(
        request, runtime, console, blank_form(ScheduleForm, values), found, flash=FLASH.get(done)
    )


def _save_schedule(
    request: Request, runtime: Runtime, console: Console, form: Any, schedule_id: int | None
) -> Response:
    console.check_csrf(str(form.get("csrf_token") or ""))
    console.require(MANAGE)
    posted, state = read_form(ScheduleForm, form)
    current = None
    if schedule_id is not None:
        with runtime.database.read() as session:
            current = bookings.schedule(session, store_id=console.store.id, schedule_id=schedule_id)
    if posted is not None:
        try:
            weekly = {
                index: parse_hours(getattr(posted, name), name)
                for index, name in enumerate(WEEKDAYS)
                if getattr(posted, name).strip()
            }
            schedule_in = bookings.ScheduleIn(
                user_id=posted.user_id,
                time_zone=posted.time_zone,
                weekly_hours=weekly,
                buffer_before_minutes=posted.buffer_before_minutes,
                buffer_after_minutes=posted.buffer_after_minutes,
                minimum_notice_minutes=posted.minimum_notice_minutes,
                max_per_day=posted.max_per_day,
                slot_step_minutes=posted.slot_step_minutes,
                active=posted.active,
            )
            saved_id = runtime.database.write(
                bookings.save_schedule,
                store_id=console.store.id,
                actor_id=console.login.account.id,
                schedule_in=schedule_in,
                schedule_id=schedule_id,
            )
        except (ValidationError, DomainError) as error:
            renamed = {f"weekly_hours.{index}": name for index, name in enumerate(WEEKDAYS)}
            state.fail(error, field="user_id", renamed=renamed)
        else:
            return RedirectResponse(
                f"/console/{console.store.slug}/bookings/schedules/{saved_id}?done=saved", status_code=303
            )
    state.refuse_for_scripts(request)
    return _schedule_page(request, runtime, console, state, current, status_code=state.status)


@router.post("/console/{store_slug}/bookings/schedules")
def create_schedule(request: Request, runtime: RuntimeDep, console: ConsoleDep, form: FormDep) -> Response:
    """Save a new schedule; refused values come back beside their inputs (422)."""
    return _save_schedule(request, runtime, console, form, None)


@router.post("/console/{store_slug}/bookings/schedules/{schedule_id}")
def update_schedule(
    request: Request, runtime: RuntimeDep, console: ConsoleDep, schedule_id: ScheduleId, form: FormDep
) -> Response:
    return _save_schedule(request, runtime, console, form, schedule_id)


@router.post("/console/{store_slug}/bookings/schedules/{schedule_id}/overrides")
def add_override(
    request: Request, runtime: RuntimeDep, console: ConsoleDep, schedule_id: ScheduleId, form: FormDep
) -> Response:
    """Set one day's hours instead of its weekday's (no hours: a day off)."""
    console.check_csrf(str(form.get("csrf_token") or ""))
    console.require(MANAGE)
    with runtime.database.read() as session:
        current = bookings.schedule(session, store_id=console.store.id, schedule_id=schedule_id)
    posted, state = read_form(OverrideForm, form, prefix="o-")
    if posted is not None:
        try:
            override = bookings.DateOverrideIn(
                day=date.fromisoformat(posted.day),
                ranges=parse_hours(posted.hours, "hours"),
                note=posted.note or None,
            )
            runtime.database.write(
                bookings.set_date_override,
                store_id=console.store.id,
                actor_id=console.login.account.id,
                schedule_id=schedule_id,
                override=override,
            )
        except (ValidationError, DomainError, ValueError) as error:
            problem = (
                error
                if isinstance(error, ValidationError | DomainError)
                else Invalid.field("day", str(error))
            )
            state.fail(problem, field="day", renamed={"ranges": "hours"})
        else:
            return RedirectResponse(
                f"/console/{console.store.slug}/bookings/schedules/{schedule_id}?done=override",
                status_code=303,
            )
    state.refuse_for_scripts(request)
    values = current.model_dump(exclude={"weekly_hours", "overrides", "id", "expert_name"})
    for index, name in enumerate(WEEKDAYS):
        values[name] = _format_hours(current.weekly_hours.get(index, []))
    return _schedule_page(
        request,
        runtime,
        console,
        blank_form(ScheduleForm, values),
        current,
        override_state=state,
        status_code=state.status,
    )


@router.post("/console/{store_slug}/bookings/schedules/{schedule_id}/overrides/remove")
def remove_override(
    runtime: RuntimeDep, console: ConsoleDep, schedule_id: ScheduleId, form: FormDep
) -> Response:
    console.check_csrf(str(form.get("csrf_token") or ""))
    console.require(MANAGE)
    try:
        day = date.fromisoformat(str(form.get("day") or ""))
    except ValueError:
        raise Invalid.field("day", "a date like 2026-12-24") from None
    runtime.database.write(
        bookings.remove_date_override,
        store_id=console.store.id,
        actor_id=console.login.account.id,
        schedule_id=schedule_id,
        day=day,
    )
    return RedirectResponse(
        f"/console/{console.store.slug}/bookings/schedules/{schedule_id}?done=removed", status_code=303
    )
