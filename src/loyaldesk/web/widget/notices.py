"""The widget's notices (``channels.widget``): the pending ones of the ticket's contact, and dismissing
one (an open for journeys; following its link, a click). Another contact's notices are never listed and
cannot be dismissed (404)."""

from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from loyaldesk.channels.widget import dismiss_notice, pending_notices
from loyaldesk.kernel import rate_limits
from loyaldesk.web.deps import RuntimeDep, client_ip
from loyaldesk.web.widget.routes import RowId, StoreSlug, _ticket_holder

router = APIRouter()


class DismissIn(BaseModel):
    ticket: str = Field(max_length=512, description="The widget ticket from the socket's welcome.")
    clicked: bool = Field(default=False, description="The shopper followed the notice's link.")


@router.get("/widget-api/v1/{store_slug}/notices", tags=["widget"], summary="The shopper's pending notices")
def notices(
    request: Request,
    runtime: RuntimeDep,
    store_slug: StoreSlug,
    ticket: Annotated[str, Query(max_length=512)],
) -> JSONResponse:
    """``{"notices": [{id, title, text, url, created_at}]}``, oldest first: text to show as text."""
    store_id, contact_id = _ticket_holder(runtime, store_slug, ticket, request)
    with runtime.database.read() as session:
        pending = pending_notices(session, store_id, contact_id, runtime.clock.now())
    return JSONResponse({"notices": pending}, headers={"Cache-Control": "no-store"})


@router.post(
    "/widget-api/v1/{store_slug}/notices/{notice_id}/dismiss",
    tags=["widget"],
    summary="The shopper closed a notice, or followed its link (clicked)",
)
async def dismiss(
    request: Request, runtime: RuntimeDep, store_slug: StoreSlug, notice_id: RowId, given: DismissIn
) -> JSONResponse:
    store_id, contact_id = await anyio.to_thread.run_sync(
        _ticket_holder, runtime, store_slug, given.ticket, request
    )
    runtime.rate_limits.hit_all(
        (rate_limits.WIDGET_ACTIONS_PER_CONTACT, contact_id),
        (rate_limits.WIDGET_MESSAGES_PER_ADDRESS, client_ip(request)),
    )
    await runtime.database.write_async(dismiss_notice, store_id, contact_id, notice_id, clicked=given.clicked)
    return JSONResponse({"dismissed": notice_id})
