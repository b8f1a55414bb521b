"""Expert sessions in the member API (``/member-api/v1/{store}/bookings...``): the session types with
what they cost the shopper, free slots in the shopper's time zone, holding a slot and confirming it,
the shopper's bookings (cancel, reschedule, the invitation's ``.ics``) and the waitlist.

Identified like the rest of the member API (the store's signature of the shopper's customer id, see
``web.member.shopper``): every booking and waitlist place is looked up for the verified customer, so
another shopper's id answers 404 and changes nothing. Strangers are limited per address by
``ApiRateLimitMiddleware``, as every request without a credential is. The page at ``/m/{store}/sessions``
(``bookings_page``) calls these routes from the browser.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from loyaldesk import bookings
from loyaldesk.bookings import BookingOut, SlotOut, WaitlistOut
from loyaldesk.kernel.errors import Invalid, NotFound
from loyaldesk.loyalty.queries.members import member_of_customer
from loyaldesk.runtime import Runtime
from loyaldesk.web.deps import RuntimeDep
from loyaldesk.web.file_download import download_response
from loyaldesk.web.member.shopper import Shopper, ShopperDep

router = APIRouter(tags=["member"])
api = "/member-api/v1/{store_slug}/bookings"

BookingId = Annotated[int, Path(ge=1, le=2**62, description="The booking's id (from my bookings).")]
EntryId = Annotated[int, Path(ge=1, le=2**62, description="The waitlist place's id.")]
SessionTypeId = Annotated[int, Path(ge=1, le=2**62)]
MAX_DAYS = 31


class MemberSessionTypeOut(BaseModel):
    """A session type as a shopper picks it: ``price_for_you`` is what booking it costs this shopper
    (0 when ``free_for_your_tier``)."""

    id: int
    name: str
    slug: str
    description: str = ""
    length_minutes: int
    capacity: int
    mode: str
    mode_label: str
    price_points: int
    free_for_your_tier: bool
    price_for_you: int
    cancel_window_hours: int
    reschedule_window_hours: int
    hold_minutes: int


class SlotDayOut(BaseModel):
    day: date
    slots: list[SlotOut]


class SlotsOut(BaseModel):
    """The free starts of a session type, per local day of ``time_zone``."""

    session_type_id: int
    time_zone: str
    days: list[SlotDayOut]


class HoldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    session_type_id: int = Field(ge=1, le=2**62)
    starts_at: AwareDatetime = Field(description="A slot's ``starts_at`` (ISO 8601 with its zone).")


class RescheduleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    starts_at: AwareDatetime


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=500)


class CancelOut(BaseModel):
    booking: BookingOut
    points_refunded: int


class WaitlistIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    session_type_id: int = Field(ge=1, le=2**62)
    wanted_from: AwareDatetime
    wanted_until: AwareDatetime


class MyBookingsOut(BaseModel):
    bookings: list[BookingOut]
    waitlist: list[WaitlistOut]


# -- helpers shared with the member page -----------------------------------------------------------


def customer_id_of(shopper: Shopper) -> int:
    """The shopper's customer id; ``NotFound`` while the store has not told loyaldesk about them."""
    if shopper.customer is None:
        raise NotFound("the store has not told loyaldesk about you yet, so there is nothing to book with")
    return shopper.customer.id


def checked_time_zone(name: str) -> str:
    """``name`` if it is an IANA time zone, else ``Invalid`` naming ``time_zone``."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid.field("time_zone", f"{name!r} is not a time zone (like Europe/Paris)") from None
    return name


def session_types_for(session: Session, shopper: Shopper) -> list[MemberSessionTypeOut]:
    """The store's active session types, priced for ``shopper`` (free when their tier is listed)."""
    member = member_of_customer(session, shopper.store.id, shopper.customer.id) if shopper.customer else None
    tier_id = member.tier_id if member else None
    found = []
    for kind in bookings.session_types(session, store_id=shopper.store.id, active_only=True):
        free = tier_id is not None and tier_id in kind.free_for_tier_ids
        found.append(
            MemberSessionTypeOut(
                id=kind.id,
                name=kind.name,
                slug=kind.slug,
                description=kind.description,
                length_minutes=kind.length_minutes,
                capacity=kind.capacity,
                mode=str(kind.mode),
                mode_label=bookings.SessionMode(kind.mode).label,
                price_points=kind.price_points,
                free_for_your_tier=free,
                price_for_you=0 if free else kind.price_points,
                cancel_window_hours=kind.cancel_window_hours,
                reschedule_window_hours=kind.reschedule_window_hours,
                hold_minutes=kind.hold_minutes,
            )
        )
    return found


def api_ics_url(shopper: Shopper, booking_id: int) -> str:
    return f"/member-api/v1/{shopper.store.slug}/bookings/{booking_id}/invitation.ics"


def my_bookings(
    session: Session, shopper: Shopper, now: datetime, ics_url: Any = api_ics_url
) -> list[BookingOut]:
    """The shopper's bookings (upcoming and past) with the link to each one's invitation."""
    if shopper.customer is None:
        return []
    found = bookings.customer_bookings(
        session, store_id=shopper.store.id, customer_id=shopper.customer.id, now=now
    )
    return [booking.model_copy(update={"ics_url": ics_url(shopper, booking.id)}) for booking in found]


def booking_of(runtime: Runtime, shopper: Shopper, booking_id: int) -> BookingOut:
    """One of the shopper's bookings, or ``NotFound`` (another shopper's answers the same)."""
    with runtime.database.read() as session:
        booking = bookings.customer_booking(
            session,
            store_id=shopper.store.id,
            customer_id=customer_id_of(shopper),
            seat_id=booking_id,
            now=runtime.clock.now(),
        )
    return booking.model_copy(update={"ics_url": api_ics_url(shopper, booking.id)})


def invitation_response(runtime: Runtime, shopper: Shopper, booking_id: int) -> Response:
    """The booking's invitation as an ``.ics`` download; another shopper's booking: ``NotFound``."""
    customer_id = customer_id_of(shopper)
    with runtime.database.read() as session:
        data = bookings.booking_ics(
            session, store_id=shopper.store.id, seat_id=booking_id, customer_id=customer_id
        )
    return download_response(f"session-{booking_id}.ics", "text/calendar; charset=utf-8", data)


# -- routes -----------------------------------------------------------------------------------------


@router.get(
    api + "/session-types",
    response_model=list[MemberSessionTypeOut],
    summary="Sessions with an expert I can book, with what each costs me",
)
def my_session_types(shopper: ShopperDep, runtime: RuntimeDep) -> list[MemberSessionTypeOut]:
    with runtime.database.read() as session:
        return session_types_for(session, shopper)


@router.get(
    api + "/session-types/{session_type_id}/slots",
    response_model=SlotsOut,
    summary="Free slots of a session type, in my time zone",
)
def slots(
    shopper: ShopperDep,
    runtime: RuntimeDep,
    session_type_id: SessionTypeId,
    time_zone: Annotated[str, Query(min_length=1, max_length=64, description="IANA, like Europe/Paris.")],
    first_day: Annotated[
        date | None, Query(alias="from", description="The first local day (default: today there).")
    ] = None,
    days: Annotated[int, Query(ge=1, le=MAX_DAYS)] = 7,
) -> SlotsOut:
    zone = checked_time_zone(time_zone)
    now = runtime.clock.now()
    start = first_day or now.astimezone(ZoneInfo(zone)).date()
    if start > now.date() + timedelta(days=400):
        raise Invalid.field("from", "at most about a year ahead")
    with runtime.database.read() as session:
        by_day = bookings.slots_for_shopper(
            session,
            store_id=shopper.store.id,
            session_type_id=session_type_id,
            time_zone=zone,
            first_day=start,
            days=days,
            now=now,
        )
    return SlotsOut(
        session_type_id=session_type_id,
        time_zone=zone,
        days=[SlotDayOut(day=day, slots=list(found)) for day, found in sorted(by_day.items())],
    )


@router.get(api, response_model=MyBookingsOut, summary="My sessions (upcoming and past) and waitlist places")
def mine(shopper: ShopperDep, runtime: RuntimeDep) -> MyBookingsOut:
    with runtime.database.read() as session:
        found = my_bookings(session, shopper, runtime.clock.now())
        waiting = (
            bookings.customer_waitlist(session, store_id=shopper.store.id, customer_id=shopper.customer.id)
            if shopper.customer
            else []
        )
    return MyBookingsOut(bookings=found, waitlist=list(waiting))


@router.post(
    api + "/holds",
    status_code=201,
    response_model=BookingOut,
    summary="Hold a slot for a few minutes while I confirm",
)
def hold(body: HoldIn, shopper: ShopperDep, runtime: RuntimeDep) -> BookingOut:
    seat_id = runtime.database.write(
        bookings.hold_slot,
        store_id=shopper.store.id,
        customer_id=customer_id_of(shopper),
        session_type_id=body.session_type_id,
        starts_at=body.starts_at,
    )
    return booking_of(runtime, shopper, seat_id)


@router.post(api + "/{booking_id}/confirm", response_model=BookingOut, summary="Confirm a held slot")
def confirm(booking_id: BookingId, shopper: ShopperDep, runtime: RuntimeDep) -> BookingOut:
    runtime.database.write(
        bookings.confirm_booking,
        store_id=shopper.store.id,
        customer_id=customer_id_of(shopper),
        seat_id=booking_id,
    )
    return booking_of(runtime, shopper, booking_id)


@router.post(
    api + "/{booking_id}/cancel",
    response_model=CancelOut,
    summary="Cancel my booking (refunded by the store's policy)",
)
def cancel(
    booking_id: BookingId, shopper: ShopperDep, runtime: RuntimeDep, body: CancelIn | None = None
) -> CancelOut:
    refunded = runtime.database.write(
        bookings.cancel_booking,
        store_id=shopper.store.id,
        seat_id=booking_id,
        customer_id=customer_id_of(shopper),
        reason=body.reason if body else None,
    )
    return CancelOut(booking=booking_of(runtime, shopper, booking_id), points_refunded=refunded)


@router.post(
    api + "/{booking_id}/reschedule",
    response_model=BookingOut,
    summary="Move my booking to another slot (points carried over)",
)
def reschedule(
    booking_id: BookingId, body: RescheduleIn, shopper: ShopperDep, runtime: RuntimeDep
) -> BookingOut:
    new_id = runtime.database.write(
        bookings.reschedule_booking,
        store_id=shopper.store.id,
        seat_id=booking_id,
        customer_id=customer_id_of(shopper),
        new_starts_at=body.starts_at,
    )
    return booking_of(runtime, shopper, new_id)


@router.get(
    api + "/{booking_id}/invitation.ics",
    response_class=Response,
    responses={200: {"description": "The invitation (RFC 5545).", "content": {"text/calendar": {}}}},
    summary="My booking's invitation as an iCalendar file",
)
def invitation(booking_id: BookingId, shopper: ShopperDep, runtime: RuntimeDep) -> Response:
    return invitation_response(runtime, shopper, booking_id)


def _entry_of(runtime: Runtime, shopper: Shopper, entry_id: int) -> WaitlistOut:
    with runtime.database.read() as session:
        for entry in bookings.customer_waitlist(
            session, store_id=shopper.store.id, customer_id=customer_id_of(shopper)
        ):
            if entry.id == entry_id:
                return entry
    raise NotFound("no such waitlist place of yours")


@router.post(
    api + "/waitlist",
    status_code=201,
    response_model=WaitlistOut,
    summary="Wait for a slot of a session type between two times",
)
def join_waitlist(body: WaitlistIn, shopper: ShopperDep, runtime: RuntimeDep) -> WaitlistOut:
    if body.wanted_until <= body.wanted_from:
        raise Invalid.field("wanted_until", "must be after wanted_from")
    entry_id = runtime.database.write(
        bookings.join_waitlist,
        store_id=shopper.store.id,
        customer_id=customer_id_of(shopper),
        session_type_id=body.session_type_id,
        wanted_from=body.wanted_from,
        wanted_until=body.wanted_until,
    )
    return _entry_of(runtime, shopper, entry_id)


@router.delete(api + "/waitlist/{entry_id}", status_code=204, summary="Leave the waitlist")
def leave_waitlist(entry_id: EntryId, shopper: ShopperDep, runtime: RuntimeDep) -> Response:
    runtime.database.write(
        bookings.leave_waitlist,
        store_id=shopper.store.id,
        customer_id=customer_id_of(shopper),
        entry_id=entry_id,
    )
    return Response(status_code=204)


@router.post(
    api + "/waitlist/{entry_id}/accept",
    response_model=BookingOut,
    summary="Take the slot the waitlist offered me (first to accept wins)",
)
def accept_offer(entry_id: EntryId, shopper: ShopperDep, runtime: RuntimeDep) -> BookingOut:
    seat_id = runtime.database.write(
        bookings.accept_waitlist_offer,
        store_id=shopper.store.id,
        customer_id=customer_id_of(shopper),
        entry_id=entry_id,
    )
    return booking_of(runtime, shopper, seat_id)
