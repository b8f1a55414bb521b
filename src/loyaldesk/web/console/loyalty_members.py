"""Console pages for members and referrals: the members list, a member's loyalty page (balance, pending
and expiring points, tier and progress, badges, reward codes, history) with its actions (adjust points,
cancel a code, override the tier), and the referrals review.

Reading needs ``view_customers``. Adjusting points and cancelling codes need ``edit_customers``; a tier
override and referral decisions need ``manage_store_settings``. The actions check again.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from loyaldesk.customers import get_customer
from loyaldesk.kernel.errors import Conflict, FieldProblem, Invalid, NotFound
from loyaldesk.kernel.pagination import decode_cursor
from loyaldesk.loyalty import (
    AdjustmentIn,
    adjust_points,
    cancel_code,
    decide_referral,
    get_member,
    member_of_customer,
    set_override,
)
from loyaldesk.loyalty import queries as loyalty_queries
from loyaldesk.stores import Permission
from loyaldesk.stores.queries import store_by_id
from loyaldesk.web.console.forms import errors_by_field, problems_of, readable
from loyaldesk.web.console.loyalty_forms import (
    FormDep,
    new_form_key,
    page_context,
)
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import Console, ConsoleDep
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)

MemberId = Annotated[int, Path(ge=1, le=2**62)]
HISTORY_PAGE = 25
REASONS = (
    ("goodwill", "Goodwill"),
    ("service_recovery", "Service recovery"),
    ("correction", "Correction"),
    ("migration", "Migration"),
    ("fraud", "Fraud"),
    ("other", "Other"),
)
ADJUST_LABELS = {"points": "Points", "reason_code": "Reason", "note": "Note", "key": "Form"}
SORTS = (
    ("newest", "Newest members"),
    ("balance", "Highest balance"),
    ("balance_low", "Lowest balance"),
    ("name", "Name"),
)
REFERRAL_STATUSES = (
    ("", "All"),
    ("pending", "Pending"),
    ("qualified", "Qualified"),
    ("rewarded", "Rewarded"),
    ("rejected", "Rejected"),
)


@router.get("/console/{store_slug}/loyalty/members", response_class=HTMLResponse)
def members_page(
    request: Request,
    console: ConsoleDep,
    runtime: RuntimeDep,
    q: Annotated[str, Query(max_length=200)] = "",
    sort: Annotated[str, Query(max_length=20)] = "newest",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """Members, searchable by name or email, sortable by balance or name, 50 a page."""
    console.require(Permission.VIEW_CUSTOMERS)
    sort = sort if sort in loyalty_queries.MEMBER_SORTS else "newest"
    with runtime.database.read() as session:
        rows, more = loyalty_queries.member_rows(session, console.store.id, query=q, sort=sort, page=page)
    return render(
        request,
        "loyalty/members.html",
        page_context(console, "members", rows=rows, more=more, q=q, sort=sort, sorts=SORTS, page=page),
    )


@router.get("/console/{store_slug}/loyalty/customers/{customer_id}")
def member_of_customer_page(console: ConsoleDep, runtime: RuntimeDep, customer_id: MemberId) -> Response:
    """The loyalty page of a customer (by customer id), or ``NotFound`` when they are not a member."""
    console.require(Permission.VIEW_CUSTOMERS)
    with runtime.database.read() as session:
        get_customer(session, console.store.id, customer_id)
        member = member_of_customer(session, console.store.id, customer_id)
    if member is None:
        raise NotFound("this customer is not a member of the loyalty program")
    return RedirectResponse(f"/console/{console.store.slug}/loyalty/members/{member.id}", status_code=303)


def _member_page(
    request: Request,
    console: Console,
    runtime: Any,
    member_id: int,
    *,
    before: str | None = None,
    adjust_form: dict[str, Any] | None = None,
    problems: list[FieldProblem] | None = None,
    flash: str | None = None,
    flash_kind: str = "success",
    status_code: int = 200,
) -> Response:
    now = runtime.clock.now()
    with runtime.database.read() as session:
        store = store_by_id(session, console.store.id)
        member = get_member(session, store.id, member_id)
        customer = get_customer(session, store.id, member.customer_id)
        picture = loyalty_queries.member_picture(session, store, member, now)
        entries, next_cursor = loyalty_queries.history(
            session, member.id, before_id=decode_cursor(before), limit=HISTORY_PAGE
        )
        awarded = {
            badge.badge_code: badge.awarded_at for badge in loyalty_queries.badge_rows(session, member.id)
        }
        tiers = loyalty_queries.tiers_of(session, store.id)
    problems = readable(problems or [], ADJUST_LABELS)
    form = adjust_form or {"key": new_form_key(), "reason_code": "goodwill"}
    return render(
        request,
        "loyalty/member.html",
        page_context(
            console,
            "members",
            member=member,
            customer=customer,
            picture=picture,
            entries=entries,
            next_cursor=next_cursor,
            paged=bool(before),
            awarded=awarded,
            tiers=tiers,
            tier_names={tier.id: tier.name for tier in tiers},
            reasons=REASONS,
            reason_names=dict(REASONS),
            form=form,
            problems=problems,
            errors=errors_by_field(problems),
            labels=ADJUST_LABELS,
            can_adjust=console.can(Permission.EDIT_CUSTOMERS),
            can_override=console.can(Permission.MANAGE_STORE_SETTINGS),
            flash=flash,
            flash_kind=flash_kind,
        ),
        status_code=status_code,
    )


DONE = {
    "adjusted": "Points adjusted.",
    "repeat": "That adjustment had already been made; nothing was added twice.",
    "override": "Tier override saved.",
    "cancelled": "Code cancelled and its points given back.",
}


@router.get("/console/{store_slug}/loyalty/members/{member_id}", response_class=HTMLResponse)
def member_page(
    request: Request,
    console: ConsoleDep,
    runtime: RuntimeDep,
    member_id: MemberId,
    before: Annotated[str | None, Query(max_length=200)] = None,
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """A member's points picture and history (``before``: the cursor of older entries)."""
    console.require(Permission.VIEW_CUSTOMERS)
    return _member_page(request, console, runtime, member_id, before=before, flash=DONE.get(done))


def _member_url(console: Console, member_id: int, done: str) -> str:
    return f"/console/{console.store.slug}/loyalty/members/{member_id}?done={done}"


@router.post("/console/{store_slug}/loyalty/members/{member_id}/adjust")
def adjust(
    request: Request, console: ConsoleDep, runtime: RuntimeDep, form: FormDep, member_id: MemberId
) -> Response:
    """Add (positive) or remove (negative) points with a reason; the form's random key makes a double
    submit adjust once."""
    console.check_csrf(str(form.get("csrf_token") or ""))
    console.require(Permission.EDIT_CUSTOMERS)
    typed = {name: str(value) for name, value in form.items() if name != "csrf_token"}
    key = typed.get("key", "").strip()
    if not key or len(key) > 100:
        typed["key"] = new_form_key()
        problems = [FieldProblem("key", "the form was incomplete; please submit it again")]
        return _member_page(
            request, console, runtime, member_id, adjust_form=typed, problems=problems, status_code=422
        )
    try:
        data = AdjustmentIn.model_validate(
            {
                "points": typed.get("points", "").replace(",", "").strip(),
                "reason_code": typed.get("reason_code", ""),
                "note": typed.get("note", ""),
            }
        )
        result = runtime.database.write(
            adjust_points, console.actor, console.store.id, member_id, data, key=key
        )
    except (ValidationError, Invalid, Conflict) as error:
        status = 409 if isinstance(error, Conflict) else 422
        problems = problems_of(error, known=("points", "note", "reason_code"))
        if isinstance(error, Conflict) and not problems[0].field:
            problems = [FieldProblem("points", problems[0].reason)]
        return _member_page(
            request, console, runtime, member_id, adjust_form=typed, problems=problems, status_code=status
        )
    return RedirectResponse(
        _member_url(console, member_id, "adjusted" if result.created else "repeat"), status_code=303
    )


@router.post("/console/{store_slug}/loyalty/members/{member_id}/tier")
def override_tier(console: ConsoleDep, runtime: RuntimeDep, form: FormDep, member_id: MemberId) -> Response:
    """Set the member's tier floor (``tier_id``), or clear it (empty)."""
    console.check_csrf(str(form.get("csrf_token") or ""))
    console.require(Permission.MANAGE_STORE_SETTINGS)
    raw = str(form.get("tier_id") or "").strip()
    if raw and not raw.isdigit():
        raise Invalid.field("tier_id", "choose a tier from the list")
    with runtime.database.read() as session:
        get_member(session, console.store.id, member_id)
    runtime.database.write(
        set_override, console.actor, console.store.id, member_id, int(raw) if raw else None
    )
    return RedirectResponse(_member_url(console, member_id, "override"), status_code=303)


@router.post("/console/{store_slug}/loyalty/members/{member_id}/codes/{code_id}/cancel")
def cancel_member_code(
    console: ConsoleDep,
    runtime: RuntimeDep,
    form: FormDep,
    member_id: MemberId,
    code_id: MemberId,
) -> Response:
    """Cancel one of the member's unused reward codes; its points come back to them."""
    console.check_csrf(str(form.get("csrf_token") or ""))
    console.require(Permission.EDIT_CUSTOMERS)
    with runtime.database.read() as session:
        code = loyalty_queries.reward_code_of(session, console.store.id, code_id)
    if code.member_id != member_id:
        raise NotFound(f"no reward code {code_id} for this member")
    if code.status != "issued":
        # A used code comes back by itself when its order is cancelled; staff only take back unused ones.
        raise Conflict(f"code {code.code} is {code.status}; only unused codes can be cancelled")
    reason = f"Reward code {code.code} cancelled by {console.login.account.name}"
    runtime.database.write(cancel_code, console.actor, console.store.id, code.code, reason=reason)
    return RedirectResponse(_member_url(console, member_id, "cancelled"), status_code=303)


# -- referrals -----------------------------------------------------------------------------------


@router.get("/console/{store_slug}/loyalty/referrals", response_class=HTMLResponse)
def referrals_page(
    request: Request,
    console: ConsoleDep,
    runtime: RuntimeDep,
    status: Annotated[str, Query(max_length=16)] = "",
    done: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    """Referrals, newest first, filtered by ``status``; rejected ones show the fraud checks' reasons."""
    console.require(Permission.VIEW_CUSTOMERS)
    status = status if status in dict(REFERRAL_STATUSES) else ""
    with runtime.database.read() as session:
        rows = loyalty_queries.referrals(session, console.store.id, status or None)
    flash = {"approve": "Referral approved.", "reject": "Referral rejected."}.get(done)
    return render(
        request,
        "loyalty/referrals.html",
        page_context(
            console,
            "referrals",
            rows=rows,
            status=status,
            statuses=REFERRAL_STATUSES,
            can_decide=console.can(Permission.MANAGE_STORE_SETTINGS),
            flash=flash,
        ),
    )


@router.post("/console/{store_slug}/loyalty/referrals/{referral_id}/decision")
def decide(console: ConsoleDep, runtime: RuntimeDep, form: FormDep, referral_id: MemberId) -> Response:
    """Approve a rejected referral or reject one not yet rewarded (``decision`` = approve | reject)."""
    console.check_csrf(str(form.get("csrf_token") or ""))
    console.require(Permission.MANAGE_STORE_SETTINGS)
    decision = str(form.get("decision") or "")
    if decision not in ("approve", "reject"):
        raise Invalid.field("decision", "choose approve or reject")
    runtime.database.write(
        decide_referral, console.actor, console.store.id, referral_id, approve=decision == "approve"
    )
    back = _filter_of(form)
    return RedirectResponse(
        f"/console/{console.store.slug}/loyalty/referrals?done={decision}{back}", status_code=303
    )


def _filter_of(form: FormData) -> str:
    status = str(form.get("status") or "")
    return f"&status={status}" if status in dict(REFERRAL_STATUSES) and status else ""
