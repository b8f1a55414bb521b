"""The video call of a shopper's booked expert session, on the member page.

* ``GET /m/{store}/sessions/{booking_id}/call`` (the page's signed identity in the query, like the member
  page): the page of the call (``static/bookings/member-call.js`` with the widget's ``call.js``).
* ``POST /member-api/v1/{store}/bookings/{booking_id}/call`` (the member API's identity): opens the call
  (``calls.open_booking_call`` for the seat's customer; the expert's open call is joined) and answers 201
  with the session and the gateway's address, where the page says ``hello`` as ``member``.

Both only for the shopper's own booking (another customer's seat: 404, nothing written), of a video
session type (in-store: 409), from 10 minutes before it starts until it ends (``calls.booking_call_is_open``;
outside: 409). Requests without a console login are rate limited per address like every member request.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import anyio
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from loyaldesk import bookings, calls
from loyaldesk.bookings import BookingOut
from loyaldesk.kernel.errors import Conflict, DomainError
from loyaldesk.kernel.i18n import gettext, use_language
from loyaldesk.loyalty import program_of_store
from loyaldesk.runtime import Runtime
from loyaldesk.web.console.rendering import render, render_error
from loyaldesk.web.content_policy import allow_media_server_frames
from loyaldesk.web.deps import RuntimeDep
from loyaldesk.web.errors import status_for
from loyaldesk.web.i18n import shopper_language
from loyaldesk.web.member.bookings_api import booking_of, customer_id_of
from loyaldesk.web.member.shopper import Shopper, ShopperDep, identify_shopper

router = APIRouter()
BookingId = Annotated[int, Path(ge=1, le=2**62, description="The booking's id (from my bookings).")]


def joinable(booking: BookingOut, now: datetime) -> bool:
    """Whether the shopper's booking has a video call open now (the member page shows its button)."""
    return (
        booking.session_type.mode == bookings.SessionMode.VIDEO
        and booking.status == bookings.BookingStatus.CONFIRMED
        and calls.booking_call_is_open(booking.starts_at, booking.ends_at, now)
    )


def _callable_booking(runtime: Runtime, shopper: Shopper, booking_id: int) -> BookingOut:
    """The shopper's booking whose call may be joined now; ``NotFound`` (not theirs) or ``Conflict``."""
    booking = booking_of(runtime, shopper, booking_id)
    if booking.session_type.mode != bookings.SessionMode.VIDEO:
        raise Conflict("this session takes place in the store: it has no video call")
    if not joinable(booking, runtime.clock.now()):
        raise Conflict("the video call opens 10 minutes before the session and closes at its end")
    return booking


def _words() -> dict[str, str]:
    """The call's texts in the shopper's language (call.js fills in ``{name}``, ``{duration}``)."""
    texts = [
        "Connecting…",
        "Connected",
        "Joining…",
        "Calling {name}…",
        "Reconnecting…",
        "Mute",
        "Unmute",
        "Camera off",
        "Camera on",
        "Hang up",
        "Call",
        "Call duration",
        "Turn the sound on",
        "The call was declined.",
        "Nobody answered.",
        "Call ended.",
        "Call ended after {duration}.",
        "The connection failed. Hang up and call again.",
        "{name} is on voice only.",
        "{name} is sharing their screen.",
        "The call is not available.",
        "your expert",
        "Join the video call",
        "Join with voice only",
        "Video call room",
        "Open the call in a new window",
        "This call takes place on the media server {url}, in the room {room}.",
    ]
    return {text: gettext(text) for text in texts}


@router.get(
    "/m/{store_slug}/sessions/{booking_id}/call", response_class=HTMLResponse, include_in_schema=False
)
def call_page(
    request: Request,
    runtime: RuntimeDep,
    store_slug: Annotated[str, Path(min_length=1, max_length=64)],
    booking_id: BookingId,
    customer: Annotated[str | None, Query(max_length=255)] = None,
    signature: Annotated[str | None, Query(max_length=128)] = None,
    expires: Annotated[int | None, Query(ge=0, le=2**40)] = None,
) -> Response:
    try:
        with runtime.database.read() as session:
            shopper = identify_shopper(session, store_slug, customer, signature, expires, runtime.clock.now())
        booking = _callable_booking(runtime, shopper, booking_id)
    except DomainError as error:
        return render_error(request, status_for(error), error.message)
    language = shopper_language(request, shopper.store, shopper.customer)
    with runtime.database.read() as session, use_language(language):
        program = program_of_store(session, shopper.store.id)
        words = _words()
    identity = {"customer_id": shopper.external_id, "signature": shopper.signature}
    config = {
        "api": f"/member-api/v1/{store_slug}/bookings/{booking_id}/call",
        "store": store_slug,
        "hello": {"type": "hello", "as": "member", **identity, "expires": shopper.expires},
        "headers": {
            "X-Customer-Id": shopper.external_id,
            "X-Customer-Signature": shopper.signature,
            **({"X-Signature-Expires": str(shopper.expires)} if shopper.expires is not None else {}),
        },
        "words": words,
        "expert": booking.expert_name,
    }
    page = render(
        request,
        "member/booking_call.html",
        {
            "store": shopper.store,
            "program": program,
            "booking": booking,
            "back": f"/m/{store_slug}/sessions?" + request.url.query,
            "config_json": json.dumps(config, ensure_ascii=False).replace("</", "<\\/"),
            "shopper_language": language,
        },
    )
    return allow_media_server_frames(page, runtime.settings, console=False)


@router.post(
    "/member-api/v1/{store_slug}/bookings/{booking_id}/call",
    tags=["member"],
    status_code=201,
    summary="Open (or join) the video call of my booked session, from 10 minutes before it until its end",
)
async def open_call(booking_id: BookingId, shopper: ShopperDep, runtime: RuntimeDep) -> JSONResponse:
    await anyio.to_thread.run_sync(_callable_booking, runtime, shopper, booking_id)
    view = await runtime.database.write_async(
        calls.open_booking_call,
        store_id=shopper.store.id,
        seat_id=booking_id,
        party=calls.CallParty.SHOPPER,
        customer_id=customer_id_of(shopper),
    )
    return JSONResponse(
        {"session": view.as_json(), "socket": f"/ws/calls/{shopper.store.slug}/{view.id}"},
        status_code=201,
        headers={"Cache-Control": "no-store"},
    )
