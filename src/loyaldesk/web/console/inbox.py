"""The agent inbox: the live list of conversations, one conversation with its composer, and beside it
the customer's whole picture. The page works without JavaScript (forms); ``inbox.js`` makes it live
(WebSocket updates, keyboard shortcuts, canned replies) through the JSON routes below."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, File, Form, Header, Path, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import AwareDatetime

from loyaldesk.customers import goodwill_rewards
from loyaldesk.kernel.errors import FieldProblem, Invalid, NotFound
from loyaldesk.realtime.stream import latest_event_id
from loyaldesk.stores import Permission
from loyaldesk.support import (
    PRIORITIES,
    GoodwillGrant,
    actions,
    attachment_for_staff,
    inbox_attention,
    queries,
    render_canned_reply,
)
from loyaldesk.support.actions import goodwill
from loyaldesk.support.queries import outbox as email_outbox
from loyaldesk.web.console import canned_replies_page, inbox_picks, intent_labels
from loyaldesk.web.console.rendering import render, render_fragment
from loyaldesk.web.console.session import Console, ConsoleDep
from loyaldesk.web.deps import RuntimeDep
from loyaldesk.web.file_download import download_response, read_uploads
from loyaldesk.web.vendor import MISSING_MESSAGE, rrweb_dist_dir

router = APIRouter(include_in_schema=False)

# Ids in paths: out of the database's range is refused here, not by the database.
ConversationId = Annotated[int, Path(ge=1, le=2**62)]
RowId = Annotated[int, Path(ge=1, le=2**62)]

VIEW_TITLES = {"mine": "Mine", "unassigned": "Unassigned", "all": "All"}
STATUS_TITLES = {
    "active": "Needs attention",
    "open": "Open",
    "pending": "Pending",
    "snoozed": "Snoozed",
    "resolved": "Resolved",
    "closed": "Closed",
}


def _inbox_rows(
    runtime: Any,
    console: Console,
    view: str,
    status: str,
    q: str | None,
    label: str | None,
    team: int | None,
    sort: str = "priority",
) -> Any:
    with runtime.database.read() as session:
        return queries.inbox(
            session,
            console.store.id,
            viewer_id=console.login.account.id,
            view=view if view in queries.INBOX_VIEWS else "all",
            status=status if status in queries.INBOX_STATUSES else "active",
            label=label or None,
            team_id=team,
            sort="due" if sort == "due" else "priority",
            search=q,
        )


@router.get("/console/{store_slug}/inbox", response_class=HTMLResponse)
def inbox_page(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    view: Annotated[str, Query(max_length=20)] = "all",
    status: Annotated[str, Query(max_length=20)] = "active",
    q: Annotated[str | None, Query(max_length=200)] = None,
    label: Annotated[str | None, Query(max_length=40)] = None,
    team: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    sort: Annotated[str, Query(max_length=10)] = "priority",
    c: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    given: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> Response:
    """The inbox; ``c`` opens a conversation, ``given`` confirms the goodwill just given in it."""
    console.require(Permission.VIEW_CONVERSATIONS)
    with runtime.database.read() as session:
        # Read before anything the page shows: the live inbox resumes its socket from here, so what
        # happens between this page's rendering and the socket's start still arrives (once).
        last_event_id = latest_event_id(session, console.store.id)
    rows = _inbox_rows(runtime, console, view, status, q, label, team, sort)
    context: dict[str, Any] = {
        "last_event_id": last_event_id,
        "console": console,
        "section": "inbox",
        "rows": rows,
        "view": view,
        "status": status,
        "q": q or "",
        "label": label or "",
        "team": team,
        "sort": "due" if sort == "due" else "priority",
        "can_manage": console.can(Permission.MANAGE_SUPPORT),
        "view_titles": VIEW_TITLES,
        "status_titles": STATUS_TITLES,
        "can_answer": console.can(Permission.ANSWER_CONVERSATIONS),
        "priorities": PRIORITIES,
        "now": runtime.clock.now(),
    }
    with runtime.database.read() as session:
        context["teams"] = queries.teams_of(session, console.store.id)
        context["attention"] = inbox_attention(session, console.store.id, console.login.account.id)
    if c is not None:
        with runtime.database.read() as session:
            conversation = queries.conversation_of(session, console.store.id, c)
            picture = queries.customer_picture(session, conversation)
            context.update(
                {
                    "conversation": conversation,
                    "state": queries.conversation_view(session, conversation, for_staff=True),
                    "messages": queries.messages_of(session, conversation.id, include_internal=True),
                    "picture": picture,
                    "agents": queries.desk_agents(session, console.store.id),
                    "canned": queries.canned_replies_of(session, console.store.id),
                    "email_states": email_outbox.email_state(session, conversation.id),
                    "tasks": queries.tasks_of(session, conversation.id),
                    "goodwill_rewards": goodwill_rewards(session, console.store.id),
                    "by_email": email_outbox.follows_by_email(conversation),
                    **intent_labels.context(session, console, conversation.id),
                }
            )
            if given is not None:
                context["goodwill_given"] = _goodwill_given(
                    session, conversation.id, given, context["picture"]
                )
    if c is not None:  # the goodwill budget, "Likely next" and a gesture for the top pick
        context.update(inbox_picks.sidebar(runtime, console, context["picture"], context["goodwill_rewards"]))
    context["cobrowse_missing"] = MISSING_MESSAGE if rrweb_dist_dir(runtime.settings) is None else None
    return render(request, "inbox/inbox.html", context)


@router.get("/console/{store_slug}/inbox.json")
def inbox_json(
    runtime: RuntimeDep,
    console: ConsoleDep,
    view: Annotated[str, Query(max_length=20)] = "all",
    status: Annotated[str, Query(max_length=20)] = "active",
    q: Annotated[str | None, Query(max_length=200)] = None,
    label: Annotated[str | None, Query(max_length=40)] = None,
    team: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    sort: Annotated[str, Query(max_length=10)] = "priority",
    c: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> JSONResponse:
    """The list as JSON for the live inbox to redraw itself: the rows as data and as rendered (``html``; ``c``
    marks the open one), and what the agent must not miss (``attention``: unassigned, waiting for them)."""
    console.require(Permission.VIEW_CONVERSATIONS)
    rows = _inbox_rows(runtime, console, view, status, q, label, team, sort)
    with runtime.database.read() as session:
        attention = inbox_attention(session, console.store.id, console.login.account.id)
    html = render_fragment(
        "inbox/_rows.html",
        {
            "rows": rows,
            "inbox_base": f"/console/{console.store.slug}/inbox",
            "view": view,
            "status": status,
            "team": team,
            "sort": "due" if sort == "due" else "priority",
            "current_id": c,
            "store": console.store,
            "now": runtime.clock.now(),
        },
    )
    return JSONResponse(
        {"conversations": [row.as_json() for row in rows], "html": html, "attention": attention.as_json()}
    )


@router.get("/console/{store_slug}/inbox/{conversation_id}/messages.json")
def messages_json(runtime: RuntimeDep, console: ConsoleDep, conversation_id: ConversationId) -> JSONResponse:
    console.require(Permission.VIEW_CONVERSATIONS)
    with runtime.database.read() as session:
        conversation = queries.conversation_of(session, console.store.id, conversation_id)
        return JSONResponse(
            {
                "conversation": queries.conversation_view(session, conversation, for_staff=True),
                "messages": queries.messages_of(session, conversation.id, include_internal=True),
            }
        )


def _message_html(runtime: Any, console: Console, session: Any, conversation_id: int, message: Any) -> str:
    """One message as the page renders it (``inbox/_message.html``)."""
    return render_fragment(
        "inbox/_message.html",
        {
            "message": message,
            "inbox_base": f"/console/{console.store.slug}/inbox",
            "conversation_id": conversation_id,
            "email_states": email_outbox.email_state(session, conversation_id),
            "store": console.store,
            "now": runtime.clock.now(),
            **intent_labels.context(session, console, conversation_id),
        },
    )


@router.get(
    "/console/{store_slug}/inbox/{conversation_id}/messages/{message_id}", response_class=HTMLResponse
)
def message_fragment(
    runtime: RuntimeDep, console: ConsoleDep, conversation_id: int, message_id: int
) -> Response:
    """One message of the store's conversation as the page shows it, for the live inbox to insert."""
    console.require(Permission.VIEW_CONVERSATIONS)
    with runtime.database.read() as session:
        conversation = queries.conversation_of(session, console.store.id, conversation_id)
        message = queries.one_message(session, message_id)
        if message["conversation_id"] != conversation.id:
            raise NotFound("no such message")
        return HTMLResponse(_message_html(runtime, console, session, conversation.id, message))


def _redirect_back(console: Console, conversation_id: int) -> RedirectResponse:
    return RedirectResponse(f"/console/{console.store.slug}/inbox?c={conversation_id}", status_code=303)


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


@router.post("/console/{store_slug}/inbox/{conversation_id}/messages")
async def post_message(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    conversation_id: ConversationId,
    body: Annotated[str, Form(max_length=20_000)] = "",
    internal: Annotated[bool, Form()] = False,
    client_message_id: Annotated[str | None, Form(max_length=64)] = None,
    csrf_token: Annotated[str | None, Form()] = None,
    x_csrf_token: Annotated[str | None, Header()] = None,
    files: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    """Reply to the customer, or add an internal note (``internal``), with up to three files."""
    console.check_csrf(csrf_token or x_csrf_token)
    uploads = await read_uploads(files or [])
    message = await runtime.database.write_async(
        actions.post_agent_message,
        console.actor,
        conversation_id,
        body=body,
        internal=internal,
        client_message_id=client_message_id or None,
        files=uploads,
    )
    if _wants_json(request):
        with runtime.database.read() as session:
            view = queries.one_message(session, message.id)
            view["html"] = _message_html(runtime, console, session, message.conversation_id, view)
        return JSONResponse(view, status_code=201)
    return _redirect_back(console, conversation_id)


@router.get("/console/{store_slug}/inbox/{conversation_id}/attachments/{attachment_id}")
def download_attachment(
    runtime: RuntimeDep, console: ConsoleDep, conversation_id: ConversationId, attachment_id: RowId
) -> Response:
    """A file of a conversation, as a download, for anyone who may read the store's conversations."""
    console.require(Permission.VIEW_CONVERSATIONS)
    with runtime.database.read() as session:
        row = attachment_for_staff(session, console.store.id, conversation_id, attachment_id)
        return download_response(row.filename, row.content_type, row.data)


@router.post("/console/{store_slug}/inbox/{conversation_id}/goodwill")
async def give_goodwill(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    conversation_id: ConversationId,
    reason: Annotated[str, Form(max_length=300)],
    points: Annotated[str, Form(max_length=10)] = "",
    reward_id: Annotated[str, Form(max_length=20)] = "",
    csrf_token: Annotated[str | None, Form()] = None,
    x_csrf_token: Annotated[str | None, Header()] = None,
) -> Response:
    """Give the conversation's customer goodwill points, or a reward's code (``reward_id``), within the
    agent's monthly budget."""
    console.check_csrf(csrf_token or x_csrf_token)
    conversation = await _conversation_here(runtime, console, conversation_id)
    try:
        reward = int(reward_id) if reward_id.strip() else None
        amount = int(points) if points.strip() and reward is None else None
    except ValueError:
        raise Invalid("not a number", [FieldProblem("points", "a whole number of points")]) from None
    if reward is None and amount is None:
        raise Invalid("say what to give", [FieldProblem("points", "give points, or choose a reward")])
    grant = await runtime.database.write_async(
        goodwill.grant_goodwill,
        console.actor,
        conversation.id,
        points=amount,
        reward_id=reward,
        reason=reason,
    )
    if _wants_json(request):

        def confirmation() -> dict[str, Any]:
            with runtime.database.read() as session:
                picture = queries.customer_picture(session, conversation)
            balance = picture.loyalty.points if picture.loyalty else None
            with runtime.database.read() as session:
                budget = goodwill.goodwill_budget(
                    session,
                    console.store.id,
                    console.login.account.id,
                    console.access.role,
                    runtime.clock.now(),
                )
            return {
                "points": grant.points,
                "code": grant.code,
                "reward_name": grant.reward_name,
                "balance": balance,
                "budget_left": budget.left,
                "budget_limit": budget.limit,
                "message": goodwill_confirmation(grant, picture.name, balance),
            }

        return JSONResponse(await anyio.to_thread.run_sync(confirmation), status_code=201)
    return RedirectResponse(
        f"/console/{console.store.slug}/inbox?c={conversation_id}&given={grant.id}", status_code=303
    )


def goodwill_confirmation(grant: GoodwillGrant, customer_name: str, balance: int | None) -> str:
    """What the agent just gave, in words: the confirmation shown beside the goodwill form."""
    gift = f"the reward {grant.reward_name}, code {grant.code}" if grant.code else f"{grant.points:,} points"
    text = f"You gave {customer_name} {gift}: “{grant.reason}”."
    if balance is not None and not grant.code:
        text += f" Their balance is now {balance:,} points."
    return text


def _goodwill_given(session: Any, conversation_id: int, grant_id: int, picture: Any) -> str | None:
    """The confirmation of a grant made in this conversation (after the form's redirect), else None."""
    grant = session.get(GoodwillGrant, grant_id)
    if grant is None or grant.conversation_id != conversation_id:
        return None
    balance = picture.loyalty.points if picture.loyalty else None
    return goodwill_confirmation(grant, picture.name, balance)


@router.post("/console/{store_slug}/inbox/{conversation_id}/tasks/{task_id}/done")
async def task_done(
    runtime: RuntimeDep,
    console: ConsoleDep,
    conversation_id: ConversationId,
    task_id: RowId,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    console.check_csrf(csrf_token)
    await _conversation_here(runtime, console, conversation_id)
    await runtime.database.write_async(goodwill.complete_task, console.actor, console.store.id, task_id)
    return _redirect_back(console, conversation_id)


async def _conversation_here(runtime: Any, console: Console, conversation_id: int) -> Any:
    """The conversation, if it is of the console's store (``NotFound`` otherwise)."""

    def read() -> Any:
        with runtime.database.read() as session:
            return queries.conversation_of(session, console.store.id, conversation_id)

    return await anyio.to_thread.run_sync(read)


@router.post("/console/{store_slug}/inbox/{conversation_id}/status")
async def change_status(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    conversation_id: ConversationId,
    status: Annotated[str, Form(max_length=20)],
    snoozed_until: Annotated[AwareDatetime | None, Form()] = None,
    snooze_hours: Annotated[int | None, Form(ge=1, le=24 * 90)] = None,
    csrf_token: Annotated[str | None, Form()] = None,
    x_csrf_token: Annotated[str | None, Header()] = None,
) -> Response:
    console.check_csrf(csrf_token or x_csrf_token)
    until: datetime | None = snoozed_until
    if until is None and snooze_hours is not None:
        from datetime import timedelta

        until = runtime.clock.now() + timedelta(hours=snooze_hours)
    conversation = await runtime.database.write_async(
        actions.change_status, console.actor, conversation_id, status, snoozed_until=until
    )
    if _wants_json(request):
        return JSONResponse({"status": conversation.status})
    return _redirect_back(console, conversation_id)


@router.post("/console/{store_slug}/inbox/{conversation_id}/assign")
async def assign(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    conversation_id: ConversationId,
    assignee_id: Annotated[str, Form(max_length=20)] = "",
    team_id: Annotated[str, Form(max_length=20)] = "keep",
    csrf_token: Annotated[str | None, Form()] = None,
    x_csrf_token: Annotated[str | None, Header()] = None,
) -> Response:
    """Assign to a staff member (``assignee_id``; ``me``; empty: unassign) and a team (``team_id``;
    empty: no team; ``keep`` or absent: unchanged)."""
    console.check_csrf(csrf_token or x_csrf_token)
    team: int | None
    if team_id == "keep":
        team = actions.KEEP_TEAM
    elif team_id.strip():
        try:
            team = int(team_id)
        except ValueError:
            raise NotFound("no such team") from None
    else:
        team = None
    target: int | None
    if assignee_id == "me":
        target = console.login.account.id
    elif assignee_id.strip():
        try:
            target = int(assignee_id)
        except ValueError:
            raise NotFound("no such agent") from None
    else:
        target = None
    conversation = await runtime.database.write_async(
        actions.assign, console.actor, conversation_id, assignee_id=target, team_id=team
    )
    if _wants_json(request):
        return JSONResponse({"assignee_id": conversation.assignee_id})
    return _redirect_back(console, conversation_id)


@router.post("/console/{store_slug}/inbox/{conversation_id}/details")
async def update_details(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    conversation_id: ConversationId,
    priority: Annotated[str | None, Form(max_length=10)] = None,
    labels: Annotated[str | None, Form(max_length=1000)] = None,
    csrf_token: Annotated[str | None, Form()] = None,
    x_csrf_token: Annotated[str | None, Header()] = None,
) -> Response:
    """Priority and labels (comma-separated)."""
    console.check_csrf(csrf_token or x_csrf_token)
    label_list = [item for item in labels.split(",")] if labels is not None else None
    await runtime.database.write_async(
        actions.update_conversation,
        console.actor,
        conversation_id,
        priority=priority or None,
        labels=label_list,
    )
    if _wants_json(request):
        return JSONResponse({"ok": True})
    return _redirect_back(console, conversation_id)


@router.get("/console/{store_slug}/inbox/{conversation_id}/canned/{reply_id}")
def fill_canned_reply(
    runtime: RuntimeDep, console: ConsoleDep, conversation_id: ConversationId, reply_id: RowId
) -> JSONResponse:
    """A canned reply with its variables filled for this conversation's customer."""
    console.require(Permission.ANSWER_CONVERSATIONS)
    with runtime.database.read() as session:
        conversation = queries.conversation_of(session, console.store.id, conversation_id)
        replies = queries.canned_replies_of(session, console.store.id)
        reply = next((r for r in replies if r.id == reply_id), None)
        if reply is None:
            raise NotFound("no such canned reply")
        picture = queries.customer_picture(session, conversation)
        values = queries.canned_reply_values(
            session, conversation, picture, console.login.account.name, console.store.name
        )
    return JSONResponse({"body": render_canned_reply(reply.body, values)})


router.include_router(canned_replies_page.router)
