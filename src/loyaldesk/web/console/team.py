"""``/console/{store}/team``: the team page (each agent's CSAT from the minimum volume on, with n and
its interval; conversations resolved; kudos and shout-outs; in name order, never ranked), an agent's
profile with their kudos and shout-outs (their own opening marks their kudos seen), the viewer's
recognition notices for the live inbox, and giving a shout-out about a conversation."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import Field

from loyaldesk.feedback.team import (
    MAX_MESSAGE,
    agent_profile,
    give_shoutout,
    mark_kudos_seen,
    staff_of,
    team_cards,
    unseen_kudos,
)
from loyaldesk.kernel.errors import Invalid, NotFound
from loyaldesk.stores import Permission
from loyaldesk.support import Conversation
from loyaldesk.web.console.forms import ConsoleForm, FormState, blank_form, read_form
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import Console, ConsoleDep
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)

PERIODS = {30: "Last 30 days", 90: "Last 90 days", 365: "Last 12 months"}
StaffId = Annotated[int, Path(ge=1, le=2**62)]


class ShoutoutForm(ConsoleForm):
    """A shout-out: who, about which conversation, and the words of thanks."""

    to_staff_id: int = Field(
        title="Who to thank", ge=1, le=2**62, json_schema_extra={"invalid": "choose someone"}
    )
    conversation_id: int = Field(
        title="Conversation number",
        ge=1,
        le=2**62,
        description="The conversation the shout-out is about (its number, #, in the inbox).",
        json_schema_extra={"invalid": "the conversation's number"},
    )
    message: str = Field(
        title="Your thanks",
        min_length=1,
        max_length=MAX_MESSAGE,
        description=f"Up to {MAX_MESSAGE} characters; they see it on their team profile.",
        json_schema_extra={"widget": "textarea", "attrs": {"rows": 3}},
    )


def _period(days: int) -> int:
    return days if days in PERIODS else 30


@router.get("/console/{store_slug}/team", response_class=HTMLResponse)
def team_page(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    days: Annotated[int, Query(ge=1, le=3650)] = 30,
) -> Response:
    console.require(Permission.VIEW_FEEDBACK)
    days = _period(days)
    until = runtime.clock.now()
    with runtime.database.read() as session:
        cards = team_cards(session, console.store.id, until - timedelta(days=days), until)
        unseen = unseen_kudos(session, console.store.id, console.actor.id or 0)
    return render(
        request,
        "team/team.html",
        {
            "console": console,
            "section": "team",
            "cards": cards,
            "days": days,
            "periods": PERIODS,
            "unseen": unseen,
            "min_answers": cards[0].min_answers if cards else None,
        },
    )


@router.get("/console/{store_slug}/team/notices.json")
def team_notices(runtime: RuntimeDep, console: ConsoleDep) -> Response:
    """For the live inbox: who is looking and how many of their kudos are new (it announces a kudos or
    shout-out event only when it is for this viewer)."""
    console.require(Permission.VIEW_FEEDBACK)
    staff_id = console.actor.id or 0
    with runtime.database.read() as session:
        unseen = unseen_kudos(session, console.store.id, staff_id)
    return JSONResponse(
        {
            "staff_id": staff_id,
            "unseen_kudos": unseen,
            "profile_url": f"/console/{console.store.slug}/team/{staff_id}",
        },
        headers={"Cache-Control": "no-store"},
    )


@router.get("/console/{store_slug}/team/{staff_id:int}", response_class=HTMLResponse)
async def profile_page(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    staff_id: StaffId,
    days: Annotated[int, Query(ge=1, le=3650)] = 30,
) -> Response:
    """An agent's profile; when it is the viewer's own, their kudos count as seen from now on (the
    page still marks the ones that were new)."""
    console.require(Permission.VIEW_FEEDBACK)
    days = _period(days)
    until = runtime.clock.now()
    with runtime.database.read() as session:
        profile = agent_profile(session, console.store.id, staff_id, until - timedelta(days=days), until)
    if profile is None:
        raise NotFound("no such staff member in this store")
    own = staff_id == console.actor.id
    if own and profile.unseen:
        await runtime.database.write_async(mark_kudos_seen, console.actor, console.store.id)
    return render(
        request,
        "team/profile.html",
        {
            "console": console,
            "section": "team",
            "profile": profile,
            "card": profile.card,
            "own": own,
            "days": days,
            "periods": PERIODS,
        },
    )


def _shoutout_page(
    request: Request, runtime: RuntimeDep, console: Console, state: FormState, status_code: int = 200
) -> Response:
    with runtime.database.read() as session:
        staff = [member for member in staff_of(session, console.store.id) if member.id != console.actor.id]
    choices = (("", "Choose…"), *((str(member.id), member.name) for member in staff))
    return render(
        request,
        "team/shoutout.html",
        {
            "console": console,
            "section": "team",
            "form": state,
            "recipient": state.field("to_staff_id", widget="select", choices=choices),
            "conversation_id": state.values.get("conversation_id"),
        },
        status_code=status_code,
    )


@router.get("/console/{store_slug}/team/shoutouts/new", response_class=HTMLResponse)
def new_shoutout(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    conversation_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> Response:
    """The shout-out form, about ``conversation_id`` when given (the inbox links here), its assignee
    chosen when that is someone else."""
    console.require(Permission.VIEW_FEEDBACK)
    values: dict[str, object] = {}
    if conversation_id is not None:
        values["conversation_id"] = conversation_id
        with runtime.database.read() as session:
            conversation = session.get(Conversation, conversation_id)
            if (
                conversation is not None
                and conversation.store_id == console.store.id
                and conversation.assignee_id
                and conversation.assignee_id != console.actor.id
            ):
                values["to_staff_id"] = conversation.assignee_id
    return _shoutout_page(request, runtime, console, blank_form(ShoutoutForm, values))


@router.post("/console/{store_slug}/team/shoutouts")
async def post_shoutout(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
) -> Response:
    """Gives the shout-out and shows the recipient's profile; a refused one shows the form again (422)
    with each reason beside its input, and nothing stored."""
    form = await request.form()
    console.check_csrf(str(form.get("csrf_token") or "") or None)
    console.require(Permission.VIEW_FEEDBACK)
    shoutout, state = read_form(ShoutoutForm, form)
    if shoutout is not None:
        try:
            await runtime.database.write_async(
                give_shoutout,
                console.actor,
                console.store.id,
                to_staff_id=shoutout.to_staff_id,
                conversation_id=shoutout.conversation_id,
                message=shoutout.message,
            )
        except Invalid as error:
            state.fail(error)
    if state.invalid or shoutout is None:
        state.refuse_for_scripts(request)
        return _shoutout_page(request, runtime, console, state, status_code=state.status)
    return RedirectResponse(
        f"/console/{console.store.slug}/team/{shoutout.to_staff_id}?given=1", status_code=303
    )
