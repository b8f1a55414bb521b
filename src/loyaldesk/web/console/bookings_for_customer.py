"""Staff booking an expert session for a customer (``/console/{store}/customers/{id}/sessions/new``): a
customer on the phone or in the chat asks for a session, and the agent picks the session type and a free
slot, read in the store's time zone, and books it for them in one step (``bookings.book_slot`` with the
agent as the actor: held and confirmed at once, the customer's points paid as if they booked it
themselves, the invitation and reminders sent through journeys).

Who answers customers may book (``answer_conversations``); a refusal (not enough points, the slot just
taken, an erased customer) shows on the page in words and nothing is held.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from loyaldesk import bookings
from loyaldesk.customers import queries as customer_queries
from loyaldesk.kernel.errors import DomainError, Invalid
from loyaldesk.runtime import Runtime
from loyaldesk.stores import Permission
from loyaldesk.web.console.loyalty_forms import FormDep
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import Console, ConsoleDep
from loyaldesk.web.deps import RuntimeDep
from loyaldesk.web.errors import status_for

router = APIRouter(include_in_schema=False)
ACT = Permission.ANSWER_CONVERSATIONS
CustomerId = Annotated[int, Path(ge=1, le=2**62)]
DAYS_SHOWN = 7


def _page(
    request: Request,
    runtime: Runtime,
    console: Console,
    customer_id: int,
    session_type_id: int | None,
    first_day: date | None,
    *,
    problem: str | None = None,
    status_code: int = 200,
) -> Response:
    zone = console.store.timezone or "UTC"
    today = runtime.clock.now().astimezone(ZoneInfo(zone)).date()
    shown_from = max(first_day or today, today)
    with runtime.database.read() as session:
        customer = customer_queries.get_customer(session, console.store.id, customer_id)
        types = bookings.session_types(session, store_id=console.store.id)
        chosen = next((item for item in types if item.id == session_type_id), types[0] if types else None)
        slots = (
            bookings.slots_for_shopper(
                session,
                store_id=console.store.id,
                session_type_id=chosen.id,
                time_zone=zone,
                first_day=shown_from,
                days=DAYS_SHOWN,
                now=runtime.clock.now(),
            )
            if chosen is not None
            else {}
        )
    return render(
        request,
        "bookings/for_customer.html",
        {
            "console": console,
            "section": "customers",
            "customer": customer,
            "session_types": types,
            "chosen": chosen,
            "slots": slots,
            "zone": zone,
            "shown_from": shown_from,
            "previous_week": shown_from - timedelta(days=DAYS_SHOWN) if shown_from > today else None,
            "next_week": shown_from + timedelta(days=DAYS_SHOWN),
            "problem": problem,
        },
        status_code=status_code,
    )


@router.get("/console/{store_slug}/customers/{customer_id}/sessions/new", response_class=HTMLResponse)
def book_for_customer_page(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    customer_id: CustomerId,
    session_type: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    week: Annotated[date | None, Query(description="The first day shown (store time)")] = None,
) -> Response:
    """The session types and a week of free slots (store time) to book for the customer."""
    console.require(ACT)
    return _page(request, runtime, console, customer_id, session_type, week)


def _form_int(form: Any, name: str) -> int:
    text = str(form.get(name) or "")
    if not text.isdigit() or len(text) > 18:
        raise Invalid.field(name, "choose one")
    return int(text)


def _form_start(form: Any) -> datetime:
    try:
        starts_at = datetime.fromisoformat(str(form.get("starts_at") or ""))
    except ValueError:
        raise Invalid.field("starts_at", "choose a free time") from None
    if starts_at.tzinfo is None:
        raise Invalid.field("starts_at", "choose a free time")
    return starts_at


@router.post("/console/{store_slug}/customers/{customer_id}/sessions")
def book_for_customer(
    request: Request, runtime: RuntimeDep, console: ConsoleDep, customer_id: CustomerId, form: FormDep
) -> Response:
    """Book the chosen slot for the customer (held and confirmed at once, paid from their points); back to
    the customer's record, or the page again naming what stopped it (nothing held)."""
    console.check_csrf(str(form.get("csrf_token") or ""))
    console.require(ACT)
    session_type_id: int | None = None
    try:
        session_type_id = _form_int(form, "session_type_id")
        starts_at = _form_start(form)
        runtime.database.write(
            bookings.book_slot,
            store_id=console.store.id,
            customer_id=customer_id,
            session_type_id=session_type_id,
            starts_at=starts_at,
            actor_id=console.login.account.id,
        )
    except DomainError as error:
        return _page(
            request,
            runtime,
            console,
            customer_id,
            session_type_id,
            None,
            problem=str(error),
            status_code=status_for(error),
        )
    return RedirectResponse(
        f"/console/{console.store.slug}/customers/{customer_id}?saved=session", status_code=303
    )
