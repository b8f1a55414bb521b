"""Outgoing webhooks in the console, for owners and admins (``Permission.MANAGE_INTEGRATIONS``):
``/console/{store}/webhooks`` lists the endpoints and adds one; ``/console/{store}/webhooks/{id}``
shows one with its delivery log (replay, send a test event), changes it, enables or disables it,
reveals or rotates its secret and deletes it. A secret is shown in the answer to a POST only (the
creation, a reveal, a rotation), never in a URL."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import Field

from loyaldesk.channels.webhooks import ALL_EVENTS, DeliveryStatus, actions, queries
from loyaldesk.channels.webhooks.signing import SECRET_PREFIX
from loyaldesk.kernel.errors import Conflict, Invalid
from loyaldesk.kernel.pagination import decode_cursor
from loyaldesk.stores import Permission
from loyaldesk.web.console.forms import ConsoleForm, FormState, blank_form, read_form
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import Console, ConsoleDep
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)

EndpointId = Annotated[int, Path(ge=1, le=2**62)]
DeliveryId = Annotated[int, Path(ge=1, le=2**62)]
CsrfToken = Annotated[str, Form(max_length=100)]

NOTICES = {
    "saved": "Endpoint saved.",
    "enabled": "Endpoint enabled: it receives the events from now on.",
    "disabled": "Endpoint disabled: nothing more is sent to it.",
    "test": "A test event is on its way; it shows in the log below within seconds.",
    "replayed": "The delivery is sent again; it shows at the top of the log within seconds.",
    "deleted": "Endpoint deleted.",
    "enable-first": "The endpoint is disabled: enable it first.",
}


class EndpointForm(ConsoleForm):
    """An endpoint: where events go, and which."""

    url: str = Field(
        title="Endpoint URL",
        min_length=1,
        max_length=600,
        description="An https address of your systems; loyaldesk POSTs each event there as JSON.",
        json_schema_extra={
            "widget": "url",
            "attrs": {"maxlength": 500, "placeholder": "https://shop.example.com/hooks/loyaldesk"},
        },
    )
    description: str = Field(
        default="",
        title="Description (optional)",
        max_length=200,
        json_schema_extra={"attrs": {"placeholder": "Order sync in our ERP"}},
    )
    all_events: bool = Field(
        default=True,
        title="Send every event",
        description="Including event types added in later versions. Untick to choose below.",
    )
    event_types: list[str] = Field(
        default_factory=list,
        title="Or only these events",
        json_schema_extra={"choices": {}},
    )


def _types(form: EndpointForm) -> list[str]:
    return [ALL_EVENTS] if form.all_events else form.event_types


def _notice(done: str | None) -> str | None:
    return NOTICES.get(done or "")


def _choices() -> tuple[tuple[str, str], ...]:
    return tuple((name, name) for name in actions.subscribable_types())


def _list_page(
    request: Request,
    runtime: Any,
    console: Console,
    form: FormState | None = None,
    *,
    notice: str | None = None,
    new_secret: str | None = None,
    status_code: int = 200,
) -> Response:
    with runtime.database.read() as session:
        views = queries.endpoints(session, console.actor, console.store.id)
    if form is not None and form.invalid:
        form.refuse_for_scripts(request)
    state = form or blank_form(EndpointForm)
    return render(
        request,
        "webhooks/list.html",
        {
            "console": console,
            "section": "settings",
            "tab": "webhooks",
            "views": views,
            "form": state,
            "event_types_field": state.field("event_types", choices=_choices()),
            "notice": notice,
            "new_secret": new_secret,
            "private_network_allowed": runtime.settings.allow_private_network,
            "secret_prefix": SECRET_PREFIX,
        },
        status_code=form.status if form is not None and form.invalid else status_code,
    )


@router.get("/console/{store_slug}/webhooks", response_class=HTMLResponse)
def webhooks_page(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    console.require(Permission.MANAGE_INTEGRATIONS)
    return _list_page(request, runtime, console, notice=_notice(done))


@router.post("/console/{store_slug}/webhooks", response_class=HTMLResponse)
async def add_endpoint(
    request: Request, runtime: RuntimeDep, console: ConsoleDep, csrf_token: CsrfToken = ""
) -> Response:
    """Add an endpoint; the answer shows its secret, this once (201). A refused form comes back (422)."""
    console.check_csrf(csrf_token)
    console.require(Permission.MANAGE_INTEGRATIONS)
    form, state = read_form(EndpointForm, await request.form())
    if form is not None:
        try:
            created = await runtime.database.write_async(
                actions.create_endpoint,
                console.actor,
                console.store.id,
                url=form.url,
                description=form.description,
                event_types=_types(form),
                policy=runtime.outbound,
            )
        except (Invalid, Conflict) as error:
            state.fail(error, field="url")
        else:
            return _list_page(
                request,
                runtime,
                console,
                notice=f"Endpoint added: {created.endpoint.url}",
                new_secret=created.secret,
                status_code=201,
            )
    return _list_page(request, runtime, console, state)


def _detail_page(
    request: Request,
    runtime: Any,
    console: Console,
    endpoint_id: int,
    *,
    cursor: str | None = None,
    form: FormState | None = None,
    notice: str | None = None,
    secret: str | None = None,
) -> Response:
    with runtime.database.read() as session:
        view = queries.endpoint(session, console.actor, console.store.id, endpoint_id)
        rows, next_cursor = queries.deliveries(
            session, console.actor, console.store.id, endpoint_id, before_id=decode_cursor(cursor), limit=25
        )
    endpoint = view.endpoint
    if form is not None and form.invalid:
        form.refuse_for_scripts(request)
    everything = ALL_EVENTS in endpoint.event_types
    state = form or blank_form(
        EndpointForm,
        {
            "url": endpoint.url,
            "description": endpoint.description,
            "all_events": everything,
            "event_types": [] if everything else list(endpoint.event_types),
        },
    )
    return render(
        request,
        "webhooks/endpoint.html",
        {
            "console": console,
            "section": "settings",
            "tab": "webhooks",
            "view": view,
            "endpoint": endpoint,
            "deliveries": rows,
            "statuses": {status.value: status.label for status in DeliveryStatus},
            "next_cursor": next_cursor,
            "paged": cursor is not None,
            "form": state,
            "event_types_field": state.field("event_types", choices=_choices()),
            "notice": notice,
            "secret": secret,
        },
        status_code=form.status if form is not None and form.invalid else 200,
    )


def _back(console: Console, endpoint_id: int, done: str) -> RedirectResponse:
    return RedirectResponse(
        f"/console/{console.store.slug}/webhooks/{endpoint_id}?done={done}", status_code=303
    )


@router.get("/console/{store_slug}/webhooks/{endpoint_id}", response_class=HTMLResponse)
def endpoint_page(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    endpoint_id: EndpointId,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    console.require(Permission.MANAGE_INTEGRATIONS)
    return _detail_page(request, runtime, console, endpoint_id, cursor=cursor, notice=_notice(done))


@router.post("/console/{store_slug}/webhooks/{endpoint_id}", response_class=HTMLResponse)
async def change_endpoint(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    endpoint_id: EndpointId,
    csrf_token: CsrfToken = "",
) -> Response:
    console.check_csrf(csrf_token)
    console.require(Permission.MANAGE_INTEGRATIONS)
    form, state = read_form(EndpointForm, await request.form())
    if form is not None:
        try:
            await runtime.database.write_async(
                actions.update_endpoint,
                console.actor,
                console.store.id,
                endpoint_id,
                url=form.url,
                description=form.description,
                event_types=_types(form),
                policy=runtime.outbound,
            )
        except Invalid as error:
            state.fail(error, field="url")
        else:
            return _back(console, endpoint_id, "saved")
    return _detail_page(request, runtime, console, endpoint_id, form=state)


@router.post("/console/{store_slug}/webhooks/{endpoint_id}/enabled")
def set_enabled(
    runtime: RuntimeDep,
    console: ConsoleDep,
    endpoint_id: EndpointId,
    enabled: Annotated[bool, Form()],
    csrf_token: CsrfToken = "",
) -> Response:
    console.check_csrf(csrf_token)
    runtime.database.write(
        actions.update_endpoint,
        console.actor,
        console.store.id,
        endpoint_id,
        enabled=enabled,
        policy=runtime.outbound,
    )
    return _back(console, endpoint_id, "enabled" if enabled else "disabled")


@router.post("/console/{store_slug}/webhooks/{endpoint_id}/secret", response_class=HTMLResponse)
def reveal_secret(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    endpoint_id: EndpointId,
    csrf_token: CsrfToken = "",
) -> Response:
    """The page again with the secret shown (a POST: audited, and never in a URL or a cache)."""
    console.check_csrf(csrf_token)
    secret = runtime.database.write(actions.reveal_secret, console.actor, console.store.id, endpoint_id)
    return _detail_page(request, runtime, console, endpoint_id, secret=secret)


@router.post("/console/{store_slug}/webhooks/{endpoint_id}/rotate", response_class=HTMLResponse)
def rotate_secret(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    endpoint_id: EndpointId,
    csrf_token: CsrfToken = "",
) -> Response:
    console.check_csrf(csrf_token)
    secret = runtime.database.write(actions.rotate_secret, console.actor, console.store.id, endpoint_id)
    notice = "New secret made: deliveries are signed with it from now on. Update your endpoint."
    return _detail_page(request, runtime, console, endpoint_id, secret=secret, notice=notice)


@router.post("/console/{store_slug}/webhooks/{endpoint_id}/test")
def send_test(
    runtime: RuntimeDep, console: ConsoleDep, endpoint_id: EndpointId, csrf_token: CsrfToken = ""
) -> Response:
    console.check_csrf(csrf_token)
    try:
        runtime.database.write(actions.send_test_event, console.actor, console.store.id, endpoint_id)
    except Conflict:
        return _back(console, endpoint_id, "enable-first")
    return _back(console, endpoint_id, "test")


@router.post("/console/{store_slug}/webhooks/{endpoint_id}/deliveries/{delivery_id}/replay")
def replay(
    runtime: RuntimeDep,
    console: ConsoleDep,
    endpoint_id: EndpointId,
    delivery_id: DeliveryId,
    csrf_token: CsrfToken = "",
) -> Response:
    console.check_csrf(csrf_token)
    try:
        runtime.database.write(
            actions.replay_delivery, console.actor, console.store.id, endpoint_id, delivery_id
        )
    except Conflict:
        return _back(console, endpoint_id, "enable-first")
    return _back(console, endpoint_id, "replayed")


@router.post("/console/{store_slug}/webhooks/{endpoint_id}/delete")
def delete(
    runtime: RuntimeDep, console: ConsoleDep, endpoint_id: EndpointId, csrf_token: CsrfToken = ""
) -> Response:
    console.check_csrf(csrf_token)
    runtime.database.write(actions.delete_endpoint, console.actor, console.store.id, endpoint_id)
    return RedirectResponse(f"/console/{console.store.slug}/webhooks?done=deleted", status_code=303)
