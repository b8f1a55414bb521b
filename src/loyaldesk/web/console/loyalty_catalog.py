"""Console pages for the tier ladder and the rewards catalogue: lists, and create and edit forms.

Reading needs ``view_customers``; creating and editing need ``manage_store_settings`` (the actions check
it again). Thresholds counted in money and reward amounts are typed as decimals in the store currency.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from loyaldesk.kernel.errors import Conflict, FieldProblem, Invalid, NotFound
from loyaldesk.kernel.money import format_money
from loyaldesk.loyalty import (
    Reward,
    RewardIn,
    SupportPriority,
    Tier,
    TierIn,
    choices,
    program_of_store,
    save_reward,
    save_tier,
)
from loyaldesk.loyalty import queries as loyalty_queries
from loyaldesk.stores import Permission
from loyaldesk.web.console.forms import errors_by_field, problems_of, readable
from loyaldesk.web.console.loyalty_forms import (
    TIMES,
    FormDep,
    FormReader,
    amount_text,
    local_input,
    money_step,
    page_context,
)
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import Console, ConsoleDep
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)

RowId = Annotated[int, Path(ge=1, le=2**62)]

PERKS = (
    ("free_shipping", "Free shipping"),
    ("free_returns", "Free returns"),
    ("early_access", "Early access to rewards"),
    ("priority_support", "Priority support"),
)
PRIORITIES = choices(SupportPriority)
TIER_LABELS = {
    "name": "Name",
    "rank": "Rank",
    "threshold": "Threshold",
    "earn_multiplier": "Earn multiplier",
    "perks": "Perks",
    "entry_reward_points": "Welcome points",
    "membership_sku": "Membership product SKU",
    "membership_days": "Membership length (days)",
    "support_priority": "Support priority",
}
REWARD_KINDS = (
    ("fixed_discount", "Fixed discount"),
    ("percentage_discount", "Percentage discount"),
    ("free_shipping", "Free shipping"),
    ("free_product", "Free product"),
    ("store_credit", "Store credit"),
    ("custom", "Something else"),
)
MONEY_KINDS = ("fixed_discount", "store_credit")
REWARD_LABELS = {
    "name": "Name",
    "description": "Description",
    "kind": "Kind",
    "value": "Value",
    "product_sku": "Product SKU",
    "points_cost": "Cost in points",
    "tier_costs": "Cost per tier",
    "available_from": "Available from",
    "available_until": "Available until",
    "stock": "Stock",
    "min_tier_rank": "Lowest tier",
    "segments": "Customer tags",
    "early_access_days": "Early access (days)",
    "code_valid_days": "Code valid for (days)",
    "active": "Offered",
}


def threshold_text(tier: Tier, metric: str, currency: str, locale: str) -> str:
    """A tier's threshold in its metric: "€500.00 spent", "1,000 points", "5 orders"."""
    if metric == "spend":
        return f"{format_money(tier.threshold, currency, locale)} spent"
    return f"{tier.threshold:,} {'points' if metric == 'points' else 'orders'}"


def reward_value_text(reward: Reward, currency: str, locale: str) -> str:
    """What a reward is worth, in words: "€5.00 off", "10% off", "Free shipping"."""
    if reward.kind == "fixed_discount":
        return f"{format_money(reward.value, currency, locale)} off"
    if reward.kind == "store_credit":
        return f"{format_money(reward.value, currency, locale)} store credit"
    if reward.kind == "percentage_discount":
        return f"{reward.value}% off"
    if reward.kind == "free_product":
        return f"Free product {reward.product_sku}"
    return dict(REWARD_KINDS).get(reward.kind, reward.kind)


# -- tiers ---------------------------------------------------------------------------------------


@router.get("/console/{store_slug}/loyalty/tiers", response_class=HTMLResponse)
def tiers_page(
    request: Request,
    console: ConsoleDep,
    runtime: RuntimeDep,
    done: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    """The ladder, lowest first, with what each tier needs and gives and how many members hold it."""
    console.require(Permission.VIEW_CUSTOMERS)
    with runtime.database.read() as session:
        tiers = loyalty_queries.tiers_of(session, console.store.id)
        counts = loyalty_queries.tier_member_counts(session, console.store.id)
        metric = program_of_store(session, console.store.id).tier_metric
    store = console.store
    return render(
        request,
        "loyalty/tiers.html",
        page_context(
            console,
            "tiers",
            tiers=tiers,
            counts=counts,
            thresholds={t.id: threshold_text(t, metric, store.currency, store.locale) for t in tiers},
            perks=dict(PERKS),
            multiplier=multiplier_text,
            can_manage=console.can(Permission.MANAGE_STORE_SETTINGS),
            flash="Tier saved." if done else None,
        ),
    )


def _tier_form_page(
    request: Request,
    console: Console,
    runtime: Any,
    *,
    tier_id: int | None,
    form: dict[str, Any] | None = None,
    problems: list[FieldProblem] | None = None,
    status_code: int = 200,
) -> Response:
    with runtime.database.read() as session:
        metric = program_of_store(session, console.store.id).tier_metric
        tiers = loyalty_queries.tiers_of(session, console.store.id)
    if form is None:
        tier = next((t for t in tiers if t.id == tier_id), None)
        form = (
            _tier_form(tier, metric, console.store.currency)
            if tier
            else {
                "rank": max((t.rank for t in tiers), default=-1) + 1,
                "earn_multiplier": "1",
                "entry_reward_points": 0,
                "membership_days": 365,
                "support_priority": "normal",
            }
        )
        if tier is None and not tiers:
            form["threshold"] = "0"
    problems = readable(problems or [], TIER_LABELS)
    return render(
        request,
        "loyalty/tier_form.html",
        page_context(
            console,
            "tiers",
            tier_id=tier_id,
            form=form,
            metric=metric,
            ladder=tiers,
            problems=problems,
            errors=errors_by_field(problems),
            labels=TIER_LABELS,
            perks=PERKS,
            priorities=PRIORITIES,
            money_step=money_step(console.store.currency),
        ),
        status_code=status_code,
    )


def _tier_form(tier: Tier, metric: str, currency: str) -> dict[str, Any]:
    return {
        "name": tier.name,
        "rank": tier.rank,
        "threshold": amount_text(tier.threshold, currency) if metric == "spend" else tier.threshold,
        "earn_multiplier": tier.earn_multiplier,
        "perks": list(tier.perks or []),
        "entry_reward_points": tier.entry_reward_points,
        "membership_sku": tier.membership_sku or "",
        "membership_days": tier.membership_days,
        "support_priority": tier.support_priority,
    }


def read_tier(form: FormData, console: Console, metric: str) -> TierIn:
    """The posted tier, or ``Invalid`` naming each wrong input."""
    reader = FormReader(form, currency=console.store.currency, timezone=console.store.timezone)
    threshold: Any = reader.money("threshold") if metric == "spend" else reader.text("threshold")
    data = {
        "name": reader.text("name"),
        "rank": reader.text("rank"),
        "threshold": threshold,
        "earn_multiplier": reader.text("earn_multiplier") or "1",
        "perks": reader.many("perks"),
        "entry_reward_points": reader.text("entry_reward_points") or "0",
        "membership_sku": reader.optional("membership_sku"),
        "membership_days": reader.text("membership_days") or "365",
        "support_priority": reader.text("support_priority") or "normal",
    }
    problems = list(reader.problems)
    try:
        tier = TierIn.model_validate(data)
    except ValidationError as error:
        problems.extend(problems_of(error, known=TIER_LABELS))
        tier = None
    if problems or tier is None:
        raise Invalid("the tier is not valid", problems)
    return tier


@router.get("/console/{store_slug}/loyalty/tiers/new", response_class=HTMLResponse)
def new_tier_page(request: Request, console: ConsoleDep, runtime: RuntimeDep) -> Response:
    """The form for a new tier, prefilled with the next rank (the base tier when there is none)."""
    console.require(Permission.MANAGE_STORE_SETTINGS)
    return _tier_form_page(request, console, runtime, tier_id=None)


@router.get("/console/{store_slug}/loyalty/tiers/{tier_id}", response_class=HTMLResponse)
def edit_tier_page(request: Request, console: ConsoleDep, runtime: RuntimeDep, tier_id: RowId) -> Response:
    """The form of one tier of the store (``NotFound`` for another store's tier)."""
    console.require(Permission.MANAGE_STORE_SETTINGS)
    with runtime.database.read() as session:
        if not any(tier.id == tier_id for tier in loyalty_queries.tiers_of(session, console.store.id)):
            raise NotFound(f"no tier {tier_id} in this store")
    return _tier_form_page(request, console, runtime, tier_id=tier_id)


def _save_tier(
    request: Request, console: Console, runtime: Any, form: FormData, tier_id: int | None
) -> Response:
    console.check_csrf(str(form.get("csrf_token") or ""))
    console.require(Permission.MANAGE_STORE_SETTINGS)
    with runtime.database.read() as session:
        metric = program_of_store(session, console.store.id).tier_metric
    try:
        tier = read_tier(form, console, metric)
        runtime.database.write(save_tier, console.actor, console.store.id, tier, tier_id)
    except (Invalid, Conflict) as error:
        typed: dict[str, Any] = {name: value for name, value in form.items() if name != "csrf_token"}
        typed["perks"] = form.getlist("perks")
        problems = problems_of(error, known=TIER_LABELS)
        return _tier_form_page(
            request, console, runtime, tier_id=tier_id, form=typed, problems=problems, status_code=422
        )
    return RedirectResponse(f"/console/{console.store.slug}/loyalty/tiers?done=saved", status_code=303)


@router.post("/console/{store_slug}/loyalty/tiers")
def create_tier(request: Request, console: ConsoleDep, runtime: RuntimeDep, form: FormDep) -> Response:
    """Create a tier from the form; 422 with the form and its errors when it is not valid."""
    return _save_tier(request, console, runtime, form, None)


@router.post("/console/{store_slug}/loyalty/tiers/{tier_id}")
def update_tier(
    request: Request, console: ConsoleDep, runtime: RuntimeDep, form: FormDep, tier_id: RowId
) -> Response:
    """Change a tier from the form; 422 with the form and its errors when it is not valid."""
    return _save_tier(request, console, runtime, form, tier_id)


# -- rewards -------------------------------------------------------------------------------------


@router.get("/console/{store_slug}/loyalty/rewards", response_class=HTMLResponse)
def rewards_page(
    request: Request,
    console: ConsoleDep,
    runtime: RuntimeDep,
    done: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    """The catalogue: kind and value, cost (and per-tier costs), window, stock and issued, who may redeem."""
    console.require(Permission.VIEW_CUSTOMERS)
    store = console.store
    with runtime.database.read() as session:
        rewards = loyalty_queries.rewards_of(session, store.id)
        tiers = loyalty_queries.tiers_of(session, store.id)
    return render(
        request,
        "loyalty/rewards.html",
        page_context(
            console,
            "rewards",
            rewards=rewards,
            values={r.id: reward_value_text(r, store.currency, store.locale) for r in rewards},
            tier_names={str(t.id): t.name for t in tiers},
            tier_by_rank={t.rank: t.name for t in tiers},
            can_manage=console.can(Permission.MANAGE_STORE_SETTINGS),
            flash="Reward saved." if done else None,
        ),
    )


def _reward_form(reward: Reward, currency: str, timezone: str) -> dict[str, Any]:
    form: dict[str, Any] = {
        "name": reward.name,
        "description": reward.description,
        "kind": reward.kind,
        "value": amount_text(reward.value, currency) if reward.kind in MONEY_KINDS else reward.value,
        "product_sku": reward.product_sku or "",
        "points_cost": reward.points_cost,
        "available_from": local_input(reward.available_from, timezone),
        "available_until": local_input(reward.available_until, timezone),
        "stock": "" if reward.stock is None else reward.stock,
        "min_tier_rank": "" if reward.min_tier_rank is None else reward.min_tier_rank,
        "segments": ", ".join(reward.segments or []),
        "early_access_days": reward.early_access_days,
        "code_valid_days": reward.code_valid_days,
        "active": reward.active,
    }
    for tier_id, cost in (reward.tier_costs or {}).items():
        form[f"tier_costs.{tier_id}"] = cost
    return form


def _reward_form_page(
    request: Request,
    console: Console,
    runtime: Any,
    *,
    reward_id: int | None,
    form: dict[str, Any] | None = None,
    problems: list[FieldProblem] | None = None,
    status_code: int = 200,
) -> Response:
    store = console.store
    with runtime.database.read() as session:
        tiers = loyalty_queries.tiers_of(session, store.id)
        reward = loyalty_queries.reward_of(session, store.id, reward_id) if reward_id else None
    if form is None:
        form = (
            _reward_form(reward, store.currency, store.timezone)
            if reward
            else {"kind": "fixed_discount", "active": True, "code_valid_days": 90, "early_access_days": 0}
        )
    problems = readable(problems or [], REWARD_LABELS)
    return render(
        request,
        "loyalty/reward_form.html",
        page_context(
            console,
            "rewards",
            reward=reward,
            reward_id=reward_id,
            form=form,
            tiers=tiers,
            kinds=REWARD_KINDS,
            problems=problems,
            errors=errors_by_field(problems),
            labels=REWARD_LABELS,
            money_step=money_step(store.currency),
        ),
        status_code=status_code,
    )


def read_reward(form: FormData, console: Console, tiers: list[Tier]) -> RewardIn:
    """The posted reward, or ``Invalid`` naming each wrong input."""
    reader = FormReader(form, currency=console.store.currency, timezone=console.store.timezone)
    kind = reader.text("kind")
    value: Any = reader.money("value") if kind in MONEY_KINDS else reader.text("value")
    tier_costs = {
        str(tier.id): reader.text(f"tier_costs.{tier.id}")
        for tier in tiers
        if reader.text(f"tier_costs.{tier.id}")
    }
    data = {
        "name": reader.text("name"),
        "description": reader.text("description"),
        "kind": kind,
        "value": value if value not in (None, "") else 0,
        "product_sku": reader.optional("product_sku"),
        "points_cost": reader.text("points_cost"),
        "tier_costs": tier_costs,
        "available_from": reader.moment("available_from"),
        "available_until": reader.moment("available_until"),
        "stock": reader.optional("stock"),
        "min_tier_rank": reader.optional("min_tier_rank"),
        "segments": reader.words("segments"),
        "early_access_days": reader.text("early_access_days") or "0",
        "code_valid_days": reader.text("code_valid_days") or "0",
        "active": reader.flag("active"),
    }
    problems = list(reader.problems)
    try:
        reward = RewardIn.model_validate(data)
    except ValidationError as error:
        problems.extend(problems_of(error, known=REWARD_LABELS))
        reward = None
    if problems or reward is None:
        raise Invalid("the reward is not valid", problems)
    return reward


@router.get("/console/{store_slug}/loyalty/rewards/new", response_class=HTMLResponse)
def new_reward_page(request: Request, console: ConsoleDep, runtime: RuntimeDep) -> Response:
    """The form for a new reward."""
    console.require(Permission.MANAGE_STORE_SETTINGS)
    return _reward_form_page(request, console, runtime, reward_id=None)


@router.get("/console/{store_slug}/loyalty/rewards/{reward_id}", response_class=HTMLResponse)
def edit_reward_page(
    request: Request, console: ConsoleDep, runtime: RuntimeDep, reward_id: RowId
) -> Response:
    """The form of one reward of the store (``NotFound`` for another store's reward)."""
    console.require(Permission.MANAGE_STORE_SETTINGS)
    return _reward_form_page(request, console, runtime, reward_id=reward_id)


def _save_reward(
    request: Request, console: Console, runtime: Any, form: FormData, reward_id: int | None
) -> Response:
    console.check_csrf(str(form.get("csrf_token") or ""))
    console.require(Permission.MANAGE_STORE_SETTINGS)
    with runtime.database.read() as session:
        tiers = loyalty_queries.tiers_of(session, console.store.id)
        if reward_id is not None:
            loyalty_queries.reward_of(session, console.store.id, reward_id)
    try:
        reward = read_reward(form, console, tiers)
        runtime.database.write(save_reward, console.actor, console.store.id, reward, reward_id)
    except (Invalid, Conflict) as error:
        typed: dict[str, Any] = {name: value for name, value in form.items() if name != "csrf_token"}
        typed["active"] = "active" in form
        problems = problems_of(error, known=REWARD_LABELS)
        return _reward_form_page(
            request, console, runtime, reward_id=reward_id, form=typed, problems=problems, status_code=422
        )
    return RedirectResponse(f"/console/{console.store.slug}/loyalty/rewards?done=saved", status_code=303)


@router.post("/console/{store_slug}/loyalty/rewards")
def create_reward(request: Request, console: ConsoleDep, runtime: RuntimeDep, form: FormDep) -> Response:
    """Create a reward from the form; 422 with the form and its errors when it is not valid."""
    return _save_reward(request, console, runtime, form, None)


@router.post("/console/{store_slug}/loyalty/rewards/{reward_id}")
def update_reward(
    request: Request, console: ConsoleDep, runtime: RuntimeDep, form: FormDep, reward_id: RowId
) -> Response:
    """Change a reward from the form; 422 with the form and its errors when it is not valid."""
    return _save_reward(request, console, runtime, form, reward_id)


def multiplier_text(value: str) -> str:
    """ "1.500" -> "1.5x" (with a multiplication sign)."""
    return f"{format(Decimal(value).normalize(), 'f')}{TIMES}"
