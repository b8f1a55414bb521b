"""The widget's web push routes: the store's public VAPID key, a signed-in shopper's browser subscribing
and unsubscribing (proved by the widget ticket of an identified contact), and the service worker file a
store copies to its own site (``channels.push``; decision 0026)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from loyaldesk.channels import push
from loyaldesk.kernel import rate_limits
from loyaldesk.stores import store_by_slug
from loyaldesk.web.deps import RuntimeDep, client_ip
from loyaldesk.web.widget.routes import StoreSlug, _ticket_holder

router = APIRouter()

SERVICE_WORKER = Path(__file__).resolve().parent.parent / "static" / "widget" / "push-worker.js"
Ticket = Annotated[str, Field(max_length=512, description="The widget ticket from the socket's welcome.")]


class SubscribeIn(push.PushSubscriptionIn):
    """``PushSubscription.toJSON()`` of the browser, with the widget's ticket."""

    ticket: Ticket


class UnsubscribeIn(BaseModel):
    ticket: Ticket
    endpoint: str = Field(max_length=2048)


@router.get(
    "/widget-api/v1/{store_slug}/push/key",
    tags=["widget"],
    summary="The store's public VAPID key for pushManager.subscribe (404: the store has push off)",
)
def push_key(runtime: RuntimeDep, store_slug: StoreSlug) -> JSONResponse:
    with runtime.database.read() as session:
        store = store_by_slug(session, store_slug)
        key = push.public_key_of(session, store.id)
    return JSONResponse({"public_key": key}, headers={"Cache-Control": "public, max-age=300"})


def _limited(runtime: RuntimeDep, request: Request, contact_id: int) -> None:
    runtime.rate_limits.hit_all(
        (rate_limits.WIDGET_ACTIONS_PER_CONTACT, contact_id),
        (rate_limits.WIDGET_MESSAGES_PER_ADDRESS, client_ip(request)),
    )


@router.post(
    "/widget-api/v1/{store_slug}/push/subscriptions",
    tags=["widget"],
    status_code=201,
    summary="Subscribe the signed-in shopper's browser to the store's notifications",
)
async def subscribe(
    request: Request, runtime: RuntimeDep, store_slug: StoreSlug, given: SubscribeIn
) -> JSONResponse:
    """Only for a shopper the store identified (anonymous visitors: 403). Records push consent."""
    store_id, contact_id = await anyio.to_thread.run_sync(
        _ticket_holder, runtime, store_slug, given.ticket, request
    )
    _limited(runtime, request, contact_id)
    row = await runtime.database.write_async(
        push.subscribe,
        store_id,
        contact_id,
        given,
        user_agent=request.headers.get("user-agent", ""),
    )
    return JSONResponse({"id": row.id}, status_code=201)


@router.delete(
    "/widget-api/v1/{store_slug}/push/subscriptions",
    tags=["widget"],
    status_code=204,
    summary="Forget the shopper's browser subscription (with none left, push consent is withdrawn)",
)
async def unsubscribe(
    request: Request, runtime: RuntimeDep, store_slug: StoreSlug, given: UnsubscribeIn
) -> Response:
    store_id, contact_id = await anyio.to_thread.run_sync(
        _ticket_holder, runtime, store_slug, given.ticket, request
    )
    _limited(runtime, request, contact_id)
    await runtime.database.write_async(push.unsubscribe, store_id, contact_id, given.endpoint)
    return Response(status_code=204)


@router.get("/widget/push/service-worker.js", include_in_schema=False)
def service_worker() -> Response:
    """The service worker for the store to copy to its own site's root (a worker must come from the
    page's origin); it shows loyaldesk's notifications and opens their link when clicked."""
    return Response(
        SERVICE_WORKER.read_bytes(),
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=86400"},
    )
