"""What a shopper sees of the loyalty program: the member API (for a store's own front end) and the member
page (``/m/{store}``, to link to or embed), both identified by the store's signature of the shopper's id
(see ``web.member.shopper``); and the invitation page a referral link opens.

A shopper only ever reaches their own membership: every route finds the member from the verified
identity, never from an id in the request.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Header, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from loyaldesk import bookings
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict, DomainError, NotFound
from loyaldesk.kernel.i18n import gettext, use_language
from loyaldesk.kernel.pagination import Page
from loyaldesk.loyalty import program_of_store
from loyaldesk.loyalty.actions import redeem_rewards as redemptions
from loyaldesk.loyalty.actions.enrol_members import join_as_shopper
from loyaldesk.loyalty.member_schemas import CodeOut, EntryOut, MemberOut, OfferOut
from loyaldesk.loyalty.models import Member
from loyaldesk.loyalty.program import referral_link
from loyaldesk.loyalty.queries import program as program_queries
from loyaldesk.loyalty.queries import views as queries
from loyaldesk.loyalty.queries.members import member_of_customer, members_of_customers
from loyaldesk.loyalty.schemas import RedemptionIn
from loyaldesk.runtime import Runtime
from loyaldesk.stores import store_by_slug
from loyaldesk.web.api.loyalty import member_out
from loyaldesk.web.console.rendering import render, render_error
from loyaldesk.web.deps import PageDep, RuntimeDep
from loyaldesk.web.errors import status_for
from loyaldesk.web.i18n import shopper_language
from loyaldesk.web.member.offers import offers_view
from loyaldesk.web.member.recommendations import picked_for_you
from loyaldesk.web.member.shopper import (
    Shopper,
    ShopperDep,
    ShopperHeaders,
    ShopperHeadersDep,
    identify_shopper,
    identify_shoppers,
)
from loyaldesk.web.member.survey_member import open_surveys

router = APIRouter(tags=["member"])
api = "/member-api/v1/{store_slug}"

StoreSlug = Annotated[str, Path(min_length=1, max_length=64)]
IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=100,
        description="Required: an id for this redemption; sending it again returns the same code.",
    ),
]


def _member(session: Session, shopper: Shopper) -> Member:
    member = member_of_customer(session, shopper.store.id, shopper.customer.id) if shopper.customer else None
    if member is None:
        raise NotFound("you are not a member of the loyalty program yet; join it first")
    return member


def _redemption_key(member: Member, key: str) -> str:
    # Namespaced by member, so that one shopper's key can never touch another's redemption.
    return f"member:{member.id}:{key}"


# -- member API -----------------------------------------------------------------------------------


@router.get(api + "/me", response_model=MemberOut, summary="My points, tier progress, badges, referral link")
def me(shopper: ShopperDep, runtime: RuntimeDep) -> MemberOut:
    with runtime.database.read() as session:
        return member_out(runtime, session, shopper.store.id, _member(session, shopper))


@router.post(api + "/me/join", response_model=MemberOut, summary="Join the loyalty program")
def join(shopper: ShopperDep, runtime: RuntimeDep) -> MemberOut:
    member = runtime.database.write(join_as_shopper, shopper.store.id, shopper.external_id)
    with runtime.database.read() as session:
        return member_out(runtime, session, shopper.store.id, session.get(Member, member.id) or member)


@router.get(api + "/me/history", response_model=Page[EntryOut], summary="My points history, newest first")
def my_history(shopper: ShopperDep, runtime: RuntimeDep, page: PageDep) -> Page[EntryOut]:
    with runtime.database.read() as session:
        member = _member(session, shopper)
        entries, cursor = queries.history(session, member.id, before_id=page.before_id, limit=page.limit)
    return Page(data=[EntryOut.of(entry) for entry in entries], next_cursor=cursor)


@router.get(api + "/me/rewards", response_model=list[OfferOut], summary="Rewards, with what they cost me")
def my_rewards(shopper: ShopperDep, runtime: RuntimeDep) -> list[OfferOut]:
    with runtime.database.read() as session:
        picture = queries.member_picture(
            session, shopper.store, _member(session, shopper), runtime.clock.now()
        )
    return [OfferOut.of(offer) for offer in picture.offers]


@router.get(api + "/me/codes", response_model=list[CodeOut], summary="My reward codes")
def my_codes(shopper: ShopperDep, runtime: RuntimeDep) -> list[CodeOut]:
    with runtime.database.read() as session:
        member = _member(session, shopper)
        return [CodeOut.of(code, name) for code, name in program_queries.codes_of_member(session, member.id)]


@router.post(
    api + "/me/redemptions", status_code=201, response_model=CodeOut, summary="Redeem a reward; get its code"
)
async def my_redemption(
    body: RedemptionIn, headers: ShopperHeadersDep, runtime: RuntimeDep, idempotency_key: IdempotencyKey
) -> CodeOut:
    # No thread of its own: the shopper is identified, and the redemption made, by the writer thread
    # together with the other redemptions waiting for it (a few statements and one commit for all).
    outcome = await runtime.database.write_coalesced_async(
        ("member-api.redeem", headers.store_slug),
        redeem_as_shoppers,
        headers.store_slug,
        item=ShopperRedemption(headers, body.reward_id, idempotency_key),
    )
    if isinstance(outcome, DomainError):
        raise outcome
    return CodeOut.of(outcome.code, outcome.reward_name)


@dataclass(frozen=True)
class ShopperRedemption:
    """A member API redemption as it arrived: the shopper's unverified headers, the reward, the key."""

    headers: ShopperHeaders
    reward_id: int
    idempotency_key: str


def redeem_as_shoppers(
    uow: UnitOfWork, store_slug: str, asked: list[ShopperRedemption]
) -> list[redemptions.Redemption | DomainError]:
    """Identify each shopper (as ``shopper_from_headers`` does), find their membership, and redeem for
    all of them with ``redeem_in_bulk``: one outcome per request, in order (see ``write_queue``'s
    coalescing). Reads only, besides the action."""
    try:
        shoppers = identify_shoppers(uow.session, store_slug, [item.headers for item in asked], uow.now())
    except DomainError as error:  # no such store
        return [error] * len(asked)
    customer_ids = [s.customer.id for s in shoppers if isinstance(s, Shopper) and s.customer]
    members = members_of_customers(uow.session, _store_of(shoppers), customer_ids)
    outcomes: list[redemptions.Redemption | DomainError | None] = []
    requests: list[redemptions.RedemptionRequest] = []
    positions: list[int] = []
    for item, shopper in zip(asked, shoppers, strict=True):
        if isinstance(shopper, DomainError):
            outcomes.append(shopper)
            continue
        member_id = members.get(shopper.customer.id) if shopper.customer else None
        if member_id is None:
            outcomes.append(NotFound("you are not a member of the loyalty program yet; join it first"))
            continue
        key = f"member:{member_id}:{item.idempotency_key}"  # as ``_redemption_key``
        positions.append(len(outcomes))
        outcomes.append(None)  # the action's outcome, below
        requests.append(redemptions.RedemptionRequest(shopper.actor, member_id, item.reward_id, key))
    if requests:
        store_id = _store_of(shoppers)
        for position, outcome in zip(
            positions, redemptions.redeem_in_bulk(uow, store_id, requests), strict=True
        ):
            outcomes[position] = outcome
    return [outcome for outcome in outcomes if outcome is not None]


def _store_of(shoppers: list[Shopper | DomainError]) -> int:
    return next((s.store.id for s in shoppers if isinstance(s, Shopper)), 0)


# -- member page ----------------------------------------------------------------------------------


def _identity_query(shopper: Shopper, **extra: str | int) -> str:
    values: dict[str, str | int] = {"customer": shopper.external_id, "signature": shopper.signature}
    if shopper.expires is not None:
        values["expires"] = shopper.expires
    values.update(extra)
    return urlencode(values)


def _page_shopper(
    runtime: Runtime, slug: str, customer: str | None, signature: str | None, expires: int | None
) -> Shopper:
    with runtime.database.read() as session:
        return identify_shopper(session, slug, customer, signature, expires, runtime.clock.now())


def _member_page(
    request: Request,
    runtime: Runtime,
    shopper: Shopper,
    *,
    redeemed_code_id: int | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    now = runtime.clock.now()
    language = shopper_language(request, shopper.store, shopper.customer)
    with runtime.database.read() as session, use_language(language):
        program = program_of_store(session, shopper.store.id)
        member = (
            member_of_customer(session, shopper.store.id, shopper.customer.id) if shopper.customer else None
        )
        picture = queries.member_picture(session, shopper.store, member, now) if member else None
        history, _ = queries.history(session, member.id, limit=15) if member else ([], None)
        redeemed = None
        if member is not None and redeemed_code_id is not None:
            redeemed = (
                next((pair for pair in picture.codes if pair[0].id == redeemed_code_id), None)
                if picture
                else None
            )
        surveys = open_surveys(session, shopper, now, runtime.settings.public_base_url, language)
        picks = picked_for_you(session, shopper, language, now)
        offers = offers_view(session, shopper, now, language)  # personal offers (the offer group only)
        has_sessions = bool(bookings.session_types(session, store_id=shopper.store.id))  # expert sessions
        link = (
            referral_link(program, shopper.store, member.referral_code, runtime.settings.public_base_url)
            if member
            else None
        )
    return render(
        request,
        "member/page.html",
        {
            "store": shopper.store,
            "program": program,
            "shopper": shopper,
            "member": member,
            "picture": picture,
            "history": history,
            "redeemed": redeemed,
            "referral_link": link,
            "surveys": surveys,
            "picks": picks,
            "offers": offers,
            "has_sessions": has_sessions,
            "identity": _identity_query(shopper),
            "request_key": secrets.token_urlsafe(16),
            "error": error,
            "shopper_language": language,
        },
        status_code=status_code,
    )


@router.get("/m/{store_slug}", response_class=HTMLResponse, include_in_schema=False)
def member_page(
    request: Request,
    runtime: RuntimeDep,
    store_slug: StoreSlug,
    customer: Annotated[str | None, Query(max_length=255)] = None,
    signature: Annotated[str | None, Query(max_length=128)] = None,
    expires: Annotated[int | None, Query(ge=0, le=2**40)] = None,
    redeemed: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> Response:
    try:
        shopper = _page_shopper(runtime, store_slug, customer, signature, expires)
    except DomainError as error:
        return render_error(request, status_for(error), error.message)
    return _member_page(request, runtime, shopper, redeemed_code_id=redeemed)


@router.get("/m/{store_slug}/theme.css", include_in_schema=False)
def member_theme(runtime: RuntimeDep, store_slug: StoreSlug) -> Response:
    """The store's accent colour as a stylesheet (the page's CSP allows no inline styles)."""
    with runtime.database.read() as session:
        store = store_by_slug(session, store_slug)
        accent = program_of_store(session, store.id).member_page_accent
    return Response(
        f":root {{ --accent: {accent}; }}\n", media_type="text/css", headers={"Cache-Control": "max-age=300"}
    )


@router.post("/m/{store_slug}/join", include_in_schema=False)
def member_page_join(
    request: Request,
    runtime: RuntimeDep,
    store_slug: StoreSlug,
    customer: Annotated[str, Form(max_length=255)] = "",
    signature: Annotated[str, Form(max_length=128)] = "",
    expires: Annotated[int | None, Form(ge=0, le=2**40)] = None,
) -> Response:
    try:
        shopper = _page_shopper(runtime, store_slug, customer, signature, expires)
    except DomainError as error:
        return render_error(request, status_for(error), error.message)
    runtime.database.write(join_as_shopper, shopper.store.id, shopper.external_id)
    return RedirectResponse(f"/m/{store_slug}?{_identity_query(shopper)}", status_code=303)


@router.post("/m/{store_slug}/redeem", include_in_schema=False)
def member_page_redeem(
    request: Request,
    runtime: RuntimeDep,
    store_slug: StoreSlug,
    reward_id: Annotated[int, Form(ge=1, le=2**62)],
    request_key: Annotated[str, Form(min_length=8, max_length=64)],
    customer: Annotated[str, Form(max_length=255)] = "",
    signature: Annotated[str, Form(max_length=128)] = "",
    expires: Annotated[int | None, Form(ge=0, le=2**40)] = None,
) -> Response:
    """Redeem from the page; the form's one-time ``request_key`` makes a double click redeem once."""
    try:
        shopper = _page_shopper(runtime, store_slug, customer, signature, expires)
    except DomainError as error:
        return render_error(request, status_for(error), error.message)
    try:
        with runtime.database.read() as session:
            member = _member(session, shopper)
        code = runtime.database.write(
            redemptions.redeem,
            shopper.actor,
            shopper.store.id,
            member.id,
            reward_id,
            key=_redemption_key(member, f"page:{request_key}"),
        )
    except (Conflict, NotFound) as error:
        # The reason was written in English where the redemption ran; the page lists each reward's own.
        language = shopper_language(request, shopper.store, shopper.customer)
        with use_language(language):
            message = str(error) if language == "en" else gettext("This reward cannot be redeemed now.")
        return _member_page(request, runtime, shopper, error=message, status_code=409)
    return RedirectResponse(
        f"/m/{store_slug}?{_identity_query(shopper, redeemed=code.id)}#redeemed", status_code=303
    )


@router.get("/r/{store_slug}/{code}", response_class=HTMLResponse, include_in_schema=False)
def referral_invitation(
    request: Request,
    runtime: RuntimeDep,
    store_slug: StoreSlug,
    code: Annotated[str, Path(min_length=4, max_length=16)],
) -> Response:
    """The page a referral link opens when the store has no page of its own for it."""
    with runtime.database.read() as session:
        store = store_by_slug(session, store_slug)
        program = program_of_store(session, store.id)
    context = {"store": store, "program": program, "code": code.upper()}
    return render(
        request, "member/invitation.html", {**context, "shopper_language": shopper_language(request, store)}
    )
