"""Video and voice calls in the console: ringing a shopper from a conversation, opening the video call of a
booked expert session from the day view, and the page the call takes place on (``static/console-call.js``
with ``static/widget/call.js``: WebRTC, signalling over the calls socket).

* ``POST /console/{store}/inbox/{conversation_id}/call`` (``kind`` video or voice): ``calls.request_session``
  (asking again returns the open call), then the call page.
* ``POST /console/{store}/bookings/seats/{seat_id}/call``: ``calls.open_booking_call`` for the seat's
  expert, from 10 minutes before the session until its end (``calls.booking_call_is_open``); then the page.
* ``GET /console/{store}/calls/{call_id}``: the call (a video or voice session of this store).

Who answers conversations (``answer_conversations``) takes part; the calls actions check the rest (another
store's conversation or seat: 404, nothing written).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from loyaldesk import bookings, calls
from loyaldesk.kernel.errors import Conflict, Invalid, NotFound
from loyaldesk.stores import Permission
from loyaldesk.support import queries as support_queries
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import ConsoleDep
from loyaldesk.web.content_policy import allow_media_server_frames
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)

RowId = Annotated[int, Path(ge=1, le=2**62)]
CALL_KINDS = {"video": calls.CallKind.VIDEO, "voice": calls.CallKind.VOICE}


def call_page_path(store_slug: str, session_id: int) -> str:
    return f"/console/{store_slug}/calls/{session_id}"


@router.post("/console/{store_slug}/inbox/{conversation_id}/call")
async def ring_the_shopper(
    runtime: RuntimeDep,
    console: ConsoleDep,
    conversation_id: RowId,
    kind: Annotated[str, Form(max_length=10)] = "",
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """Ring the conversation's shopper (video or voice) and go to the call."""
    console.check_csrf(csrf_token)
    console.require(Permission.ANSWER_CONVERSATIONS)
    if kind not in CALL_KINDS:
        raise Invalid.field("kind", "video or voice")
    view = await runtime.database.write_async(
        calls.request_session, console.actor, conversation_id=conversation_id, kind=CALL_KINDS[kind]
    )
    return RedirectResponse(call_page_path(console.store.slug, view.id), status_code=303)


@router.post("/console/{store_slug}/bookings/seats/{seat_id}/call")
async def start_booking_call(
    runtime: RuntimeDep,
    console: ConsoleDep,
    seat_id: RowId,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """The expert starts (or joins) the video call of a booked seat, while its window is open."""
    console.check_csrf(csrf_token)
    console.require(Permission.ANSWER_CONVERSATIONS)
    with runtime.database.read() as session:
        facts = bookings.seat_call_facts(session, console.store.id, seat_id)
        if facts is None:
            raise NotFound("no such booking")
        booking = bookings.customer_booking(
            session,
            store_id=console.store.id,
            customer_id=facts.customer_id,
            seat_id=seat_id,
            now=runtime.clock.now(),
        )
    if not calls.booking_call_is_open(booking.starts_at, booking.ends_at, runtime.clock.now()):
        raise Conflict("the video call opens 10 minutes before the session and closes at its end")
    view = await runtime.database.write_async(
        calls.open_booking_call,
        store_id=console.store.id,
        seat_id=seat_id,
        party=calls.CallParty.AGENT,
        actor=console.actor,
    )
    return RedirectResponse(call_page_path(console.store.slug, view.id), status_code=303)


@router.get("/console/{store_slug}/calls/{call_id}", response_class=HTMLResponse)
def call_page(request: Request, runtime: RuntimeDep, console: ConsoleDep, call_id: RowId) -> Response:
    """The call: the shopper's video (or voice), one's own, mute, camera, screen sharing, hang up."""
    console.require(Permission.ANSWER_CONVERSATIONS)
    with runtime.database.read() as session:
        view = calls.session_view(session, console.store.id, call_id)
        if view.kind not in (calls.CallKind.VIDEO, calls.CallKind.VOICE):
            raise NotFound("no such call")
        conversation: Any = (
            support_queries.conversation_of(session, console.store.id, view.conversation_id)
            if view.conversation_id
            else None
        )
    page = render(
        request,
        "calls/call.html",
        {
            "console": console,
            "section": "bookings" if view.booking_seat_id else "inbox",
            "call": view,
            "conversation": conversation,
        },
    )
    return allow_media_server_frames(page, runtime.settings, console=True)
