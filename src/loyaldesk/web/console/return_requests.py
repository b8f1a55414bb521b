"""``/console/{store}/returns``: the returns shoppers started through the assistant, for the team: each
with its order, customer, status, the end of its return window and the conversation it came from."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from loyaldesk.assistant.tools import NEXT_STATUSES, ReturnStatus, change_return_status, return_requests
from loyaldesk.kernel.errors import Conflict, Invalid
from loyaldesk.kernel.pagination import decode_cursor
from loyaldesk.stores import Permission
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import ConsoleDep
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)


@router.get("/console/{store_slug}/returns", response_class=HTMLResponse)
def returns_page(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    status: Annotated[ReturnStatus | None, Query()] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    notice: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    console.require(Permission.VIEW_ORDERS)
    with runtime.database.read() as session:
        rows, next_cursor = return_requests(
            session, console.store.id, status=status, before_id=decode_cursor(cursor), limit=50
        )
    return render(
        request,
        "returns/list.html",
        {
            "console": console,
            "section": "returns",
            "rows": rows,
            "status": status,
            "statuses": list(ReturnStatus),
            "next_cursor": next_cursor,
            "next_statuses": NEXT_STATUSES,
            "notice": notice or "",
            "may_change": console.can(Permission.ANSWER_CONVERSATIONS),
        },
    )


@router.post("/console/{store_slug}/returns/{return_id}/status")
async def change_status(
    runtime: RuntimeDep,
    console: ConsoleDep,
    return_id: Annotated[int, Path(ge=1, le=2**62)],
    status: Annotated[str, Form(max_length=20)] = "",
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """Accept, decline or close a return request; back to the list with what happened."""
    console.check_csrf(csrf_token)
    console.require(Permission.ANSWER_CONVERSATIONS)
    try:
        chosen = ReturnStatus(status)
    except ValueError:
        raise Invalid.field("status", "choose accepted, declined or closed") from None
    try:
        await runtime.database.write_async(
            change_return_status, console.actor, console.store.id, return_id, chosen
        )
    except Conflict as error:
        notice = str(error).capitalize() + "."
    else:
        notice = f"Return request R-{return_id} is now {chosen.label.lower()}."
    return RedirectResponse(f"/console/{console.store.slug}/returns?notice={quote(notice)}", status_code=303)
