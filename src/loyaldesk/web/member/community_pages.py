"""The community on the member page (``/m/{store}/community...``): the home with the store's spaces, the
product questions (``?product=`` filters by product), the discussions by category, a thread (ask,
answer, vote helpful, accept by the asker, report), the events with their RSVP, and the shopper's display
name. The forms these pages post are in ``community_forms``.

Identified like the rest of the member page (the store's signature of the shopper's id, in the query of a
page and the hidden fields of its forms): a shopper acts only as themself, found from the verified
identity. What another shopper wrote cannot be changed from here: the actions refuse it (accepting is the
asker's or staff's). Authors show their display name, tier badge, "verified buyer" and "staff", never an
email; bodies are shown only as the domain's sanitised HTML. Every form works without JavaScript; a
refusal shows the page again with the reason (4xx) and stores nothing. Strangers are limited per address
by ``ApiRateLimitMiddleware``; asking and answering by the community's own limits (stricter for new
members).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from loyaldesk import community
from loyaldesk.kernel.errors import DomainError, Invalid, NotFound
from loyaldesk.kernel.i18n import gettext, use_language
from loyaldesk.loyalty import program_of_store
from loyaldesk.runtime import Runtime
from loyaldesk.stores import store_by_slug
from loyaldesk.web.console.rendering import render, render_error
from loyaldesk.web.deps import RuntimeDep
from loyaldesk.web.errors import status_for
from loyaldesk.web.i18n import shopper_language
from loyaldesk.web.member import community_views as views
from loyaldesk.web.member.shopper import Shopper, identify_shopper

router = APIRouter(include_in_schema=False)

StoreSlug = Annotated[str, Path(min_length=1, max_length=64)]
RowId = Annotated[int, Path(ge=1, le=2**62)]
QCustomer = Annotated[str | None, Query(max_length=255)]
QSignature = Annotated[str | None, Query(max_length=128)]
QExpires = Annotated[int | None, Query(ge=0, le=2**40)]
BASE = "/m/{store_slug}/community"


def identity_query(shopper: Shopper, **extra: str | int) -> str:
    """The query string that keeps the shopper signed in on the next community page (plus ``extra``)."""
    values: dict[str, str | int] = {"customer": shopper.external_id, "signature": shopper.signature}
    if shopper.expires is not None:
        values["expires"] = shopper.expires
    return urlencode({**values, **extra})


def shopper_of(
    runtime: Runtime, slug: str, customer: str | None, signature: str | None, expires: int | None
) -> Shopper:
    """The shopper the store's signed link names (anonymous readers too); NotFound: unknown store."""
    with runtime.database.read() as session:
        return identify_shopper(session, slug, customer, signature, expires, runtime.clock.now())


def signed_in_customer_id(shopper: Shopper) -> int:
    """The customer id of a shopper who may post; NotFound when the store never named them."""
    if shopper.customer is None:
        raise NotFound("the store has not told loyaldesk about you yet, so you cannot post in its community")
    return shopper.customer.id


def answer_post_id(post_id: int | None) -> int:
    """The answer a form names; ``Invalid`` naming ``post_id`` when it names none."""
    if post_id is None:
        raise Invalid.field("post_id", "which answer")
    return post_id


def _viewer(shopper: Shopper) -> int | None:
    return shopper.customer.id if shopper.customer else None


def _page(
    request: Request,
    runtime: Runtime,
    shopper: Shopper,
    template: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
) -> HTMLResponse:
    language = shopper_language(request, shopper.store, shopper.customer)
    with runtime.database.read() as session:
        program = program_of_store(session, shopper.store.id)
    base = f"/m/{shopper.store.slug}/community"
    return render(
        request,
        template,
        {
            "store": shopper.store,
            "program": program,
            "shopper": shopper,
            "identity": identity_query(shopper) if shopper.signature else "",
            "reader": not shopper.signature,
            "community_base": base,
            "member_page": f"/m/{shopper.store.slug}?{identity_query(shopper)}",
            "shopper_language": language,
            **context,
        },
        status_code=status_code,
    )


def problem_text(request: Request, shopper: Shopper, error: DomainError) -> str:
    """The refusal in the shopper's words: the field it names and the reason (written in English by the
    domain; a German page says which field and quotes the reason)."""
    language = shopper_language(request, shopper.store, shopper.customer)
    with use_language(language):
        if isinstance(error, Invalid) and error.problems:
            problem = error.problems[0]
            return gettext(
                "Please check “{field}”: {reason}",
                field=views.field_label(problem.field),
                reason=problem.reason,
            )
        return error.message


# -- pages ------------------------------------------------------------------------------------------


def home_page(
    request: Request, runtime: Runtime, shopper: Shopper, *, error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    viewer = _viewer(shopper)
    with runtime.database.read() as session:
        categories = community.categories(session, store_id=shopper.store.id)
        questions = community.threads(
            session,
            store_id=shopper.store.id,
            space_kind=community.SpaceKind.PRODUCT_QA,
            viewer_customer_id=viewer,
            limit=10,
        )
        discussions = community.threads(
            session,
            store_id=shopper.store.id,
            space_kind=community.SpaceKind.DISCUSSIONS,
            viewer_customer_id=viewer,
            limit=10,
        )
        events = community.events(
            session, store_id=shopper.store.id, viewer_customer_id=viewer, now=runtime.clock.now()
        )
        name = (
            community.display_name(session, store_id=shopper.store.id, customer_id=viewer) if viewer else None
        )
    names = views.category_names(categories)
    return _page(
        request,
        runtime,
        shopper,
        "member/community/home.html",
        {
            "categories": categories,
            "questions": [views.summary(item, names) for item in questions],
            "discussions": [views.summary(item, names) for item in discussions],
            "events": [views.event(item) for item in events[:3]],
            "display_name": name,
            "error": error,
        },
        status_code=status_code,
    )


@router.get(BASE, response_class=HTMLResponse)
def community_home(
    request: Request,
    runtime: RuntimeDep,
    store_slug: StoreSlug,
    customer: QCustomer = None,
    signature: QSignature = None,
    expires: QExpires = None,
) -> Response:
    try:
        shopper = shopper_of(runtime, store_slug, customer, signature, expires)
    except DomainError as error:
        return render_error(request, status_for(error), error.message)
    return home_page(request, runtime, shopper)


def list_page(
    request: Request,
    runtime: Runtime,
    shopper: Shopper,
    space: str,
    *,
    product: str | None = None,
    category_id: int | None = None,
    entered: dict[str, Any] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    viewer = _viewer(shopper)
    kind = community.SpaceKind(space)
    with runtime.database.read() as session:
        categories = community.categories(session, store_id=shopper.store.id)
        found = community.threads(
            session,
            store_id=shopper.store.id,
            space_kind=kind,
            product_id=product if kind == community.SpaceKind.PRODUCT_QA else None,
            category_id=category_id if kind == community.SpaceKind.DISCUSSIONS else None,
            viewer_customer_id=viewer,
            limit=50,
        )
    return _page(
        request,
        runtime,
        shopper,
        "member/community/list.html",
        {
            "space": kind.value,
            "product": product or "",
            "category_id": category_id,
            "categories": categories,
            "threads": [views.summary(item, views.category_names(categories)) for item in found],
            "entered": entered or {"product": product or "", "category_id": category_id},
            "error": error,
        },
        status_code=status_code,
    )


@router.get(BASE + "/questions", response_class=HTMLResponse)
def product_questions_page(
    request: Request,
    runtime: RuntimeDep,
    store_slug: StoreSlug,
    customer: QCustomer = None,
    signature: QSignature = None,
    expires: QExpires = None,
    product: Annotated[str | None, Query(max_length=255)] = None,
) -> Response:
    try:
        shopper = shopper_of(runtime, store_slug, customer, signature, expires)
    except DomainError as error:
        return render_error(request, status_for(error), error.message)
    return list_page(request, runtime, shopper, "product_qa", product=product or None)


@router.get(BASE + "/discussions", response_class=HTMLResponse)
def discussions_page(
    request: Request,
    runtime: RuntimeDep,
    store_slug: StoreSlug,
    customer: QCustomer = None,
    signature: QSignature = None,
    expires: QExpires = None,
    category: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> Response:
    try:
        shopper = shopper_of(runtime, store_slug, customer, signature, expires)
    except DomainError as error:
        return render_error(request, status_for(error), error.message)
    return list_page(request, runtime, shopper, "discussions", category_id=category)


def render_thread_page(
    request: Request,
    runtime: Runtime,
    shopper: Shopper,
    thread_id: int,
    *,
    answer: str = "",
    error: str | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    with runtime.database.read() as session:
        found = community.thread(
            session,
            store_id=shopper.store.id,
            thread_id=thread_id,
            viewer_customer_id=_viewer(shopper),
            staff=False,
        )
        names = views.category_names(community.categories(session, store_id=shopper.store.id))
    language = shopper_language(request, shopper.store, shopper.customer)
    with use_language(language):
        flash = views.member_flash(done)
    return _page(
        request,
        runtime,
        shopper,
        "member/community/thread.html",
        {
            "thread": views.thread(found, names, _viewer(shopper)),
            "answer": answer,
            "error": error,
            "flash": flash,
            "known": shopper.customer is not None,
        },
        status_code=status_code,
    )


@router.get(BASE + "/threads/{thread_id}", response_class=HTMLResponse)
def thread_page(
    request: Request,
    runtime: RuntimeDep,
    store_slug: StoreSlug,
    thread_id: RowId,
    customer: QCustomer = None,
    signature: QSignature = None,
    expires: QExpires = None,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """The thread; without any identity (a link in a notification email, a search engine) it is shown
    to read only, as the product page's block shows it: taking part needs the store's signed link."""
    try:
        if customer is None and signature is None:
            shopper = _reader(runtime, store_slug)
        else:
            shopper = shopper_of(runtime, store_slug, customer, signature, expires)
        return render_thread_page(request, runtime, shopper, thread_id, done=done)
    except DomainError as error:
        return render_error(request, status_for(error), error.message)


def _reader(runtime: Runtime, slug: str) -> Shopper:
    """Someone reading without an identity: no customer, no signature (the page offers no forms)."""
    with runtime.database.read() as session:
        store = store_by_slug(session, slug)
        session.expunge(store)
    return Shopper(store, "", "", None, None)


@router.get(BASE + "/events", response_class=HTMLResponse)
def events_page(
    request: Request,
    runtime: RuntimeDep,
    store_slug: StoreSlug,
    customer: QCustomer = None,
    signature: QSignature = None,
    expires: QExpires = None,
) -> Response:
    try:
        shopper = shopper_of(runtime, store_slug, customer, signature, expires)
    except DomainError as error:
        return render_error(request, status_for(error), error.message)
    with runtime.database.read() as session:
        found = community.events(
            session, store_id=shopper.store.id, viewer_customer_id=_viewer(shopper), now=runtime.clock.now()
        )
    return _page(
        request, runtime, shopper, "member/community/events.html", {"events": [views.event(e) for e in found]}
    )
