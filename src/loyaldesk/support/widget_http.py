"""HTTP routes of the chat widget besides its WebSocket: the offline form, rating links, attachments'
downloads for the customer, and a demo store page that embeds the widget the way a store would."""

from __future__ import annotations

from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field

from loyaldesk.kernel.errors import NotAuthenticated, NotFound
from loyaldesk.stores import store_by_slug
from loyaldesk.support import actions, queries
from loyaldesk.support.models import Conversation, CsatResponse
from loyaldesk.web.console.rendering import render
from loyaldesk.web.deps import RuntimeDep

router = APIRouter()

StoreSlug = Annotated[str, Path(min_length=1, max_length=64)]


class OfflineMessageIn(BaseModel):
    visitor_token: str | None = Field(default=None, max_length=64)
    name: str = Field(max_length=200)
    email: str = Field(max_length=320)
    body: str = Field(max_length=20_000)


@router.post(
    "/widget-api/v1/{store_slug}/offline-messages",
    tags=["widget"],
    summary="Leave a message when no agent is online; the store answers by email.",
    status_code=201,
)
async def offline_message(
    runtime: RuntimeDep, store_slug: StoreSlug, message: OfflineMessageIn
) -> JSONResponse:
    def store_id() -> int:
        with runtime.database.read() as session:
            return store_by_slug(session, store_slug).id

    sid = await anyio.to_thread.run_sync(store_id)
    contact = await runtime.database.write_async(
        actions.identify_contact, sid, customer_id=None, visitor_token=message.visitor_token
    )
    conversation = await runtime.database.write_async(
        actions.submit_offline_message,
        sid,
        contact.contact_id,
        name=message.name,
        email=message.email,
        body=message.body,
    )
    result: dict[str, Any] = {"conversation_id": conversation.id, "status": conversation.status}
    if contact.new_visitor_token:
        result["visitor_token"] = contact.new_visitor_token
    return JSONResponse(result, status_code=201)


def _rating_context(runtime: Any, store_slug: str, conversation_id: int, token: str) -> dict[str, Any]:
    with runtime.database.read() as session:
        store = store_by_slug(session, store_slug)
        conversation = session.get(Conversation, conversation_id)
        if conversation is None or conversation.store_id != store.id:
            raise NotFound("no such conversation")
        if not actions.csat_link_matches(store.identity_secret, conversation_id, token):
            raise NotAuthenticated("this rating link is not valid")
        response = session.query(CsatResponse).filter_by(conversation_id=conversation_id).one_or_none()
        return {"store": store, "conversation": conversation, "response": response}


@router.get(
    "/csat/{store_slug}/{conversation_id}/{token}", response_class=HTMLResponse, include_in_schema=False
)
def rating_page(
    request: Request, runtime: RuntimeDep, store_slug: StoreSlug, conversation_id: int, token: str
) -> Response:
    """The rating form a customer reaches from a link (channels that are not live)."""
    context = _rating_context(runtime, store_slug, conversation_id, token)
    return render(request, "support/rating.html", {**context, "token": token, "thanks": False})


@router.post(
    "/csat/{store_slug}/{conversation_id}/{token}", response_class=HTMLResponse, include_in_schema=False
)
async def rate_by_link(
    request: Request,
    runtime: RuntimeDep,
    store_slug: StoreSlug,
    conversation_id: int,
    token: str,
    rating: Annotated[int, Form()],
    comment: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    context = await anyio.to_thread.run_sync(_rating_context, runtime, store_slug, conversation_id, token)
    await runtime.database.write_async(
        actions.submit_csat, conversation_id, rating=rating, comment=comment, contact_id=None
    )
    return render(request, "support/rating.html", {**context, "token": token, "thanks": True})


@router.get("/widget/{store_slug}/demo-shop", response_class=HTMLResponse, include_in_schema=False)
def demo_shop(
    request: Request,
    runtime: RuntimeDep,
    store_slug: StoreSlug,
    customer: Annotated[str | None, Query(max_length=255)] = None,
    signature: Annotated[str | None, Query(max_length=128)] = None,
) -> Response:
    """A page in the style of a store's own with the widget's script tag. ``?customer=<id>&signature=``
    embed a signed-in shopper the way the store's server would (loyaldesk never signs here: whoever
    opens the page must already hold the store's signature)."""
    with runtime.database.read() as session:
        store = store_by_slug(session, store_slug)
        settings = queries.settings_of(session, store.id)
    return render(
        request,
        "support/demo_shop.html",
        {"store": store, "customer": customer, "signature": signature, "settings": settings},
    )
