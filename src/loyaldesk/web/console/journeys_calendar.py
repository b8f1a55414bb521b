"""The communication calendar (one row per day in the store's zone, a column per channel, each cell the
rules going out with their expected audience; days where two marketing rules meet marked in words) and
the team's tasks from rules (with a "Done" button).

The calendar needs ``view_journeys``; the tasks are read and closed by whoever manages journeys or
answers customers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from loyaldesk.journeys.actions.tasks import complete_task
from loyaldesk.journeys.queries.calendar import MAX_DAYS, calendar
from loyaldesk.journeys.queries.overview import open_tasks
from loyaldesk.journeys.vocab import Channel
from loyaldesk.kernel.errors import PermissionDenied
from loyaldesk.stores import Permission
from loyaldesk.stores.queries import store_by_id
from loyaldesk.web.console.journeys_words import page_context
from loyaldesk.web.console.loyalty_forms import FormDep
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import Console, ConsoleDep
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)

TaskId = Annotated[int, Path(ge=1, le=2**62)]
KINDS = {
    "scheduled": "decided or foretold by a date",
    "campaign": "a campaign's run",
    "average": "a daily average of the last 7 days (started by events)",
}


@router.get("/console/{store_slug}/journeys/calendar", response_class=HTMLResponse)
def calendar_page(
    request: Request,
    console: ConsoleDep,
    runtime: RuntimeDep,
    days: Annotated[int, Query(ge=1, le=MAX_DAYS)] = 14,
    start: Annotated[int, Query(ge=0, le=MAX_DAYS - 1)] = 0,
) -> Response:
    """``days`` days from ``start`` days after today: what goes out, by channel, with collisions."""
    console.require(Permission.VIEW_JOURNEYS)
    days = min(days, MAX_DAYS - start)
    with runtime.database.read() as session:
        store = store_by_id(session, console.store.id)
        grid = calendar(session, store, runtime.clock.now(), days=start + days)[start:]
    later = start + days
    return render(
        request,
        "journeys/calendar.html",
        page_context(
            console,
            "calendar",
            grid=grid,
            channels=list(Channel),
            days=days,
            previous=max(0, start - days) if start > 0 else None,
            next=later if later < MAX_DAYS else None,
            kinds=KINDS,
            store=store,
        ),
    )


def _may_do_tasks(console: Console) -> None:
    if not (console.can(Permission.VIEW_JOURNEYS) or console.can(Permission.ANSWER_CONVERSATIONS)):
        raise PermissionDenied("your role may not see the team's tasks")


@router.get("/console/{store_slug}/journeys/tasks", response_class=HTMLResponse)
def tasks_page(
    request: Request,
    console: ConsoleDep,
    runtime: RuntimeDep,
    done: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    """The open tasks rules created, soonest due first."""
    _may_do_tasks(console)
    with runtime.database.read() as session:
        tasks = open_tasks(session, console.store.id)
    return render(
        request,
        "journeys/tasks.html",
        page_context(
            console,
            "tasks",
            tasks=tasks,
            current=runtime.clock.now(),
            can_close=console.can(Permission.MANAGE_JOURNEYS) or console.can(Permission.ANSWER_CONVERSATIONS),
            flash="Task done." if done == "1" else None,
        ),
    )


@router.post("/console/{store_slug}/journeys/tasks/{task_id:int}/done")
def task_done(console: ConsoleDep, runtime: RuntimeDep, form: FormDep, task_id: TaskId) -> Response:
    """Mark a task done."""
    console.check_csrf(str(form.get("csrf_token") or ""))
    if not (console.can(Permission.MANAGE_JOURNEYS) or console.can(Permission.ANSWER_CONVERSATIONS)):
        raise PermissionDenied("your role may not close the team's tasks")
    runtime.database.write(complete_task, console.actor, console.store.id, task_id)
    return RedirectResponse(f"/console/{console.store.slug}/journeys/tasks?done=1", status_code=303)
