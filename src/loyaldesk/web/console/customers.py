"""Console pages for customers: the searchable list, the customer page, profile edits and privacy requests."""

from __future__ import annotations

import json
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import Field, ValidationError

from loyaldesk import bookings, commerce
from loyaldesk.customers import CustomerProfile
from loyaldesk.customers import actions as customer_actions
from loyaldesk.customers import queries as customer_queries
from loyaldesk.kernel.errors import FieldProblem, NotFound
from loyaldesk.kernel.pagination import decode_cursor
from loyaldesk.loyalty import queries as loyalty_queries
from loyaldesk.stores import Permission
from loyaldesk.web.console.forms import ConsoleForm, FormState, blank_form, read_form
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import ConsoleDep
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)

CustomerId = Annotated[int, Path(ge=1, le=2**62)]


@router.get("/console/{store_slug}/customers", response_class=HTMLResponse)
def customer_list(
    request: Request,
    console: ConsoleDep,
    runtime: RuntimeDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
    tag: Annotated[str | None, Query(max_length=64)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    console.require(Permission.VIEW_CUSTOMERS)
    store_id = console.store.id
    with runtime.database.read() as session:
        rows, next_cursor = customer_queries.search_customers(
            session, store_id, query=q, tag=tag or None, before_id=decode_cursor(cursor), limit=50
        )
        stats = commerce.order_stats_for_customers(session, store_id, [row.id for row in rows])
        total = customer_queries.count_customers(session, store_id)
    return render(
        request,
        "customers/list.html",
        {
            "console": console,
            "section": "customers",
            "customers": rows,
            "order_stats": stats,
            "q": q,
            "tag": tag,
            "next_cursor": next_cursor,
            "cursor_in": cursor,
            "total": total,
        },
    )


def _text(title: str, max_length: int, **extra: Any) -> Any:
    return Field(default="", title=title, max_length=max_length, json_schema_extra=extra or None)


class ProfileForm(ConsoleForm):
    """A customer's profile as staff edit it; read into ``CustomerProfile``, whose checks apply."""

    first_name: str = _text("First name", 300, attrs={"maxlength": 100})
    last_name: str = _text("Last name", 300, attrs={"maxlength": 100})
    email: str = _text("Email", 400, widget="email")
    phone: str = _text("Phone", 100, widget="tel")
    birthday: str = _text("Birthday", 20, widget="date")
    locale: str = _text("Language", 50, attrs={"placeholder": "en, de-DE"})
    timezone: str = _text("Time zone", 100, attrs={"placeholder": "Europe/Berlin"})
    tags: str = _text("Tags (comma separated)", 4000)
    marketing_consent: bool = Field(default=False, title="Agreed to receive marketing")

    def profile(self) -> CustomerProfile:
        """The profile to save; ``ValidationError`` names the input that is wrong."""
        return CustomerProfile.model_validate(
            {
                "first_name": self.first_name or None,
                "last_name": self.last_name or None,
                "email": self.email or None,
                "phone": self.phone or None,
                "birthday": self.birthday or None,
                "locale": self.locale or None,
                "timezone": self.timezone or None,
                "marketing_consent": self.marketing_consent,
                "tags": [tag.strip() for tag in self.tags.split(",") if tag.strip()],
            }
        )


class EraseForm(ConsoleForm):
    confirm: str = Field(
        default="",
        title="Type ERASE to confirm",
        max_length=20,
        json_schema_extra={"attrs": {"autocomplete": "off", "pattern": "ERASE", "required": True}},
    )


def _profile_form(customer: Any) -> dict[str, Any]:
    return {
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "email": customer.email,
        "phone": customer.phone,
        "birthday": customer.birthday.isoformat() if customer.birthday else "",
        "locale": customer.locale,
        "timezone": customer.timezone,
        "tags": ", ".join(customer.tags or []),
        "marketing_consent": customer.marketing_consent,
    }


def _customer_page(
    request: Request,
    console: Any,
    runtime: Any,
    customer_id: int,
    *,
    timeline_cursor: str | None = None,
    profile: FormState | None = None,
    erase: FormState | None = None,
    flash: str | None = None,
    status_code: int = 200,
) -> Response:
    store_id = console.store.id
    with runtime.database.read() as session:
        customer = customer_queries.get_customer(session, store_id, customer_id)
        summary = commerce.purchase_summary(session, store_id, customer_id)
        orders = commerce.recent_orders_of_customer(session, store_id, customer_id, limit=20)
        timeline, next_timeline = customer_queries.timeline(
            session, store_id, customer_id, cursor=timeline_cursor, limit=30
        )
        loyalty = loyalty_queries.member_card(session, store_id, customer_id)
        sessions = bookings.customer_bookings(
            session, store_id=store_id, customer_id=customer_id, now=runtime.clock.now()
        )
    return render(
        request,
        "customers/detail.html",
        {
            "console": console,
            "section": "customers",
            "customer": customer,
            "summary": summary,
            "orders": orders,
            "timeline": timeline,
            "timeline_cursor": next_timeline,
            "loyalty_member": loyalty[0] if loyalty else None,
            "loyalty_tier": loyalty[1] if loyalty else None,
            "sessions": [
                (booking, booking.starts_at.astimezone(ZoneInfo(console.store.timezone or "UTC")).date())
                for booking in sessions
                if booking.status != "held"
            ],
            "session_status_labels": bookings.BOOKING_STATUS_LABELS,
            "profile_form": profile or blank_form(ProfileForm, _profile_form(customer)),
            "erase_form": erase or blank_form(EraseForm, prefix="erase-"),
            "flash": flash,
            "can_edit": console.can(Permission.EDIT_CUSTOMERS),
            "can_export": console.can(Permission.EXPORT_CUSTOMER_DATA),
            "can_erase": console.can(Permission.ERASE_CUSTOMERS),
            "can_book": console.can(Permission.ANSWER_CONVERSATIONS),
        },
        status_code=status_code,
    )


@router.get("/console/{store_slug}/customers/{customer_id}", response_class=HTMLResponse)
def customer_page(
    request: Request,
    console: ConsoleDep,
    runtime: RuntimeDep,
    customer_id: CustomerId,
    timeline_cursor: Annotated[str | None, Query(max_length=200)] = None,
    saved: Annotated[str | None, Query(max_length=10)] = None,
) -> Response:
    console.require(Permission.VIEW_CUSTOMERS)
    flash = {
        "profile": "Profile saved.",
        "erased": "Personal data erased.",
        "session": "Session booked; the customer gets the invitation by email.",
    }.get(saved or "")
    return _customer_page(
        request, console, runtime, customer_id, timeline_cursor=timeline_cursor, flash=flash
    )


@router.post("/console/{store_slug}/customers/{customer_id}/profile")
async def edit_profile(
    request: Request,
    console: ConsoleDep,
    runtime: RuntimeDep,
    customer_id: CustomerId,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Save the profile; a refused one comes back (422) with each problem beside its input."""
    console.check_csrf(csrf_token)
    console.require(Permission.EDIT_CUSTOMERS)
    form, state = read_form(ProfileForm, await request.form())
    if form is not None:
        try:
            profile = form.profile()
        except ValidationError as error:
            state.fail(error)
        else:
            await runtime.database.write_async(
                customer_actions.update_customer, console.actor, console.store.id, customer_id, profile
            )
            return RedirectResponse(
                f"/console/{console.store.slug}/customers/{customer_id}?saved=profile", status_code=303
            )
    state.refuse_for_scripts(request)
    return _customer_page(request, console, runtime, customer_id, profile=state, status_code=state.status)


@router.post("/console/{store_slug}/customers/{customer_id}/export")
def export_data(
    console: ConsoleDep,
    runtime: RuntimeDep,
    customer_id: CustomerId,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    console.check_csrf(csrf_token)
    runtime.database.write(customer_actions.record_export, console.actor, console.store.id, customer_id)
    with runtime.database.read() as session:
        document = customer_queries.export_customer(session, console.store.id, customer_id)
    return Response(
        json.dumps(document, indent=2, ensure_ascii=False),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="customer-{customer_id}-export.json"'},
    )


@router.post("/console/{store_slug}/customers/{customer_id}/erase")
def erase(
    request: Request,
    console: ConsoleDep,
    runtime: RuntimeDep,
    customer_id: CustomerId,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    confirm: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    console.check_csrf(csrf_token)
    console.require(Permission.ERASE_CUSTOMERS)
    if confirm.strip() != "ERASE":
        state = FormState(EraseForm, {"confirm": confirm}, prefix="erase-")
        state.problems.append(FieldProblem("confirm", "type ERASE to confirm"))
        state.refuse_for_scripts(request)
        return _customer_page(request, console, runtime, customer_id, erase=state, status_code=422)
    runtime.database.write(customer_actions.erase_customer, console.actor, console.store.id, customer_id)
    return RedirectResponse(
        f"/console/{console.store.slug}/customers/{customer_id}?saved=erased", status_code=303
    )


@router.get("/console/{store_slug}/orders/{order_id}", response_class=HTMLResponse)
def order_page(
    request: Request, console: ConsoleDep, runtime: RuntimeDep, order_id: Annotated[int, Path(ge=1, le=2**62)]
) -> Response:
    console.require(Permission.VIEW_ORDERS)
    with runtime.database.read() as session:
        order = commerce.get_order(session, console.store.id, order_id)
        customer = None
        if order.customer_id is not None:
            try:
                customer = customer_queries.get_customer(session, console.store.id, order.customer_id)
            except NotFound:
                customer = None
    return render(
        request,
        "orders/detail.html",
        {"console": console, "section": "customers", "order": order, "customer": customer},
    )
