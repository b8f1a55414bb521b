"""The member page's "Expert sessions" (``/m/{store}/sessions``): the session types with their price in
points (or free for the shopper's tier), a slot picker in the shopper's own time zone (detected by the
browser, changeable), hold then confirm with the hold's countdown, the shopper's sessions with cancel
(its deadline, and why it is refused inside the window), reschedule, the invitation's ``.ics``, and the
waitlist (join, leave, take an offered slot).

The page is rendered with the session types and the shopper's balance; its script
(``static/bookings/member-sessions.js``) calls the member API (``bookings_api``) with the same signed
identity the page was opened with. ``/m/{store}/sessions/{id}/invitation.ics`` serves the invitation to a
plain link (the identity in the query, as the page's own links carry it).
"""

from __future__ import annotations

import json
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from loyaldesk.kernel.errors import DomainError
from loyaldesk.kernel.i18n import gettext, use_language
from loyaldesk.loyalty import program_of_store
from loyaldesk.loyalty.queries.members import member_of_customer
from loyaldesk.runtime import Runtime
from loyaldesk.web.console.rendering import render, render_error
from loyaldesk.web.deps import RuntimeDep
from loyaldesk.web.errors import status_for
from loyaldesk.web.i18n import shopper_language
from loyaldesk.web.member.booking_calls import joinable
from loyaldesk.web.member.bookings_api import invitation_response, my_bookings, session_types_for
from loyaldesk.web.member.shopper import Shopper, identify_shopper

router = APIRouter(include_in_schema=False)
StoreSlug = Annotated[str, Path(min_length=1, max_length=64)]
Customer = Annotated[str | None, Query(max_length=255)]
Signature = Annotated[str | None, Query(max_length=128)]
Expires = Annotated[int | None, Query(ge=0, le=2**40)]


def _identity(shopper: Shopper) -> dict[str, str | int]:
    values: dict[str, str | int] = {"customer": shopper.external_id, "signature": shopper.signature}
    if shopper.expires is not None:
        values["expires"] = shopper.expires
    return values


def _shopper(
    runtime: Runtime, slug: str, customer: str | None, signature: str | None, expires: int | None
) -> Shopper:
    with runtime.database.read() as session:
        return identify_shopper(session, slug, customer, signature, expires, runtime.clock.now())


def _words() -> dict[str, str]:
    """What the page's script says, in the shopper's language (``{name}`` filled in by the script)."""
    return {
        "loading": gettext("Loading…"),
        "no_slots": gettext("No free times in these days. Try later days, or join the waitlist."),
        "held": gettext("We are holding {time} for you."),
        "hold_left": gettext("Held for {left} more. Confirm to book it."),
        "hold_over": gettext("The hold has ended. Choose a time again."),
        "confirm_cost": gettext("Confirm booking ({points} points)"),
        "confirm_free": gettext("Confirm booking (free)"),
        "booked": gettext("Booked: {name} on {time}. The invitation is on its way by email."),
        "cancelled": gettext("Cancelled. {points} points were refunded."),
        "cancelled_free": gettext("Cancelled."),
        "moved": gettext("Moved to {time}."),
        "cancel": gettext("Cancel session"),
        "cancel_until": gettext("Free cancellation until {deadline} (refund: {points} points)."),
        "cancel_closed": gettext("Cancellation closed on {deadline}."),
        "reschedule": gettext("Reschedule"),
        "reschedule_to": gettext("Move my session to {time}"),
        "reschedule_pick": gettext("Choose the new time above for “{name}”."),
        "ics": gettext("Add to calendar (.ics)"),
        "no_sessions": gettext("You have no sessions yet."),
        "with_expert": gettext("with {expert}"),
        "points_paid": gettext("{points} points paid"),
        "status_held": gettext("Held"),
        "status_confirmed": gettext("Confirmed"),
        "status_cancelled": gettext("Cancelled"),
        "status_completed": gettext("Took place"),
        "status_no_show": gettext("Missed"),
        "no_waitlist": gettext("You are not waiting for a slot."),
        "waitlist_joined": gettext("You are on the waitlist. We will email you when a slot frees up."),
        "waitlist_waiting": gettext("Waiting for a slot between {from} and {until}."),
        "waitlist_offered": gettext("A slot freed up: {time}. Take it before {expires}."),
        "waitlist_accept": gettext("Take this slot"),
        "waitlist_leave": gettext("Leave the waitlist"),
        "waitlist_withdrawn": gettext("Left the waitlist."),
        "error": gettext("Something went wrong: {message}"),
        "seats_left": gettext("{seats} seats left"),
    }


@router.get("/m/{store_slug}/sessions", response_class=HTMLResponse)
def sessions_page(
    request: Request,
    runtime: RuntimeDep,
    store_slug: StoreSlug,
    customer: Customer = None,
    signature: Signature = None,
    expires: Expires = None,
) -> Response:
    try:
        shopper = _shopper(runtime, store_slug, customer, signature, expires)
    except DomainError as error:
        return render_error(request, status_for(error), error.message)
    language = shopper_language(request, shopper.store, shopper.customer)
    with runtime.database.read() as session, use_language(language):
        program = program_of_store(session, shopper.store.id)
        member = (
            member_of_customer(session, shopper.store.id, shopper.customer.id) if shopper.customer else None
        )
        kinds = session_types_for(session, shopper)
        words = _words()
        now = runtime.clock.now()  # the video calls open now (web/member/booking_calls.py)
        calls_open = [booking for booking in my_bookings(session, shopper, now) if joinable(booking, now)]
    identity = _identity(shopper)
    config = {
        "api": f"/member-api/v1/{store_slug}",
        "page": f"/m/{store_slug}/sessions",
        "identity": {key: str(value) for key, value in identity.items()},
        "language": language,
        "store_time_zone": shopper.store.timezone or "UTC",
        "words": words,
    }
    return render(
        request,
        "member/sessions.html",
        {
            "store": shopper.store,
            "program": program,
            "shopper": shopper,
            "member": member,
            "session_types": kinds,
            "known": shopper.customer is not None,
            "back": f"/m/{store_slug}?{urlencode(identity)}",
            "config_json": json.dumps(config, ensure_ascii=False).replace("</", "<\\/"),
            "shopper_language": language,
            "calls_open": calls_open,
            "identity_query": urlencode(identity),
        },
    )


@router.get("/m/{store_slug}/sessions/{booking_id}/invitation.ics")
def sessions_page_invitation(
    request: Request,
    runtime: RuntimeDep,
    store_slug: StoreSlug,
    booking_id: Annotated[int, Path(ge=1, le=2**62)],
    customer: Customer = None,
    signature: Signature = None,
    expires: Expires = None,
) -> Response:
    """The invitation of one of the shopper's bookings, for the page's download link."""
    try:
        shopper = _shopper(runtime, store_slug, customer, signature, expires)
        return invitation_response(runtime, shopper, booking_id)
    except DomainError as error:
        return render_error(request, status_for(error), error.message)
