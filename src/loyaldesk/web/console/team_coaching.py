"""``/console/{store}/team/coaching``: an agent's own low-rated conversations (detractor answers that
name them) with the customer's comment, the conversation, and the private notes their team lead or a
manager left; ``/coaching/{staff_id}`` is that list for the agent's lead or a manager, who may add a
note. Other agents never see another's list or notes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from loyaldesk.feedback.team import add_coaching_note, low_rated, may_coach, staff_member, staff_of
from loyaldesk.feedback.team.coaching import MAX_NOTE
from loyaldesk.kernel.errors import Invalid, NotFound, PermissionDenied
from loyaldesk.stores import Permission
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import Console, ConsoleDep
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)

StaffId = Annotated[int, Path(ge=1, le=2**62)]


def _page(
    request: Request,
    runtime: RuntimeDep,
    console: Console,
    agent_id: int,
    *,
    note_errors: dict[int, str] | None = None,
    typed: dict[int, str] | None = None,
    status_code: int = 200,
) -> Response:
    viewer = console.actor
    own = agent_id == viewer.id
    with runtime.database.read() as session:
        agent = staff_member(session, console.store.id, agent_id)
        if agent is None:
            raise NotFound("no such staff member in this store")
        coach = may_coach(session, console.store.id, viewer.id or 0, console.access.role, agent_id)
        if not own and not coach:
            raise PermissionDenied("only the agent, their team lead or a manager sees an agent's coaching")
        rows = low_rated(session, console.store.id, agent_id)
        coachable = [
            member
            for member in staff_of(session, console.store.id)
            if member.answers_conversations
            and member.id != viewer.id
            and may_coach(session, console.store.id, viewer.id or 0, console.access.role, member.id)
        ]
    return render(
        request,
        "team/coaching.html",
        {
            "console": console,
            "section": "team",
            "agent": agent,
            "own": own,
            "coach": coach,
            "rows": rows,
            "coachable": coachable,
            "note_errors": note_errors or {},
            "typed": typed or {},
            "max_note": MAX_NOTE,
            "noted": request.query_params.get("noted"),
        },
        status_code=status_code,
    )


@router.get("/console/{store_slug}/team/coaching", response_class=HTMLResponse)
def my_coaching(request: Request, runtime: RuntimeDep, console: ConsoleDep) -> Response:
    """The viewer's own low-rated conversations, with their coaches' notes."""
    console.require(Permission.VIEW_FEEDBACK)
    return _page(request, runtime, console, console.actor.id or 0)


@router.get("/console/{store_slug}/team/coaching/{staff_id:int}", response_class=HTMLResponse)
def agent_coaching(request: Request, runtime: RuntimeDep, console: ConsoleDep, staff_id: StaffId) -> Response:
    """An agent's list: for the agent themselves, their team lead, or a manager (403 for anyone else)."""
    console.require(Permission.VIEW_FEEDBACK)
    return _page(request, runtime, console, staff_id)


@router.post("/console/{store_slug}/team/coaching/{staff_id:int}/notes")
async def post_note(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    staff_id: StaffId,
    response_id: Annotated[int, Form(ge=1, le=2**62)],
    note: Annotated[str, Form(max_length=10_000)] = "",
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """A lead's or manager's private note on one of the agent's low-rated answers; back to the list.
    Refused (403) for anyone else, before anything is read; an empty note shows the list again (422)."""
    console.check_csrf(csrf_token)
    console.require(Permission.ANSWER_CONVERSATIONS)
    with runtime.database.read() as session:
        if not may_coach(session, console.store.id, console.actor.id or 0, console.access.role, staff_id):
            raise PermissionDenied("only the agent's team lead or a manager leaves coaching notes")
    try:
        await runtime.database.write_async(
            add_coaching_note, console.actor, console.store.id, response_id, note
        )
    except Invalid as error:
        reason = error.problems[0].reason if error.problems else str(error)
        return _page(
            request,
            runtime,
            console,
            staff_id,
            note_errors={response_id: reason},
            typed={response_id: note},
            status_code=422,
        )
    return RedirectResponse(
        f"/console/{console.store.slug}/team/coaching/{staff_id}?noted={response_id}#answer-{response_id}",
        status_code=303,
    )
