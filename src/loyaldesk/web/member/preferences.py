"""What a shopper told the store they prefer (sizes, interests, categories to leave out, channels): the
member page's "Your preferences" (``/m/{store}/preferences``) and the member API
(``GET``/``PUT /member-api/v1/{store}/me/preferences``).

Identified like the rest of the member page and API (the store's signature of the shopper's id): a shopper
reaches only their own preferences, found from the verified identity, never from an id in the request.
Strangers are limited per address by ``ApiRateLimitMiddleware``, like every route without a credential.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from loyaldesk.journeys import Channel
from loyaldesk.kernel.errors import DomainError, Invalid, NotFound
from loyaldesk.kernel.i18n import gettext, use_language
from loyaldesk.recommendations.actions.preferences import save_preferences
from loyaldesk.recommendations.queries.preferences import category_choices, preferences_of
from loyaldesk.recommendations.schemas import MemberPreferencesOut, PreferencesIn, PreferencesOut
from loyaldesk.runtime import Runtime
from loyaldesk.web.console.rendering import render, render_error
from loyaldesk.web.deps import RuntimeDep
from loyaldesk.web.errors import status_for
from loyaldesk.web.i18n import shopper_language
from loyaldesk.web.member.shopper import Shopper, ShopperDep, identify_shopper

router = APIRouter(tags=["member"])

StoreSlug = Annotated[str, Path(min_length=1, max_length=64)]
# The kinds of size the page always offers (a shopper's other kinds, sent through the API, are kept).
SIZE_KINDS = ("tops", "bottoms", "shoes")


def _customer_id(shopper: Shopper) -> int:
    if shopper.customer is None:
        raise NotFound("the store has not told loyaldesk about you yet")
    return shopper.customer.id


# -- member API -----------------------------------------------------------------------------------


@router.get(
    "/member-api/v1/{store_slug}/me/preferences",
    response_model=MemberPreferencesOut,
    summary="My preferences, with the store's categories to choose from",
)
def my_preferences(shopper: ShopperDep, runtime: RuntimeDep) -> MemberPreferencesOut:
    customer_id = _customer_id(shopper)
    with runtime.database.read() as session:
        mine = preferences_of(session, shopper.store.id, customer_id)
        choices = category_choices(session, shopper.store.id)
    return MemberPreferencesOut(**mine.model_dump(), category_choices=choices)


@router.put(
    "/member-api/v1/{store_slug}/me/preferences",
    response_model=PreferencesOut,
    summary="Replace my preferences (what is left out is cleared)",
)
def put_my_preferences(body: PreferencesIn, shopper: ShopperDep, runtime: RuntimeDep) -> PreferencesOut:
    customer_id = _customer_id(shopper)
    runtime.database.write(save_preferences, shopper.actor, shopper.store.id, customer_id, body)
    with runtime.database.read() as session:
        return preferences_of(session, shopper.store.id, customer_id)


# -- member page ----------------------------------------------------------------------------------


def _identity(shopper: Shopper, **extra: str) -> str:
    values: dict[str, str | int] = {"customer": shopper.external_id, "signature": shopper.signature}
    if shopper.expires is not None:
        values["expires"] = shopper.expires
    return urlencode({**values, **extra})


def _size_labels() -> dict[str, str]:
    return {
        "tops": gettext("Tops (shirts, sweaters)"),
        "bottoms": gettext("Trousers and skirts"),
        "shoes": gettext("Shoes"),
    }


def _channel_labels() -> dict[str, str]:
    return {
        Channel.EMAIL.value: gettext("Email"),
        Channel.SMS.value: gettext("Text message (SMS)"),
        Channel.PUSH.value: gettext("Browser notifications"),
        Channel.WIDGET.value: gettext("Chat on the store's website"),
    }


def _field_label(field: str) -> str:
    return {
        "sizes": gettext("Sizes"),
        "interests": gettext("What you like"),
        "excluded_categories": gettext("What not to show you"),
        "channels": gettext("How we reach you"),
    }.get(field.split(".")[0], field)


def _page(
    request: Request,
    runtime: Runtime,
    shopper: Shopper,
    *,
    entered: dict[str, Any] | None = None,
    error: str | None = None,
    saved: bool = False,
    status_code: int = 200,
) -> HTMLResponse:
    language = shopper_language(request, shopper.store, shopper.customer)
    with runtime.database.read() as session, use_language(language):
        stored = preferences_of(session, shopper.store.id, shopper.customer.id) if shopper.customer else None
        categories = category_choices(session, shopper.store.id)
        values = entered or (stored.model_dump(mode="json") if stored else None)
        sizes = dict((values or {}).get("sizes") or {})
        chosen = set((values or {}).get("interests") or []) | set(
            (values or {}).get("excluded_categories") or []
        )
        size_labels, channel_labels = _size_labels(), _channel_labels()
        context = {
            "store": shopper.store,
            "shopper": shopper,
            "known": shopper.customer is not None,
            "not_known": gettext(
                "The store has not told us about you yet, so there is nothing to keep your preferences with."
            ),
            "values": values or {},
            "size_rows": [(kind, size_labels.get(kind, kind), sizes.get(kind, "")) for kind in SIZE_KINDS]
            + [(kind, kind, value) for kind, value in sizes.items() if kind not in SIZE_KINDS],
            "categories": sorted(set(categories) | chosen, key=str.casefold),
            "channels": [(channel.value, channel_labels[channel.value]) for channel in Channel],
            "error": error,
            "saved": saved,
            "back": f"/m/{shopper.store.slug}?{_identity(shopper)}",
            "shopper_language": language,
        }
    return render(request, "member/shopping_preferences.html", context, status_code=status_code)


def _page_shopper(
    runtime: Runtime, slug: str, customer: str | None, signature: str | None, expires: int | None
) -> Shopper:
    with runtime.database.read() as session:
        return identify_shopper(session, slug, customer, signature, expires, runtime.clock.now())


@router.get("/m/{store_slug}/preferences", response_class=HTMLResponse, include_in_schema=False)
def preferences_page(
    request: Request,
    runtime: RuntimeDep,
    store_slug: StoreSlug,
    customer: Annotated[str | None, Query(max_length=255)] = None,
    signature: Annotated[str | None, Query(max_length=128)] = None,
    expires: Annotated[int | None, Query(ge=0, le=2**40)] = None,
    saved: Annotated[int, Query(ge=0, le=1)] = 0,
) -> Response:
    try:
        shopper = _page_shopper(runtime, store_slug, customer, signature, expires)
    except DomainError as error:
        return render_error(request, status_for(error), error.message)
    return _page(request, runtime, shopper, saved=bool(saved))


@router.post("/m/{store_slug}/preferences", include_in_schema=False)
def save_preferences_page(
    request: Request,
    runtime: RuntimeDep,
    store_slug: StoreSlug,
    customer: Annotated[str, Form(max_length=255)] = "",
    signature: Annotated[str, Form(max_length=128)] = "",
    expires: Annotated[int | None, Form(ge=0, le=2**40)] = None,
    size_kind: Annotated[list[str], Form(max_length=30)] = [],  # noqa: B006  (FastAPI copies defaults)
    size_value: Annotated[list[str], Form(max_length=30)] = [],  # noqa: B006
    interest: Annotated[list[str], Form(max_length=300)] = [],  # noqa: B006
    exclude: Annotated[list[str], Form(max_length=300)] = [],  # noqa: B006
    channel: Annotated[list[str], Form(max_length=10)] = [],  # noqa: B006
) -> Response:
    """Save the form. The sizes come as pairs (a kind, its size: empty clears it); a category ticked as
    both liked and excluded, or anything out of bounds, shows the form again with the reason (422)."""
    try:
        shopper = _page_shopper(runtime, store_slug, customer, signature, expires)
    except DomainError as error:
        return render_error(request, status_for(error), error.message)
    entered = {
        "sizes": {
            kind: value
            for kind, value in zip(size_kind, size_value, strict=False)
            if kind.strip() and value.strip()
        },
        "interests": interest,
        "excluded_categories": exclude,
        "channels": channel,
    }
    if shopper.customer is None:
        return _page(request, runtime, shopper, entered=entered, error=None, status_code=409)
    language = shopper_language(request, shopper.store, shopper.customer)
    try:
        body = PreferencesIn.model_validate(entered)
        runtime.database.write(save_preferences, shopper.actor, shopper.store.id, shopper.customer.id, body)
    except ValidationError as error:
        problem = error.errors()[0]
        field = ".".join(str(part) for part in problem["loc"])
        with use_language(language):
            message = gettext(
                "Please check “{field}”: {reason}", field=_field_label(field), reason=problem["msg"]
            )
        return _page(request, runtime, shopper, entered=entered, error=message, status_code=422)
    except Invalid as error:
        with use_language(language):
            field = error.problems[0].field if error.problems else ""
            message = gettext(
                "Please check “{field}”: {reason}",
                field=_field_label(field),
                reason=error.problems[0].reason if error.problems else error.message,
            )
        return _page(request, runtime, shopper, entered=entered, error=message, status_code=422)
    return RedirectResponse(
        f"/m/{store_slug}/preferences?{_identity(shopper, saved='1')}#saved", status_code=303
    )
