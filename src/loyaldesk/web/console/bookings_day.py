"""The day's expert sessions in the console (``/console/{store}/bookings``): each expert's sessions of a
day, read in the store's time zone (or an expert's, when one is chosen), with who booked each seat and
buttons to mark a shopper attended or a no-show and to cancel a booking (refunded in full: the store
cancelled it).

Everyone who serves customers sees the day (``view_customers``); marking attendance and cancelling are
for who answers customers (``answer_conversations``: agents, admins, owners); setting up schedules and
session types is ``bookings_setup``/``bookings_types`` (managers).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from loyaldesk import bookings, calls
from loyaldesk.kernel.errors import Conflict, Invalid
from loyaldesk.runtime import Runtime
from loyaldesk.stores import Permission
from loyaldesk.web.console.loyalty_forms import FormDep
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import Console, ConsoleDep
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)
VIEW = Permission.VIEW_CUSTOMERS
ACT = Permission.ANSWER_CONVERSATIONS
SeatId = Annotated[int, Path(ge=1, le=2**62)]

FLASH = {
    "attended": "Marked as attended.",
    "no_show": "Marked as a no-show.",
    "cancelled": "Cancelled; the points paid were refunded.",
}


def _day_url(console: Console, day: date | None, expert: int | None, **extra: str) -> str:
    values: dict[str, Any] = {}
    if day is not None:
        values["day"] = day.isoformat()
    if expert:
        values["expert"] = expert
    values.update(extra)
    return f"/console/{console.store.slug}/bookings" + (f"?{urlencode(values)}" if values else "")


def _day_page(
    request: Request,
    runtime: Runtime,
    console: Console,
    day: date | None,
    expert: int | None,
    *,
    flash: str | None = None,
    problem: str | None = None,
    status_code: int = 200,
) -> Response:
    store_zone = console.store.timezone or "UTC"
    with runtime.database.read() as session:
        experts = bookings.schedules(session, store_id=console.store.id)
        chosen = next((item for item in experts if item.user_id == expert), None)
        zone = chosen.time_zone if chosen else store_zone
        shown_day = day or runtime.clock.now().astimezone(ZoneInfo(zone)).date()
        occurrences = bookings.day_bookings(
            session,
            store_id=console.store.id,
            day=shown_day,
            time_zone=zone,
            user_id=chosen.user_id if chosen else None,
        )
    by_expert: dict[str, list[bookings.DayOccurrenceOut]] = {}
    for occurrence in occurrences:
        by_expert.setdefault(occurrence.expert_name, []).append(occurrence)
    return render(
        request,
        "bookings/day.html",
        {
            "console": console,
            "section": "bookings",
            "tab": "day",
            "day": shown_day,
            "previous_day": _day_url(console, shown_day - timedelta(days=1), expert),
            "next_day": _day_url(console, shown_day + timedelta(days=1), expert),
            "experts": experts,
            "expert": chosen.user_id if chosen else None,
            "zone": zone,
            "by_expert": by_expert,
            "may_act": console.can(ACT),
            "may_manage": console.can(Permission.MANAGE_STORE_SETTINGS),
            "status_labels": bookings.BOOKING_STATUS_LABELS,
            "live": ("held", "confirmed"),
            "flash": flash,
            "problem": problem,
            "now": runtime.clock.now(),
            "call_is_open": calls.booking_call_is_open,  # expert sessions' video call (web/console/calls.py)
        },
        status_code=status_code,
    )


@router.get("/console/{store_slug}/bookings", response_class=HTMLResponse)
def day_page(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    day: Annotated[date | None, Query()] = None,
    expert: Annotated[str, Query(max_length=19, pattern=r"^\d*$", description="Empty: every expert.")] = "",
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    console.require(VIEW)
    chosen = int(expert) if expert else None
    return _day_page(request, runtime, console, day, chosen, flash=FLASH.get(done))


def _back(form: Any) -> tuple[date | None, int | None]:
    """The day and expert the page showed (hidden inputs), ignoring what does not parse."""
    try:
        day = date.fromisoformat(str(form.get("day") or ""))
    except ValueError:
        day = None
    expert_text = str(form.get("expert") or "")
    return day, int(expert_text) if expert_text.isdigit() and len(expert_text) < 19 else None


@router.post("/console/{store_slug}/bookings/seats/{seat_id}/attendance")
def attendance(
    request: Request, runtime: RuntimeDep, console: ConsoleDep, seat_id: SeatId, form: FormDep
) -> Response:
    """Mark the shopper of a seat attended (``attended=yes``) or a no-show (``attended=no``)."""
    console.check_csrf(str(form.get("csrf_token") or ""))
    console.require(ACT)
    answer = str(form.get("attended") or "")
    if answer not in ("yes", "no"):
        raise Invalid.field("attended", "yes or no")
    day, expert = _back(form)
    try:
        runtime.database.write(
            bookings.mark_attendance,
            store_id=console.store.id,
            actor_id=console.login.account.id,
            seat_id=seat_id,
            attended=answer == "yes",
        )
    except (Conflict, Invalid) as error:
        return _day_page(request, runtime, console, day, expert, problem=str(error), status_code=409)
    done = "attended" if answer == "yes" else "no_show"
    return RedirectResponse(_day_url(console, day, expert, done=done), status_code=303)


@router.post("/console/{store_slug}/bookings/seats/{seat_id}/cancel")
def cancel(
    request: Request, runtime: RuntimeDep, console: ConsoleDep, seat_id: SeatId, form: FormDep
) -> Response:
    """Cancel a shopper's booking for the store (refunded in full; the seat goes to the waitlist)."""
    console.check_csrf(str(form.get("csrf_token") or ""))
    console.require(ACT)
    reason = str(form.get("reason") or "")[:500] or None
    day, expert = _back(form)
    try:
        runtime.database.write(
            bookings.cancel_booking,
            store_id=console.store.id,
            seat_id=seat_id,
            actor_id=console.login.account.id,
            reason=reason,
        )
    except (Conflict, Invalid) as error:
        return _day_page(request, runtime, console, day, expert, problem=str(error), status_code=409)
    return RedirectResponse(_day_url(console, day, expert, done="cancelled"), status_code=303)
