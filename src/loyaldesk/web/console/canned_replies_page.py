"""Canned replies (Inbox settings): the list, a new reply, deleting one. Served under the inbox's router."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import Field

from loyaldesk.kernel.errors import Conflict, Invalid
from loyaldesk.stores import Permission
from loyaldesk.support import queries
from loyaldesk.support.actions import canned_replies
from loyaldesk.support.rules import CANNED_VARIABLES
from loyaldesk.web.console.forms import ConsoleForm, FormState, blank_form, read_form
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import Console, ConsoleDep
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)

RowId = Annotated[int, Path(ge=1, le=2**62)]


class CannedReplyForm(ConsoleForm):
    """A new canned reply (or a changed one, with ``reply_id``)."""

    shortcut: str = Field(
        title="Shortcut", min_length=1, max_length=40, description="Typed after / in the composer."
    )
    title: str = Field(title="Title", min_length=1, max_length=120)
    body: str = Field(title="Text", min_length=1, max_length=10_000, json_schema_extra={"widget": "textarea"})
    reply_id: int | None = Field(default=None, ge=1, le=2**62, json_schema_extra={"widget": "hidden"})


def _page(
    request: Request, runtime: RuntimeDep, console: Console, state: FormState, status_code: int = 200
) -> Response:
    with runtime.database.read() as session:
        replies = queries.canned_replies_of(session, console.store.id)
    return render(
        request,
        "inbox/canned.html",
        {
            "console": console,
            "section": "inbox",
            "replies": replies,
            "variables": CANNED_VARIABLES,
            "can_answer": console.can(Permission.ANSWER_CONVERSATIONS),
            "form": state,
        },
        status_code=status_code,
    )


@router.get("/console/{store_slug}/inbox-settings/canned", response_class=HTMLResponse)
def canned_page(request: Request, runtime: RuntimeDep, console: ConsoleDep) -> Response:
    console.require(Permission.VIEW_CONVERSATIONS)
    return _page(request, runtime, console, blank_form(CannedReplyForm))


@router.post("/console/{store_slug}/inbox-settings/canned")
async def save_canned(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """Saves the reply and goes back to the list; a refused reply shows the form again (422) with
    each problem beside its input."""
    console.check_csrf(csrf_token)
    console.require(Permission.ANSWER_CONVERSATIONS)
    reply, state = read_form(CannedReplyForm, await request.form())
    if reply is not None:
        try:
            await runtime.database.write_async(
                canned_replies.save_canned_reply,
                console.actor,
                console.store.id,
                shortcut=reply.shortcut,
                title=reply.title,
                body=reply.body,
                reply_id=reply.reply_id,
            )
        except Invalid as error:
            state.fail(error)
        except Conflict as error:
            state.fail(error, field="shortcut")
    if state.invalid:
        state.refuse_for_scripts(request)
        return _page(request, runtime, console, state, status_code=state.status)
    return RedirectResponse(f"/console/{console.store.slug}/inbox-settings/canned", status_code=303)


@router.post("/console/{store_slug}/inbox-settings/canned/{reply_id}/delete")
async def delete_canned(
    runtime: RuntimeDep,
    console: ConsoleDep,
    reply_id: RowId,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    console.check_csrf(csrf_token)
    await runtime.database.write_async(
        canned_replies.delete_canned_reply, console.actor, console.store.id, reply_id
    )
    return RedirectResponse(f"/console/{console.store.slug}/inbox-settings/canned", status_code=303)
