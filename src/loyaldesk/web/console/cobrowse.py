"""Co-browsing in the console: asking a shopper to see their page from a conversation, and the page on
which the agent watches it (``static/cobrowse-console.js``: rrweb's replayer, live, over the calls socket).

``POST /console/{store}/inbox/{conversation_id}/cobrowse`` asks (``calls.request_session``; asking again
returns the open session) and goes to ``GET /console/{store}/cobrowse/{session_id}``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from loyaldesk import calls
from loyaldesk.kernel.errors import NotFound
from loyaldesk.stores import Permission
from loyaldesk.support import queries as support_queries
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import ConsoleDep
from loyaldesk.web.deps import RuntimeDep
from loyaldesk.web.vendor import MISSING_MESSAGE, RRWEB_MODULE, RRWEB_STYLESHEET, rrweb_dist_dir

router = APIRouter(include_in_schema=False)

RowId = Annotated[int, Path(ge=1, le=2**62)]

# The replayed page is the shopper's: its stylesheets are rebuilt as <style> elements and style attributes
# inside the replayer's frame (sandboxed, no scripts), and its pictures come from the store's own site.
COBROWSE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob: http: https:; font-src 'self' data: http: https:; media-src 'none'; "
    "connect-src 'self'; frame-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


@router.post("/console/{store_slug}/inbox/{conversation_id}/cobrowse")
async def ask_to_see_page(
    runtime: RuntimeDep,
    console: ConsoleDep,
    conversation_id: RowId,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    console.check_csrf(csrf_token)
    console.require(Permission.ANSWER_CONVERSATIONS)
    view = await runtime.database.write_async(
        calls.request_session, console.actor, conversation_id=conversation_id, kind=calls.CallKind.COBROWSE
    )
    return RedirectResponse(f"/console/{console.store.slug}/cobrowse/{view.id}", status_code=303)


@router.get("/console/{store_slug}/cobrowse/{session_id}", response_class=HTMLResponse)
def cobrowse_page(request: Request, runtime: RuntimeDep, console: ConsoleDep, session_id: RowId) -> Response:
    console.require(Permission.ANSWER_CONVERSATIONS)
    with runtime.database.read() as session:
        view = calls.session_view(session, console.store.id, session_id)
        if view.kind != calls.CallKind.COBROWSE:
            raise NotFound("no such co-browsing session")
        conversation: Any = (
            support_queries.conversation_of(session, console.store.id, view.conversation_id)
            if view.conversation_id
            else None
        )
    ready = rrweb_dist_dir(runtime.settings) is not None
    response = render(
        request,
        "calls/cobrowse.html",
        {
            "console": console,
            "section": "inbox",
            "call": view,
            "conversation": conversation,
            "rrweb_module": RRWEB_MODULE if ready else "",
            "rrweb_stylesheet": RRWEB_STYLESHEET,
            "missing_message": None if ready else MISSING_MESSAGE,
        },
    )
    response.headers["content-security-policy"] = COBROWSE_CSP
    response.headers["x-frame-options"] = "DENY"
    return response
