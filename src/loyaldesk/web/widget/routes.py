"""HTTP routes of the chat widget besides its WebSocket: the offline form, rating links, attachments'
downloads for the customer, and a demo store page that embeds the widget the way a store would."""

from __future__ import annotations

from typing import Annotated, Any

import anyio
from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field

from loyaldesk.customers import Customer
from loyaldesk.kernel import rate_limits
from loyaldesk.kernel.errors import DomainError, NotFound, PermissionDenied
from loyaldesk.kernel.i18n import negotiate, widget_messages
from loyaldesk.stores import store_by_slug
from loyaldesk.support import (
    Conversation,
    CsatResponse,
    actions,
    attachment_for_contact,
    contact_of_ticket,
    origin_refusal,
    queries,
)
from loyaldesk.support.actions import contacts, csat
from loyaldesk.web.console.rendering import render
from loyaldesk.web.deps import RuntimeDep, client_ip
from loyaldesk.web.file_download import download_response, read_uploads
from loyaldesk.web.i18n import shopper_language
from loyaldesk.web.member.shopper import identify_shopper

router = APIRouter()

StoreSlug = Annotated[str, Path(min_length=1, max_length=64)]
# Ids in paths: out of the database's range is refused here, not by the database.
RowId = Annotated[int, Path(ge=1, le=2**62)]


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
    request: Request, runtime: RuntimeDep, store_slug: StoreSlug, message: OfflineMessageIn
) -> JSONResponse:
    """Refused (403, saying why) from a page that may not use the store's chat (``widget_origins``).
    Rate limited per address (``offline_messages_per_address``, and ``new_contacts_per_address`` for a
    visitor not seen before): over a limit, 429 and nothing is stored."""
    address = client_ip(request) or "unknown"

    def store_and_visitor() -> tuple[int, bool]:
        sid = _store_for_page(runtime, store_slug, request)
        with runtime.database.read() as session:
            known = contacts.find_contact(session, sid, customer_id=None, visitor_token=message.visitor_token)
            return sid, known is not None

    sid, known = await anyio.to_thread.run_sync(store_and_visitor)
    runtime.rate_limits.hit_all(
        (rate_limits.OFFLINE_MESSAGES_PER_ADDRESS, address),
        (rate_limits.NEW_CONTACTS_PER_ADDRESS, None if known else address),
    )
    contact = await runtime.database.write_async(
        contacts.identify_contact, sid, customer_id=None, visitor_token=message.visitor_token
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


def _store_for_page(runtime: Any, store_slug: str, request: Request, *, if_origin_sent: bool = False) -> int:
    """The store's id, once the page the request came from may use its chat (``widget_origins``);
    ``PermissionDenied`` saying why not otherwise. With ``if_origin_sent``, a request without an
    ``Origin`` (an ``<img>`` or a download link, which browsers send without one) is let through: its
    ticket, which only a page allowed on the socket obtained, is the proof."""
    origin = request.headers.get("origin")
    with runtime.database.read() as session:
        store = store_by_slug(session, store_slug)
        if if_origin_sent and origin is None:
            return store.id
        allowed = queries.settings_of(session, store.id).widget_allowed_origins or []
        refusal = origin_refusal(origin, allowed, request.headers.get("host"))
    if refusal is not None:
        raise PermissionDenied(refusal)
    return store.id


def _ticket_holder(
    runtime: Any, store_slug: str, ticket: str | None, request: Request, *, if_origin_sent: bool = False
) -> tuple[int, int]:
    """(store id, contact id) of a valid widget ticket for this store, sent from an allowed page."""
    store_id = _store_for_page(runtime, store_slug, request, if_origin_sent=if_origin_sent)
    return store_id, contact_of_ticket(runtime.secret_key, store_id, ticket)


@router.post(
    "/widget-api/v1/{store_slug}/messages",
    tags=["widget"],
    summary="Send a message with files (multipart); text-only messages go over the WebSocket.",
    status_code=201,
)
async def message_with_files(
    request: Request,
    runtime: RuntimeDep,
    store_slug: StoreSlug,
    ticket: Annotated[str, Form(max_length=512)],
    client_message_id: Annotated[str, Form(max_length=64)],
    files: Annotated[list[UploadFile], File()],
    body: Annotated[str, Form(max_length=20_000)] = "",
    conversation_id: Annotated[int | None, Form(ge=1, le=2**62)] = None,
) -> JSONResponse:
    """Answered like the WebSocket's ``ack``; the message itself arrives as an event on the socket (send
    ``watch`` for a new ``conversation_id``)."""
    store_id, contact_id = await anyio.to_thread.run_sync(
        _ticket_holder, runtime, store_slug, ticket, request
    )
    runtime.rate_limits.hit_all(
        (rate_limits.WIDGET_MESSAGES_PER_CONTACT, contact_id),
        (rate_limits.WIDGET_MESSAGES_PER_ADDRESS, client_ip(request)),
        (rate_limits.WIDGET_MESSAGES_PER_STORE, store_id),
    )
    uploads = await read_uploads(files)
    message = await runtime.database.write_async(
        actions.post_customer_message,
        contact_id,
        body=body,
        client_message_id=client_message_id,
        conversation_id=conversation_id,
        files=uploads,
    )
    return JSONResponse(
        {
            "type": "ack",
            "client_message_id": message.client_message_id,
            "message_id": message.id,
            "conversation_id": message.conversation_id,
        },
        status_code=201,
    )


@router.get("/widget-api/v1/{store_slug}/attachments/{attachment_id}", tags=["widget"])
def download_for_customer(
    request: Request,
    runtime: RuntimeDep,
    store_slug: StoreSlug,
    attachment_id: RowId,
    ticket: Annotated[str, Query(max_length=512)],
) -> Response:
    """A file in one of the ticket holder's conversations, as a download (a script's ``fetch`` of it
    must come from a page allowed to use the chat)."""
    store_id, contact_id = _ticket_holder(runtime, store_slug, ticket, request, if_origin_sent=True)
    with runtime.database.read() as session:
        row = attachment_for_contact(session, store_id, contact_id, attachment_id)
        return download_response(row.filename, row.content_type, row.data)


def _rating_context(
    runtime: Any, store_slug: str, conversation_id: int, token: str, request: Request
) -> dict[str, Any]:
    with runtime.database.read() as session:
        store = store_by_slug(session, store_slug)
        conversation = session.get(Conversation, conversation_id)
        if conversation is None or conversation.store_id != store.id:
            raise NotFound("no such conversation")
        if not csat.csat_link_matches(store.identity_secret, conversation_id, token):
            # Not "log in": the customer has no account here; the link is simply not one we sent.
            raise NotFound("this rating link is not valid; use the link from the email exactly as it is")
        response = session.query(CsatResponse).filter_by(conversation_id=conversation_id).one_or_none()
        customer = session.get(Customer, conversation.customer_id) if conversation.customer_id else None
        language = shopper_language(request, store, customer)
        return {
            "store": store,
            "conversation": conversation,
            "response": response,
            "shopper_language": language,
        }


@router.get(
    "/csat/{store_slug}/{conversation_id}/{token}", response_class=HTMLResponse, include_in_schema=False
)
def rating_page(
    request: Request, runtime: RuntimeDep, store_slug: StoreSlug, conversation_id: RowId, token: str
) -> Response:
    """The rating form a customer reaches from a link (channels that are not live)."""
    context = _rating_context(runtime, store_slug, conversation_id, token, request)
    return render(request, "support/rating.html", {**context, "token": token, "thanks": False})


@router.post(
    "/csat/{store_slug}/{conversation_id}/{token}", response_class=HTMLResponse, include_in_schema=False
)
async def rate_by_link(
    request: Request,
    runtime: RuntimeDep,
    store_slug: StoreSlug,
    conversation_id: RowId,
    token: str,
    rating: Annotated[int, Form()],
    comment: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    context = await anyio.to_thread.run_sync(
        _rating_context, runtime, store_slug, conversation_id, token, request
    )
    await runtime.database.write_async(
        csat.submit_csat, conversation_id, rating=rating, comment=comment, contact_id=None
    )
    return render(request, "support/rating.html", {**context, "token": token, "thanks": True})


class WidgetTextsOut(BaseModel):
    language: str = Field(description="The language chosen: one that loyaldesk ships (en, de).")
    messages: dict[str, str] = Field(description="Each of the widget's English texts → its translation.")


@router.get(
    "/widget-api/v1/{store_slug}/texts",
    tags=["widget"],
    response_model=WidgetTextsOut,
    summary="The widget's texts in the shopper's language",
)
def widget_texts(
    request: Request,
    runtime: RuntimeDep,
    store_slug: StoreSlug,
    language: Annotated[str | None, Query(max_length=35, description="The browser's language.")] = None,
    customer: Annotated[str | None, Query(max_length=255)] = None,
    signature: Annotated[str | None, Query(max_length=128)] = None,
    expires: Annotated[int | None, Query(ge=0, le=2**40)] = None,
) -> JSONResponse:
    """``{"language": "de", "messages": {English: translation}}``: the shopper's profile language (when
    ``customer`` and a valid ``signature`` say who they are), else the store's default, else ``language``
    (the widget sends ``navigator.language``), else English. A wrong signature is simply not a profile."""
    with runtime.database.read() as session:
        store = store_by_slug(session, store_slug)
        profile = None
        if customer and signature:
            try:
                shopper = identify_shopper(
                    session, store_slug, customer, signature, expires, runtime.clock.now()
                )
                profile = shopper.customer.locale if shopper.customer else None
            except DomainError:
                profile = None
    chosen = negotiate(profile=profile, store_default=store.default_language, accept_language=language)
    return JSONResponse(
        {"language": chosen, "messages": widget_messages(chosen)},
        headers={"Cache-Control": "private, max-age=300"},
    )


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
