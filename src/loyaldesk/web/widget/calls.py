"""The shopper rings the desk from the chat: ``POST /widget-api/v1/{store}/calls`` with the widget's ticket,
the conversation and the kind (``video`` or ``voice``). Answers 201 with the session (``CallSessionView``
as JSON) and the gateway's address (``socket``: ``/ws/calls/{store}/{session id}``, where the widget says
``hello`` as the shopper with the same ticket and the call's signalling goes).

Ticket-authorised like the widget's other HTTP routes (from a page the store allows its chat on; the ticket
names the contact, so another shopper's conversation answers 404 and nothing is written). Rate limited per
contact and per address (``widget_actions_per_contact``, ``widget_messages_per_address``) before any
write. Co-browsing cannot be asked for here: only staff ask to see a page (``calls.KindNotAllowed``).
"""

from __future__ import annotations

from typing import Literal

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from loyaldesk import calls
from loyaldesk.kernel import rate_limits
from loyaldesk.web.deps import RuntimeDep, client_ip
from loyaldesk.web.widget.routes import StoreSlug, _ticket_holder

router = APIRouter()


class ShopperCallIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ticket: str = Field(max_length=512, description="The widget ticket from the socket's welcome.")
    conversation_id: int = Field(ge=1, le=2**62, description="The shopper's conversation to call from.")
    kind: Literal["video", "voice"] = Field(description="A video call, or voice only.")


def call_socket_path(store_slug: str, session_id: int) -> str:
    """The gateway's address of one call (``realtime.calls_socket``)."""
    return f"/ws/calls/{store_slug}/{session_id}"


@router.post(
    "/widget-api/v1/{store_slug}/calls",
    tags=["widget"],
    summary="Ring the desk from the chat (video or voice); the call goes on over the calls socket",
    status_code=201,
)
async def ring_the_desk(
    request: Request, runtime: RuntimeDep, store_slug: StoreSlug, given: ShopperCallIn
) -> JSONResponse:
    store_id, contact_id = await anyio.to_thread.run_sync(
        _ticket_holder, runtime, store_slug, given.ticket, request
    )
    runtime.rate_limits.hit_all(
        (rate_limits.WIDGET_ACTIONS_PER_CONTACT, contact_id),
        (rate_limits.WIDGET_MESSAGES_PER_ADDRESS, client_ip(request)),
    )
    view = await runtime.database.write_async(
        calls.request_session_as_shopper,
        store_id=store_id,
        contact_id=contact_id,
        conversation_id=given.conversation_id,
        kind=calls.CallKind(given.kind),
    )
    return JSONResponse(
        {"session": view.as_json(), "socket": call_socket_path(store_slug, view.id)},
        status_code=201,
        headers={"Cache-Control": "no-store"},
    )
