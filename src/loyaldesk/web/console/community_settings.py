"""The Community section's configuration and events: ``/console/{store}/community/settings`` (banned words,
points for an accepted answer and for helpful votes, the daily cap, how many verified buyers a new
product question asks, the posting limits and what a new member is; the discussion categories with the
staff who own them) and ``.../community/events`` (the upcoming events with their RSVPs; creating one).

Managers configure and create events (``manage_support``: admins and owners); whoever may view
conversations sees the events and their RSVPs. Refused values come back beside the form with the field
named (422), nothing saved.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from loyaldesk import community
from loyaldesk.kernel.errors import DomainError, FieldProblem, Invalid
from loyaldesk.stores import Permission
from loyaldesk.stores.models import StaffAccount, StoreMembership
from loyaldesk.web.console.loyalty_forms import FormDep
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import Console, ConsoleDep
from loyaldesk.web.deps import RuntimeDep
from loyaldesk.web.errors import status_for

router = APIRouter(include_in_schema=False)
RowId = Annotated[int, Path(ge=1, le=2**62)]
CONFIGURE = Permission.MANAGE_SUPPORT
READ = Permission.VIEW_CONVERSATIONS
BASE = "/console/{store_slug}/community"
NUMBER_FIELDS = (
    ("points_accepted", "Points for an accepted answer", "Credited once per thread, to the answer's author."),
    (
        "points_question_answered",
        "Points for the asker of an answered question",
        "Once per thread, when someone else's answer is accepted.",
    ),
    (
        "points_helpful",
        "Points for a helpful answer",
        "Each time an answer's helpful votes reach a milestone.",
    ),
    (
        "daily_points_cap",
        "Most community points a member earns a day",
        "Against farming; beyond it, nothing is credited.",
    ),
    (
        "buyers_to_notify",
        "Verified buyers asked about a new product question",
        "0 asks nobody; consent is respected.",
    ),
    ("posts_per_hour", "Questions and answers a member may post an hour", ""),
    ("new_member_posts_per_hour", "… for a new member", "Stricter, against spam from fresh accounts."),
    ("new_member_days", "A member is new for (days)", ""),
)
DONE = {
    "saved": "Settings saved.",
    "category": "Category saved.",
    "event": "Event created: it is on the member page.",
}


def _text(form: Any, name: str, limit: int = 20_000) -> str:
    value = form.get(name)
    return str(value)[:limit] if isinstance(value, str) else ""


def _problems(error: Exception) -> list[FieldProblem]:
    if isinstance(error, ValidationError):
        return [
            FieldProblem(".".join(str(part) for part in problem["loc"]) or "form", problem["msg"])
            for problem in error.errors()
        ]
    if isinstance(error, Invalid) and error.problems:
        return list(error.problems)
    return [FieldProblem("form", str(error))]


def _staff_choices(session: Any, store_id: int) -> list[tuple[int, str]]:
    rows = session.execute(
        select(StaffAccount.id, StaffAccount.name)
        .join(StoreMembership, StoreMembership.staff_id == StaffAccount.id)
        .where(StoreMembership.store_id == store_id)
        .order_by(StaffAccount.name)
    )
    return [(row.id, row.name) for row in rows]


def embed_snippet(public_base_url: str, store_slug: str) -> str:
    """The tag a store puts on a product page for the product Q&A block (``PRODUCT_ID``: the product's id
    or SKU; the customer attributes only for a signed-in shopper, signed as for the chat widget)."""
    base = public_base_url.strip().rstrip("/")
    return (
        f'<script type="module" src="{base}/static/widget/community-qa.js" data-loyaldesk-qa\n'
        f'        data-store="{store_slug}" data-product="PRODUCT_ID"\n'
        '        data-customer-id="CUSTOMER_ID" data-customer-signature="SIGNATURE"></script>'
    )


def _settings_page(
    request: Request,
    runtime: Any,
    console: Console,
    *,
    entered: dict[str, Any] | None = None,
    problems: list[FieldProblem] | None = None,
    category_problems: list[FieldProblem] | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> Response:
    with runtime.database.read() as session:
        stored = community.community_settings(session, store_id=console.store.id)
        categories = community.categories(session, store_id=console.store.id)
        staff = _staff_choices(session, console.store.id)
    values = entered or {
        **stored.model_dump(),
        "banned_words": "\n".join(stored.banned_words),
        "helpful_milestones": ", ".join(str(m) for m in stored.helpful_milestones),
    }
    staff_names = dict(staff)
    return render(
        request,
        "community/settings.html",
        {
            "console": console,
            "section": "community",
            "active": "settings",
            "values": values,
            "number_fields": NUMBER_FIELDS,
            "errors": {p.field.split(".")[0]: p.reason for p in problems or []},
            "category_errors": {p.field.split(".")[0]: p.reason for p in category_problems or []},
            "categories": [
                {
                    "id": category.id,
                    "name": category.name,
                    "description": category.description,
                    "owners": [staff_names.get(i, f"#{i}") for i in category.owner_staff_ids],
                    "owner_ids": category.owner_staff_ids,
                    "position": category.position,
                }
                for category in categories
            ],
            "staff": staff,
            "embed_snippet": embed_snippet(runtime.settings.public_base_url, console.store.slug),
            "flash": DONE.get(done or ""),
        },
        status_code=status_code,
    )


@router.get(BASE + "/settings", response_class=HTMLResponse)
def settings_page(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    console.require(CONFIGURE)
    return _settings_page(request, runtime, console, done=done)


@router.post(BASE + "/settings")
def save_settings(request: Request, runtime: RuntimeDep, console: ConsoleDep, form: FormDep) -> Response:
    console.check_csrf(_text(form, "csrf_token", 200))
    console.require(CONFIGURE)
    entered: dict[str, Any] = {name: _text(form, name, 20) for name, _label, _help in NUMBER_FIELDS}
    entered["banned_words"] = _text(form, "banned_words", 30_000)
    entered["helpful_milestones"] = _text(form, "helpful_milestones", 200)
    try:
        milestones = [part.strip() for part in entered["helpful_milestones"].replace(";", ",").split(",")]
        values: dict[str, Any] = {name: entered[name] for name, _label, _help in NUMBER_FIELDS}
        values["banned_words"] = [line for line in entered["banned_words"].replace(",", "\n").splitlines()]
        values["helpful_milestones"] = [part for part in milestones if part]
        settings_in = community.CommunitySettingsIn.model_validate(values)
        runtime.database.write(
            community.save_community_settings,
            store_id=console.store.id,
            actor=console.actor,
            settings_in=settings_in,
        )
    except (ValidationError, DomainError) as error:
        status = 422 if isinstance(error, ValidationError) else status_for(error)
        return _settings_page(
            request, runtime, console, entered=entered, problems=_problems(error), status_code=status
        )
    return RedirectResponse(f"/console/{console.store.slug}/community/settings?done=saved", status_code=303)


def _save_category(
    request: Request, runtime: Any, console: Console, form: Any, category_id: int | None
) -> Response:
    console.check_csrf(_text(form, "csrf_token", 200))
    console.require(CONFIGURE)
    try:
        owners = [int(v) for v in form.getlist("owner_staff_ids") if isinstance(v, str) and v.isdigit()]
        category_in = community.CategoryIn(
            name=_text(form, "name", 200).strip(),
            description=_text(form, "description", 1000).strip(),
            owner_staff_ids=owners,
        )
        runtime.database.write(
            community.save_category,
            store_id=console.store.id,
            actor=console.actor,
            category_in=category_in,
            category_id=category_id,
        )
    except (ValidationError, DomainError) as error:
        status = 422 if isinstance(error, ValidationError) else status_for(error)
        return _settings_page(
            request, runtime, console, category_problems=_problems(error), status_code=status
        )
    return RedirectResponse(
        f"/console/{console.store.slug}/community/settings?done=category#categories", status_code=303
    )


@router.post(BASE + "/categories")
def new_category(request: Request, runtime: RuntimeDep, console: ConsoleDep, form: FormDep) -> Response:
    return _save_category(request, runtime, console, form, None)


@router.post(BASE + "/categories/{category_id}")
def edit_category(
    request: Request, runtime: RuntimeDep, console: ConsoleDep, category_id: RowId, form: FormDep
) -> Response:
    return _save_category(request, runtime, console, form, category_id)


# -- events -----------------------------------------------------------------------------------------


def _events_page(
    request: Request,
    runtime: Any,
    console: Console,
    *,
    entered: dict[str, Any] | None = None,
    problems: list[FieldProblem] | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> Response:
    with runtime.database.read() as session:
        found = community.events(session, store_id=console.store.id, now=runtime.clock.now())
    return render(
        request,
        "community/events.html",
        {
            "console": console,
            "section": "community",
            "active": "events",
            "events": found,
            "may_create": console.can(CONFIGURE),
            "entered": entered or {},
            "errors": {p.field.split(".")[0]: p.reason for p in problems or []},
            "flash": DONE.get(done or ""),
        },
        status_code=status_code,
    )


@router.get(BASE + "/events", response_class=HTMLResponse)
def events_page(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    console.require(READ)
    return _events_page(request, runtime, console, done=done)


def _local(text: str, field: str, timezone: str) -> datetime:
    try:
        moment = datetime.strptime(text.strip(), "%Y-%m-%dT%H:%M")
    except ValueError:
        raise Invalid.field(field, "a date and time like 2026-12-24T18:00") from None
    return moment.replace(tzinfo=ZoneInfo(timezone or "UTC"))


@router.post(BASE + "/events")
def create_event(request: Request, runtime: RuntimeDep, console: ConsoleDep, form: FormDep) -> Response:
    """Create an event (times typed in the store's time zone); it appears on the member page."""
    console.check_csrf(_text(form, "csrf_token", 200))
    console.require(CONFIGURE)
    names = ("title", "body", "starts_at", "ends_at", "location", "capacity")
    entered = {name: _text(form, name) for name in names}
    try:
        zone = console.store.timezone
        capacity = entered["capacity"].strip()
        if capacity and not capacity.isdigit():
            raise Invalid.field("capacity", "a whole number of places, or empty for no limit")
        event_in = community.EventIn(
            title=entered["title"].strip(),
            body=entered["body"],
            starts_at=_local(entered["starts_at"], "starts_at", zone),
            ends_at=_local(entered["ends_at"], "ends_at", zone),
            location=entered["location"].strip(),
            capacity=int(capacity) if capacity else None,
        )
        runtime.database.write(
            community.create_event, store_id=console.store.id, actor=console.actor, event_in=event_in
        )
    except (ValidationError, DomainError) as error:
        status = 422 if isinstance(error, ValidationError) else status_for(error)
        return _events_page(
            request, runtime, console, entered=entered, problems=_problems(error), status_code=status
        )
    return RedirectResponse(f"/console/{console.store.slug}/community/events?done=event", status_code=303)
