"""Session types of expert sessions in the console (``/console/{store}/bookings/session-types``):
length, capacity, price in points, the tiers that book it free, mode, hosts (their schedules) and how
they are assigned, cancellation and reschedule windows, the hold, the no-show rule.

Setting up is managing the store (``manage_store_settings``); see ``bookings_setup`` for the schedules.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import Field, ValidationError

from loyaldesk import bookings
from loyaldesk.kernel.errors import DomainError, Invalid
from loyaldesk.loyalty.queries.program import tiers_of
from loyaldesk.runtime import Runtime
from loyaldesk.web.console.bookings_setup import FLASH, MANAGE
from loyaldesk.web.console.forms import ConsoleForm, FormState, blank_form, read_form
from loyaldesk.web.console.loyalty_forms import FormDep
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import Console, ConsoleDep
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)
SessionTypeId = Annotated[int, Path(ge=1, le=2**62)]


class SessionTypeForm(ConsoleForm):
    """A session type as a manager sets it up (its hosts and their priorities are read beside it)."""

    name: str = Field(min_length=1, max_length=200, title="Name", description="Shoppers see it.")
    slug: str = Field(
        min_length=1,
        max_length=100,
        pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
        title="Short name",
        description="Lower-case words joined by dashes, like styling-session.",
    )
    description: str = Field(
        default="",
        max_length=2000,
        title="What the shopper gets",
        description="A sentence or two shown under the name: Bring two outfits; we find what suits you.",
        json_schema_extra={"widget": "textarea"},
    )
    length_minutes: int = Field(ge=1, le=1440, title="Length (minutes)")
    capacity: int = Field(
        default=1, ge=1, le=10000, title="Seats", description="1: one-to-one; more: a group."
    )
    price_points: int = Field(default=0, ge=0, le=2**31 - 1, title="Price (points)", description="0: free.")
    free_for_tier_ids: list[int] = Field(default_factory=list, title="Free for these tiers")
    mode: bookings.SessionMode = Field(
        default=bookings.SessionMode.VIDEO,
        title="Where",
        json_schema_extra={"x-labels": {str(k): v for k, v in bookings.SESSION_MODE_LABELS.items()}},
    )
    host_assignment: bookings.HostAssignment = Field(
        default=bookings.HostAssignment.SINGLE,
        title="Who hosts",
        json_schema_extra={"x-labels": {str(k): v for k, v in bookings.HOST_ASSIGNMENT_LABELS.items()}},
    )
    cancel_window_hours: int = Field(
        default=24,
        ge=0,
        le=8760,
        title="Cancel until (hours before)",
        description="Refunded in full until then.",
    )
    reschedule_window_hours: int = Field(default=24, ge=0, le=8760, title="Reschedule until (hours before)")
    hold_minutes: int = Field(
        default=10,
        ge=1,
        le=1440,
        title="Hold (minutes)",
        description="How long a slot waits while a shopper confirms.",
    )
    no_show_points: int | None = Field(
        default=None, ge=0, le=2**31 - 1, title="No-show costs (points)", description="Empty: nothing."
    )
    active: bool = Field(default=True, title="Bookable")


# -- session types --------------------------------------------------------------------------------


@router.get("/console/{store_slug}/bookings/session-types", response_class=HTMLResponse)
def session_types_page(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    console.require(MANAGE)
    with runtime.database.read() as session:
        found = bookings.session_types(session, store_id=console.store.id, active_only=False)
        tiers = {tier.id: tier.name for tier in tiers_of(session, console.store.id)}
    return render(
        request,
        "bookings/session_types.html",
        {
            "console": console,
            "section": "bookings",
            "tab": "session_types",
            "session_types": found,
            "tiers": tiers,
            "mode_labels": bookings.SESSION_MODE_LABELS,
            "assignment_labels": bookings.HOST_ASSIGNMENT_LABELS,
            "flash": FLASH.get(done),
        },
    )


def _session_type_page(
    request: Request,
    runtime: Runtime,
    console: Console,
    state: FormState,
    session_type_id: int | None,
    priorities: dict[int, int],
    status_code: int = 200,
) -> Response:
    with runtime.database.read() as session:
        tiers = tuple((str(tier.id), tier.name) for tier in tiers_of(session, console.store.id))
        found = bookings.schedules(session, store_id=console.store.id)
    return render(
        request,
        "bookings/session_type_form.html",
        {
            "console": console,
            "section": "bookings",
            "tab": "session_types",
            "form": state,
            "session_type_id": session_type_id,
            "tiers": tiers,
            "schedules": found,
            "priorities": priorities,
        },
        status_code=status_code,
    )


@router.get("/console/{store_slug}/bookings/session-types/new", response_class=HTMLResponse)
def new_session_type_page(request: Request, runtime: RuntimeDep, console: ConsoleDep) -> Response:
    console.require(MANAGE)
    return _session_type_page(request, runtime, console, blank_form(SessionTypeForm), None, {})


@router.get("/console/{store_slug}/bookings/session-types/{session_type_id}", response_class=HTMLResponse)
def session_type_page(
    request: Request, runtime: RuntimeDep, console: ConsoleDep, session_type_id: SessionTypeId
) -> Response:
    console.require(MANAGE)
    with runtime.database.read() as session:
        found = bookings.session_type(session, store_id=console.store.id, session_type_id=session_type_id)
    values = found.model_dump(exclude={"hosts", "id"})
    priorities = {host.schedule_id: host.priority for host in found.hosts}
    return _session_type_page(
        request, runtime, console, blank_form(SessionTypeForm, values), session_type_id, priorities
    )


def _hosts(form: Any) -> tuple[list[bookings.HostIn], dict[int, int]]:
    """The ticked hosts (``host``) with each one's ``priority-{schedule id}``; ``Invalid`` naming
    ``hosts`` for anything that is not a number."""
    hosts: list[bookings.HostIn] = []
    priorities: dict[int, int] = {}
    try:
        for value in form.getlist("host"):
            schedule_id = int(value)
            priority = int(str(form.get(f"priority-{schedule_id}") or "0"))
            priorities[schedule_id] = priority
            hosts.append(bookings.HostIn(schedule_id=schedule_id, priority=priority))
    except (ValueError, ValidationError):
        raise Invalid.field("hosts", "a host's priority is a whole number from 0 to 1000") from None
    return hosts, priorities


def _save_session_type(
    request: Request, runtime: Runtime, console: Console, form: Any, session_type_id: int | None
) -> Response:
    console.check_csrf(str(form.get("csrf_token") or ""))
    console.require(MANAGE)
    posted, state = read_form(SessionTypeForm, form)
    priorities: dict[int, int] = {}
    try:
        hosts, priorities = _hosts(form)
    except Invalid as error:
        state.fail(error, field="host_assignment")
        hosts = []
    if posted is not None and not state.invalid:
        try:
            data = bookings.SessionTypeIn(**posted.model_dump(), hosts=hosts)
            runtime.database.write(
                bookings.save_session_type,
                store_id=console.store.id,
                actor_id=console.login.account.id,
                session_type_in=data,
                session_type_id=session_type_id,
            )
        except (ValidationError, DomainError) as error:
            state.fail(error, field="name", renamed={"hosts": "host_assignment"})
        else:
            return RedirectResponse(
                f"/console/{console.store.slug}/bookings/session-types?done=saved", status_code=303
            )
    state.refuse_for_scripts(request)
    return _session_type_page(request, runtime, console, state, session_type_id, priorities, state.status)


@router.post("/console/{store_slug}/bookings/session-types")
def create_session_type(
    request: Request, runtime: RuntimeDep, console: ConsoleDep, form: FormDep
) -> Response:
    """Save a new session type; refused values come back beside their inputs (422)."""
    return _save_session_type(request, runtime, console, form, None)


@router.post("/console/{store_slug}/bookings/session-types/{session_type_id}")
def update_session_type(
    request: Request, runtime: RuntimeDep, console: ConsoleDep, session_type_id: SessionTypeId, form: FormDep
) -> Response:
    return _save_session_type(request, runtime, console, form, session_type_id)
