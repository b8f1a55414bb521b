"""What a recipient of a journeys message reaches from it, without an account or a cookie: the
unsubscribe page (``/u/{store}/{token}``, also the RFC 8058 one-click target of ``List-Unsubscribe``), the
message preferences (``/preferences/{store}/{token}``: marketing by email, SMS, web push), the open pixel
(``/t/o/{token}``) and the click redirect (``/t/c/{token}``).

The token is the proof (``journeys.links``: signed for this purpose with the install's secret, naming
the store, send, customer and channel); a forged, altered or cut token, one of another kind, or one for
another store than the path's is answered 404, as if the page did not exist. No CSRF token: the link is
the credential, and a mail client's one-click POST carries no cookie. Strangers' requests are limited per
address by ``ApiRateLimitMiddleware`` (``anonymous_requests_per_address``), like every public route.
"""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from loyaldesk.customers import Customer
from loyaldesk.journeys import (
    Channel,
    LinkClaims,
    LinkKind,
    consent_allows,
    link_token,
    read_link_token,
    record_click,
    record_open,
    record_unsubscribe,
    set_consent,
)
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import NotFound
from loyaldesk.runtime import Runtime
from loyaldesk.stores import Store
from loyaldesk.web.console.rendering import render
from loyaldesk.web.deps import RuntimeDep
from loyaldesk.web.i18n import shopper_language

router = APIRouter(include_in_schema=False)

StoreSlug = Annotated[str, Path(min_length=1, max_length=64)]
Token = Annotated[str, Path(min_length=10, max_length=4096)]
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
NO_STORE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
# The channels a customer chooses on the preference page (the widget is the store's own site).
PREFERENCE_CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.PUSH)
NOT_VALID = "This link is not valid."


def _read(
    runtime: Runtime, token: str, kind: LinkKind, store_slug: str | None = None
) -> tuple[LinkClaims, Store, Customer]:
    """The token's claims, store and customer; NotFound for anything that does not hold together."""
    claims = read_link_token(runtime.secret_key, token)
    if claims is None or claims.kind is not kind:
        raise NotFound(NOT_VALID)
    with runtime.database.read() as session:
        store = session.get(Store, claims.store_id)
        customer = session.get(Customer, claims.customer_id)
        if store is None or (store_slug is not None and store.slug != store_slug):
            raise NotFound(NOT_VALID)
        if customer is None or customer.store_id != store.id:
            raise NotFound(NOT_VALID)
        session.expunge_all()
    return claims, store, customer


def _page(request: Request, template: str, store: Store, customer: Customer, **more: object) -> Response:
    language = shopper_language(request, store, customer)
    context = {"store": store, "shopper_language": language, "channels": PREFERENCE_CHANNELS, **more}
    response = render(request, template, context)
    response.headers.update(NO_STORE)
    return response


def _preferences_path(runtime: Runtime, claims: LinkClaims, store: Store) -> str:
    token = link_token(
        runtime.secret_key,
        LinkClaims(LinkKind.PREFERENCES, claims.store_id, claims.send_id, claims.customer_id, claims.channel),
    )
    return f"/preferences/{store.slug}/{token}"


@router.get("/u/{store_slug}/{token}", response_class=HTMLResponse)
def unsubscribe_page(request: Request, runtime: RuntimeDep, store_slug: StoreSlug, token: Token) -> Response:
    """Asks before unsubscribing: a link opened by a mail scanner must not unsubscribe anyone."""
    claims, store, customer = _read(runtime, token, LinkKind.UNSUBSCRIBE, store_slug)
    preferences = _preferences_path(runtime, claims, store)
    return _page(request, "member/unsubscribe.html", store, customer, done=False, preferences=preferences)


@router.post("/u/{store_slug}/{token}", response_class=HTMLResponse)
def unsubscribe(request: Request, runtime: RuntimeDep, store_slug: StoreSlug, token: Token) -> Response:
    """Unsubscribe: the page's button, or a mail client's one-click POST (``List-Unsubscribe=One-Click``,
    RFC 8058; no cookie, no CSRF token). Withdraws marketing consent on the link's channel; 200 and a
    confirmation either way, again when it was done before."""
    claims, store, customer = _read(runtime, token, LinkKind.UNSUBSCRIBE, store_slug)

    def withdraw(uow: UnitOfWork) -> None:
        set_consent(uow, store.id, customer.id, claims.channel, granted=False, source="unsubscribe_link")
        record_unsubscribe(uow, store.id, claims.send_id)

    runtime.database.write(withdraw)
    preferences = _preferences_path(runtime, claims, store)
    return _page(request, "member/unsubscribe.html", store, customer, done=True, preferences=preferences)


def _choices(runtime: Runtime, customer_id: int) -> dict[str, bool]:
    with runtime.database.read() as session:
        customer = session.get(Customer, customer_id)
        assert customer is not None
        return {channel.value: consent_allows(session, customer, channel) for channel in PREFERENCE_CHANNELS}


@router.get("/preferences/{store_slug}/{token}", response_class=HTMLResponse)
def preferences_page(request: Request, runtime: RuntimeDep, store_slug: StoreSlug, token: Token) -> Response:
    """Which marketing messages the customer wants, per channel."""
    _claims, store, customer = _read(runtime, token, LinkKind.PREFERENCES, store_slug)
    choices = _choices(runtime, customer.id)
    return _page(request, "member/preferences.html", store, customer, choices=choices, saved=False)


@router.post("/preferences/{store_slug}/{token}", response_class=HTMLResponse)
async def save_preferences(
    request: Request, runtime: RuntimeDep, store_slug: StoreSlug, token: Token
) -> Response:
    """Save every channel's choice (a box left unticked withdraws consent on that channel)."""
    _claims, store, customer = _read(runtime, token, LinkKind.PREFERENCES, store_slug)
    form = await request.form()
    wanted = {channel: form.get(channel.value) == "yes" for channel in PREFERENCE_CHANNELS}

    def save(uow: UnitOfWork) -> None:
        for channel, granted in wanted.items():
            set_consent(uow, store.id, customer.id, channel, granted=granted, source="preference_page")

    await runtime.database.write_async(save)
    choices = _choices(runtime, customer.id)
    return _page(request, "member/preferences.html", store, customer, choices=choices, saved=True)


@router.get("/t/o/{token}")
def opened(runtime: RuntimeDep, token: Token) -> Response:
    """The open pixel: a transparent 1x1 GIF; the send's first open is recorded."""
    claims, store, _customer = _read(runtime, token, LinkKind.OPEN)
    runtime.database.write(record_open, store.id, claims.send_id)
    return Response(PIXEL, media_type="image/gif", headers=NO_STORE)


@router.get("/t/c/{token}")
def clicked(runtime: RuntimeDep, token: Token) -> Response:
    """A tracked link: the click is recorded and the browser sent on, only ever to the address the token
    was signed with."""
    claims, store, _customer = _read(runtime, token, LinkKind.CLICK)
    runtime.database.write(record_click, store.id, claims.send_id)
    assert claims.url is not None  # read_link_token refuses a click token without a web address
    return RedirectResponse(claims.url, status_code=302, headers=NO_STORE)
