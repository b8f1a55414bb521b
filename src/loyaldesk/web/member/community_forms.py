"""The community's forms on the member page (``POST /m/{store}/community/...``): ask a question or start a
discussion, answer, vote helpful, accept (the asker only), report, RSVP to an event, set the display name.

Each form carries the shopper's signed identity in hidden fields (as the rest of the member page); a
shopper acts only as themself, and what another shopper wrote cannot be changed from here (the actions
refuse it, nothing changes). A form that went through redirects to the thread (303); a refused one shows
the page again with the reason naming the field (4xx) and what was typed, nothing stored. Posting too fast
is refused by the community's own limits (429, stricter for new members).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from loyaldesk import community
from loyaldesk.kernel.errors import DomainError
from loyaldesk.runtime import Runtime
from loyaldesk.web.console.rendering import render_error
from loyaldesk.web.deps import RuntimeDep
from loyaldesk.web.errors import status_for
from loyaldesk.web.member import community_views as views
from loyaldesk.web.member.community_pages import (
    BASE,
    RowId,
    StoreSlug,
    answer_post_id,
    home_page,
    identity_query,
    list_page,
    problem_text,
    render_thread_page,
    shopper_of,
    signed_in_customer_id,
)
from loyaldesk.web.member.shopper import Shopper

router = APIRouter(include_in_schema=False)
Customer = Annotated[str, Form(max_length=255)]
Signature = Annotated[str, Form(max_length=128)]
Expires = Annotated[int | None, Form(ge=0, le=2**40)]


def _thread_url(shopper: Shopper, thread_id: int, done: str, anchor: str = "") -> str:
    return (
        f"/m/{shopper.store.slug}/community/threads/{thread_id}?{identity_query(shopper, done=done)}{anchor}"
    )


@router.post(BASE + "/questions")
def ask_form(
    request: Request,
    runtime: RuntimeDep,
    store_slug: StoreSlug,
    customer: Customer = "",
    signature: Signature = "",
    expires: Expires = None,
    space: Annotated[str, Form(max_length=20)] = "product_qa",
    title: Annotated[str, Form(max_length=2000)] = "",
    body: Annotated[str, Form(max_length=40_000)] = "",
    product: Annotated[str, Form(max_length=255)] = "",
    category_id: Annotated[int | None, Form(ge=1, le=2**62)] = None,
) -> Response:
    """Ask a product question or start a discussion; the new thread's page on success, the list with
    what was typed and the reason (4xx, nothing stored) otherwise."""
    try:
        shopper = shopper_of(runtime, store_slug, customer, signature, expires)
    except DomainError as error:
        return render_error(request, status_for(error), error.message)
    kind = space if space in ("product_qa", "discussions") else "product_qa"
    entered = {"title": title, "body": body, "product": product, "category_id": category_id}
    try:
        thread_id = runtime.database.write(
            community.ask_question,
            store_id=shopper.store.id,
            customer_id=signed_in_customer_id(shopper),
            space_kind=community.SpaceKind(kind),
            title=title,
            body=body,
            product_id=(product.strip() or None) if kind == "product_qa" else None,
            category_id=category_id if kind == "discussions" else None,
        )
    except DomainError as error:
        return list_page(
            request,
            runtime,
            shopper,
            kind,
            product=product or None,
            category_id=category_id,
            entered=entered,
            error=problem_text(request, shopper, error),
            status_code=status_for(error),
        )
    return RedirectResponse(_thread_url(shopper, thread_id, "asked"), status_code=303)


def _act_on_thread(
    request: Request,
    runtime: Runtime,
    store_slug: str,
    thread_id: int,
    identity: tuple[str, str, int | None],
    act: Any,
    done: str,
    *,
    answer: str = "",
    anchor: str = "",
) -> Response:
    """Identify the shopper, run ``act(shopper)`` (one action), and show the thread: after a redirect
    when it went through, again with the reason when refused (nothing changed)."""
    try:
        shopper = shopper_of(runtime, store_slug, *identity)
    except DomainError as error:
        return render_error(request, status_for(error), error.message)
    try:
        act(shopper)
    except DomainError as error:
        try:
            return render_thread_page(
                request,
                runtime,
                shopper,
                thread_id,
                answer=answer,
                error=problem_text(request, shopper, error),
                status_code=status_for(error),
            )
        except DomainError as missing:  # the thread itself is not there (or not for this shopper)
            return render_error(request, status_for(missing), missing.message)
    return RedirectResponse(_thread_url(shopper, thread_id, done, anchor), status_code=303)


@router.post(BASE + "/threads/{thread_id}/answers")
def answer_form(
    request: Request,
    runtime: RuntimeDep,
    store_slug: StoreSlug,
    thread_id: RowId,
    customer: Customer = "",
    signature: Signature = "",
    expires: Expires = None,
    body: Annotated[str, Form(max_length=40_000)] = "",
) -> Response:
    def act(shopper: Shopper) -> None:
        runtime.database.write(
            community.post_answer,
            store_id=shopper.store.id,
            thread_id=thread_id,
            body=body,
            customer_id=signed_in_customer_id(shopper),
        )

    identity = (customer, signature, expires)
    return _act_on_thread(
        request, runtime, store_slug, thread_id, identity, act, "answered", answer=body, anchor="#answers"
    )


@router.post(BASE + "/threads/{thread_id}/helpful")
def helpful_form(
    request: Request,
    runtime: RuntimeDep,
    store_slug: StoreSlug,
    thread_id: RowId,
    post_id: Annotated[int | None, Form(ge=1, le=2**62)] = None,
    customer: Customer = "",
    signature: Signature = "",
    expires: Expires = None,
) -> Response:
    def act(shopper: Shopper) -> None:
        views.post_of_thread(runtime, shopper.store.id, thread_id, answer_post_id(post_id))
        runtime.database.write(
            community.vote_helpful,
            store_id=shopper.store.id,
            post_id=answer_post_id(post_id),
            customer_id=signed_in_customer_id(shopper),
        )

    identity = (customer, signature, expires)
    return _act_on_thread(
        request, runtime, store_slug, thread_id, identity, act, "voted", anchor=f"#post-{post_id}"
    )


@router.post(BASE + "/threads/{thread_id}/accept")
def accept_form(
    request: Request,
    runtime: RuntimeDep,
    store_slug: StoreSlug,
    thread_id: RowId,
    post_id: Annotated[int | None, Form(ge=1, le=2**62)] = None,
    customer: Customer = "",
    signature: Signature = "",
    expires: Expires = None,
) -> Response:
    """Accept an answer: only the asker may (the action refuses anyone else, and nothing changes)."""

    def act(shopper: Shopper) -> None:
        runtime.database.write(
            community.accept_answer,
            store_id=shopper.store.id,
            thread_id=thread_id,
            post_id=answer_post_id(post_id),
            customer_id=signed_in_customer_id(shopper),
        )

    identity = (customer, signature, expires)
    return _act_on_thread(
        request, runtime, store_slug, thread_id, identity, act, "accepted", anchor=f"#post-{post_id}"
    )


@router.post(BASE + "/threads/{thread_id}/unaccept")
def unaccept_form(
    request: Request,
    runtime: RuntimeDep,
    store_slug: StoreSlug,
    thread_id: RowId,
    customer: Customer = "",
    signature: Signature = "",
    expires: Expires = None,
) -> Response:
    """The asker withdraws the acceptance (points already credited stay; the action refuses others)."""

    def act(shopper: Shopper) -> None:
        runtime.database.write(
            community.unaccept_answer,
            store_id=shopper.store.id,
            thread_id=thread_id,
            customer_id=signed_in_customer_id(shopper),
        )

    identity = (customer, signature, expires)
    return _act_on_thread(request, runtime, store_slug, thread_id, identity, act, "unaccepted")


@router.post(BASE + "/threads/{thread_id}/reports")
def report_form(
    request: Request,
    runtime: RuntimeDep,
    store_slug: StoreSlug,
    thread_id: RowId,
    customer: Customer = "",
    signature: Signature = "",
    expires: Expires = None,
    post_id: Annotated[int | None, Form(ge=1, le=2**62)] = None,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Report the thread (no ``post_id``) or one of its answers to the store's moderators."""

    def act(shopper: Shopper) -> None:
        if post_id is not None:
            views.post_of_thread(runtime, shopper.store.id, thread_id, post_id)
        runtime.database.write(
            community.report_content,
            store_id=shopper.store.id,
            reporter_customer_id=signed_in_customer_id(shopper),
            thread_id=None if post_id else thread_id,
            post_id=post_id,
            reason=reason,
        )

    identity = (customer, signature, expires)
    return _act_on_thread(request, runtime, store_slug, thread_id, identity, act, "reported")


@router.post(BASE + "/events/{thread_id}/rsvp")
def rsvp_form(
    request: Request,
    runtime: RuntimeDep,
    store_slug: StoreSlug,
    thread_id: RowId,
    customer: Customer = "",
    signature: Signature = "",
    expires: Expires = None,
    going: Annotated[str, Form(max_length=3)] = "yes",
) -> Response:
    def act(shopper: Shopper) -> None:
        runtime.database.write(
            community.rsvp,
            store_id=shopper.store.id,
            thread_id=thread_id,
            customer_id=signed_in_customer_id(shopper),
            going=going == "yes",
        )

    identity = (customer, signature, expires)
    return _act_on_thread(request, runtime, store_slug, thread_id, identity, act, "rsvp")


@router.post(BASE + "/display-name")
def display_name_form(
    request: Request,
    runtime: RuntimeDep,
    store_slug: StoreSlug,
    customer: Customer = "",
    signature: Signature = "",
    expires: Expires = None,
    display_name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """The name the shopper's posts show (never their email)."""
    try:
        shopper = shopper_of(runtime, store_slug, customer, signature, expires)
    except DomainError as error:
        return render_error(request, status_for(error), error.message)
    try:
        runtime.database.write(
            community.set_display_name,
            store_id=shopper.store.id,
            customer_id=signed_in_customer_id(shopper),
            display_name=display_name,
        )
    except DomainError as error:
        return home_page(
            request,
            runtime,
            shopper,
            error=problem_text(request, shopper, error),
            status_code=status_for(error),
        )
    return RedirectResponse(
        f"/m/{store_slug}/community?{identity_query(shopper, done='named')}#display-name", status_code=303
    )
