"""Closing the loop in the console: ``/console/{store}/feedback/themes/{theme_id}/fix`` (a manager says
what was fixed, how many goodwill points, from which date the answers count, and sees beforehand how
many customers will be told and how many opted out), ``/console/{store}/feedback/closures`` (past "we
fixed it" broadcasts) and ``/console/{store}/feedback/closures/{closure_id}`` (one, with each
recipient's message status in journeys). Marking fixed needs ``manage_feedback``; reading
``view_feedback``."""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import Field

from loyaldesk.feedback.loop import (
    MAX_GOODWILL_POINTS,
    MAX_NOTE,
    audience,
    closure_detail,
    closures,
    mark_fixed,
    theme_of,
)
from loyaldesk.kernel.errors import Invalid
from loyaldesk.kernel.pagination import decode_cursor, encode_cursor
from loyaldesk.stores import Permission
from loyaldesk.web.console.forms import ConsoleForm, FormState, blank_form, read_form
from loyaldesk.web.console.loyalty_forms import FormDep
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import Console, ConsoleDep
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)
ThemeId = Annotated[int, Path(ge=1, le=2**62)]


class FixForm(ConsoleForm):
    """What a manager says when marking a theme fixed."""

    note: str = Field(
        title="What was fixed",
        min_length=1,
        max_length=MAX_NOTE,
        description="The customers who raised it read this in the email, as you write it.",
        json_schema_extra={"widget": "textarea"},
    )
    goodwill_points: int = Field(
        default=0,
        ge=0,
        le=MAX_GOODWILL_POINTS,
        title="Goodwill points for each customer",
        description="Given once to each customer who is a member of the loyalty program (0: none).",
    )
    since: str = Field(
        default="",
        title="Answers from",
        pattern=r"^(\d{4}-\d{2}-\d{2})?$",
        description="Only customers who raised it on or after this day (empty: everyone who ever did).",
        json_schema_extra={"widget": "date", "invalid": "a date like 2026-12-24"},
    )


def since_of(text: str, timezone: str) -> datetime | None:
    """The start of the day ``text`` (YYYY-MM-DD) in the store's time zone; None when empty."""
    if not text:
        return None
    try:
        day = datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise Invalid.field("since", "a date like 2026-12-24") from None
    return datetime.combine(day, time(0), ZoneInfo(timezone or "UTC"))


def _fix_page(
    request: Request,
    console: Console,
    runtime: Any,
    theme_id: int,
    state: FormState,
    since_text: str,
    status_code: int = 200,
) -> Response:
    with runtime.database.read() as session:
        theme = theme_of(session, console.store.id, theme_id)
        try:
            since = since_of(since_text, console.store.timezone)
        except Invalid:
            since = None
        found = audience(session, console.store.id, theme_id=theme.id, since=since)
        context = {
            "console": console,
            "section": "feedback",
            "theme": {
                "id": theme.id,
                "name": theme.name,
                "fixed_at": theme.fixed_at,
                "fixed_note": theme.fixed_note,
            },
            "audience": found,
            "form": state,
        }
    return render(request, "feedback_fix/fix.html", context, status_code=status_code)


@router.get("/console/{store_slug}/feedback/themes/{theme_id}/fix", response_class=HTMLResponse)
def fix_page(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    theme_id: ThemeId,
    since: Annotated[str, Query(max_length=10)] = "",
    note: Annotated[str, Query(max_length=MAX_NOTE)] = "",
    goodwill_points: Annotated[int, Query(ge=0, le=MAX_GOODWILL_POINTS)] = 0,
) -> Response:
    """The form, and who will be told: the count follows the "from" date (the preview button)."""
    console.require(Permission.MANAGE_FEEDBACK)
    state = blank_form(FixForm, {"note": note, "goodwill_points": goodwill_points, "since": since})
    return _fix_page(request, console, runtime, theme_id, state, since)


@router.post("/console/{store_slug}/feedback/themes/{theme_id}/fix")
def fix_theme(
    request: Request, runtime: RuntimeDep, console: ConsoleDep, theme_id: ThemeId, form: FormDep
) -> Response:
    """Mark the theme fixed and queue the broadcast; then the broadcast's page. Refused values come back
    beside their inputs, nothing stored."""
    console.check_csrf(str(form.get("csrf_token") or ""))
    console.require(Permission.MANAGE_FEEDBACK)
    fix, state = read_form(FixForm, form)
    if fix is not None:
        try:
            closure = runtime.database.write(
                mark_fixed,
                console.actor,
                console.store.id,
                theme_id=theme_id,
                note=fix.note,
                goodwill_points=fix.goodwill_points,
                since=since_of(fix.since, console.store.timezone),
            )
        except Invalid as error:
            state.fail(error, field="note", renamed={"theme_id": "since"})
        else:
            target = f"/console/{console.store.slug}/feedback/closures/{closure.id}?done=1"
            return RedirectResponse(target, status_code=303)
    state.refuse_for_scripts(request)
    return _fix_page(
        request, console, runtime, theme_id, state, str(form.get("since") or ""), status_code=state.status
    )


@router.get("/console/{store_slug}/feedback/closures", response_class=HTMLResponse)
def closures_page(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    console.require(Permission.VIEW_FEEDBACK)
    with runtime.database.read() as session:
        rows, before = closures(session, console.store.id, before_id=decode_cursor(cursor), limit=50)
    return render(
        request,
        "feedback_fix/closures.html",
        {
            "console": console,
            "section": "feedback",
            "rows": rows,
            "next_cursor": encode_cursor(before) if before else None,
        },
    )


@router.get("/console/{store_slug}/feedback/closures/{closure_id}", response_class=HTMLResponse)
def closure_page(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    closure_id: Annotated[int, Path(ge=1, le=2**62)],
    done: Annotated[str, Query(max_length=2)] = "",
) -> Response:
    console.require(Permission.VIEW_FEEDBACK)
    with runtime.database.read() as session:
        closure, recipients = closure_detail(session, console.store.id, closure_id)
    return render(
        request,
        "feedback_fix/closure.html",
        {
            "console": console,
            "section": "feedback",
            "closure": closure,
            "recipients": recipients,
            "flash": "Marked fixed: the message is on its way." if done == "1" else None,
        },
    )
