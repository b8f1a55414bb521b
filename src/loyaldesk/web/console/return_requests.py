"""``/console/{store}/returns``: the returns shoppers started through the assistant, for the team: each
with its order, customer, status, the end of its return window and the conversation it came from."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from loyaldesk.assistant.tools import ReturnStatus, return_requests
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
        },
    )
