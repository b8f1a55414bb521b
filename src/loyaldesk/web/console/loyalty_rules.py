"""Console pages for earning rules: the list (each rule in words, with a pause/resume button) and the
create and edit forms for purchase rules (exclusions, multipliers, campaigns) and action rules (points for
something a customer does).

Reading needs ``view_customers``; creating, editing and pausing need ``manage_store_settings``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from loyaldesk.kernel.errors import FieldProblem, Invalid
from loyaldesk.kernel.money import check_currency, format_money
from loyaldesk.loyalty import (
    ActionRuleIn,
    EarningRule,
    PurchaseRuleIn,
    RuleIn,
    Tier,
    save_rule,
    set_rule_active,
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
from loyaldesk.web.console.rendering import day, render
from loyaldesk.web.console.session import Console, ConsoleDep
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)

RuleId = Annotated[int, Path(ge=1, le=2**62)]

ACTIONS = (
    ("signup", "signing up"),
    ("birthday", "their birthday"),
    ("review", "writing a review"),
    ("referral", "referring a friend"),
    ("survey", "answering a survey"),
    ("newsletter", "joining the newsletter"),
    ("social_follow", "following on social media"),
    ("custom", "a custom event sent by the store"),
)
PURCHASE_KINDS = (
    ("multiplier", "Multiplier: more points on some products, always"),
    ("campaign", "Campaign: a multiplier for a limited time"),
    ("base_exclusion", "Exclusion: some products or small orders earn nothing"),
)
WEEKDAYS = (
    ("1", "Mon"),
    ("2", "Tue"),
    ("3", "Wed"),
    ("4", "Thu"),
    ("5", "Fri"),
    ("6", "Sat"),
    ("7", "Sun"),
)
PERIODS = (
    ("", "no limit"),
    ("day", "per day"),
    ("week", "per week"),
    ("month", "per month"),
    ("year", "per year"),
)

LABELS = {
    "name": "Name",
    "active": "Active",
    "kind": "Type of rule",
    "multiplier": "Multiplier",
    "only_categories": "Only these categories",
    "excluded_categories": "Excluded categories",
    "excluded_skus": "Excluded SKUs",
    "min_order_total": "Minimum order total",
    "currency": "Currency of the minimum",
    "days_of_week": "Days of the week",
    "tier_ids": "Tiers",
    "segments": "Customer tags",
    "starts_at": "Starts",
    "ends_at": "Ends",
    "action": "Action",
    "custom_event": "Custom event name",
    "points": "Points",
    "max_times_per_customer": "Most times per customer",
    "frequency_days": "At most once every (days)",
    "period_cap_count": "Most awards per period",
    "period_cap_period": "Period",
}
_LIST_FIELDS = ("only_categories", "excluded_categories", "excluded_skus", "segments")


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _multiplier(value: Any) -> str:
    text = format(Decimal(str(value)).normalize(), "f")
    return f"{text}{TIMES}"


def describe_rule(rule: EarningRule, tiers: dict[int, str], currency: str, locale: str, timezone: str) -> str:
    """What the rule gives, in one sentence: "3x points on Apparel, on Mondays, for Gold members"."""
    config = rule.config
    scope = []
    if config.get("days_of_week"):
        names = dict(WEEKDAYS)
        scope.append("on " + _join([names[str(day_number)] for day_number in sorted(config["days_of_week"])]))
    if config.get("tier_ids"):
        scope.append(
            "for " + _join([tiers.get(int(i), f"tier {i}") for i in config["tier_ids"]]) + " members"
        )
    if config.get("segments"):
        scope.append("for customers tagged " + _join(config["segments"]))
    if config.get("starts_at"):
        scope.append("from " + day(_parse(config["starts_at"]), timezone, locale))
    if config.get("ends_at"):
        scope.append("until " + day(_parse(config["ends_at"]), timezone, locale))
    minimum = ""
    if config.get("min_order_total"):
        minimum = format_money(config["min_order_total"], config.get("currency") or currency, locale)
    if rule.kind == "action":
        action = dict(ACTIONS).get(config.get("action", ""), config.get("action", ""))
        if config.get("action") == "custom":
            action = f"the event “{config.get('custom_event')}”"
        words = [f"{config.get('points', 0):,} points for {action}"]
        if config.get("max_times_per_customer"):
            words.append(f"at most {config['max_times_per_customer']:,} times per customer")
        if config.get("frequency_days"):
            words.append(f"at most once every {config['frequency_days']:,} days")
        if config.get("period_cap_count"):
            words.append(
                f"at most {config['period_cap_count']:,} {dict(PERIODS)[config['period_cap_period']]}"
            )
    elif config.get("kind") == "base_exclusion":
        excluded = []
        if config.get("excluded_categories"):
            excluded.append("products in " + _join(config["excluded_categories"]))
        if config.get("excluded_skus"):
            excluded.append("SKUs " + _join(config["excluded_skus"]))
        words = ["No points on " + _join(excluded)] if excluded else []
        if minimum:
            words.append(f"no points on orders under {minimum}")
    else:
        where = f" on {_join(config['only_categories'])}" if config.get("only_categories") else ""
        words = [f"{_multiplier(config.get('multiplier', 1))} points{where}"]
        if config.get("excluded_categories") or config.get("excluded_skus"):
            words.append(
                "except " + _join(config.get("excluded_categories", []) + config.get("excluded_skus", []))
            )
        if minimum:
            words.append(f"on orders of at least {minimum}")
    text = ", ".join(words + scope)
    return text[:1].upper() + text[1:]


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _tier_names(tiers: list[Tier]) -> dict[int, str]:
    return {tier.id: tier.name for tier in tiers}


@router.get("/console/{store_slug}/loyalty/rules", response_class=HTMLResponse)
def rules_page(
    request: Request,
    console: ConsoleDep,
    runtime: RuntimeDep,
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """Every rule with what it gives in words, whether it is active, and (for managers) edit and pause."""
    console.require(Permission.VIEW_CUSTOMERS)
    store = console.store
    with runtime.database.read() as session:
        rules = loyalty_queries.rules_of(session, store.id)
        tiers = _tier_names(loyalty_queries.tiers_of(session, store.id))
    rows = [
        (rule, describe_rule(rule, tiers, store.currency, store.locale, store.timezone)) for rule in rules
    ]
    flash = {"saved": "Rule saved.", "paused": "Rule paused.", "resumed": "Rule active again."}.get(done)
    return render(
        request,
        "loyalty/rules.html",
        page_context(
            console,
            "rules",
            purchase_rules=[row for row in rows if row[0].kind == "purchase"],
            action_rules=[row for row in rows if row[0].kind == "action"],
            can_manage=console.can(Permission.MANAGE_STORE_SETTINGS),
            flash=flash,
        ),
    )


def _rule_form(rule: EarningRule, currency: str, timezone: str) -> dict[str, Any]:
    config = dict(rule.config)
    form: dict[str, Any] = {"name": rule.name, "active": rule.active}
    for name, value in config.items():
        if name in _LIST_FIELDS:
            form[name] = ", ".join(value)
        elif name in ("starts_at", "ends_at"):
            form[name] = local_input(_parse(value) if value else None, timezone)
        elif name == "min_order_total":
            form[name] = amount_text(value, config.get("currency") or currency) if value else ""
        elif name in ("days_of_week", "tier_ids"):
            form[name] = [str(item) for item in value]
        else:
            form[name] = "" if value is None else value
    return form


def _form_page(
    request: Request,
    console: Console,
    runtime: Any,
    *,
    kind: str,
    rule_id: int | None,
    form: dict[str, Any],
    problems: list[FieldProblem] | None = None,
    status_code: int = 200,
) -> Response:
    with runtime.database.read() as session:
        tiers = loyalty_queries.tiers_of(session, console.store.id)
    problems = readable(problems or [], LABELS)
    return render(
        request,
        "loyalty/rule_form.html",
        page_context(
            console,
            "rules",
            kind=kind,
            rule_id=rule_id,
            form=form,
            problems=problems,
            errors=errors_by_field(problems),
            labels=LABELS,
            tiers=[(str(tier.id), tier.name) for tier in tiers],
            actions=ACTIONS,
            purchase_kinds=PURCHASE_KINDS,
            weekdays=WEEKDAYS,
            periods=PERIODS,
            money_step=money_step(console.store.currency),
        ),
        status_code=status_code,
    )


@router.get("/console/{store_slug}/loyalty/rules/new", response_class=HTMLResponse)
def new_rule_page(
    request: Request,
    console: ConsoleDep,
    runtime: RuntimeDep,
    kind: Annotated[str, Query(pattern="^(purchase|action)$")] = "purchase",
) -> Response:
    """The form for a new rule of ``kind`` (purchase or action)."""
    console.require(Permission.MANAGE_STORE_SETTINGS)
    form: dict[str, Any] = {"active": True, "kind": "multiplier", "multiplier": "2", "action": "review"}
    return _form_page(request, console, runtime, kind=kind, rule_id=None, form=form)


@router.get("/console/{store_slug}/loyalty/rules/{rule_id}", response_class=HTMLResponse)
def edit_rule_page(request: Request, console: ConsoleDep, runtime: RuntimeDep, rule_id: RuleId) -> Response:
    """The form of one rule of the store, filled in (``NotFound`` for another store's rule)."""
    console.require(Permission.MANAGE_STORE_SETTINGS)
    with runtime.database.read() as session:
        rule = loyalty_queries.rule_of(session, console.store.id, rule_id)
    form = _rule_form(rule, console.store.currency, console.store.timezone)
    return _form_page(request, console, runtime, kind=rule.kind, rule_id=rule.id, form=form)


def _typed(form: FormData) -> dict[str, Any]:
    typed: dict[str, Any] = {name: value for name, value in form.items() if name != "csrf_token"}
    for name in ("days_of_week", "tier_ids"):
        typed[name] = form.getlist(name)
    typed["active"] = "active" in form
    return typed


def read_rule(form: FormData, console: Console, kind: str) -> RuleIn:
    """The posted rule, or ``Invalid`` naming each wrong input."""
    store = console.store
    reader = FormReader(form, currency=store.currency, timezone=store.timezone)
    config: dict[str, Any] = {
        "tier_ids": reader.many("tier_ids"),
        "segments": reader.words("segments"),
        "starts_at": reader.moment("starts_at"),
        "ends_at": reader.moment("ends_at"),
    }
    if kind == "purchase":
        currency = reader.text("currency").upper() or store.currency
        try:
            check_currency(currency, "currency")
        except Invalid as error:
            reader.problems.extend(error.problems)
            currency = store.currency
        minimum = reader.money("min_order_total", currency) or 0
        config |= {
            "kind": reader.text("kind"),
            "multiplier": reader.text("multiplier") or "1",
            "only_categories": reader.words("only_categories"),
            "excluded_categories": reader.words("excluded_categories"),
            "excluded_skus": reader.words("excluded_skus"),
            "min_order_total": minimum,
            "currency": currency if minimum else None,
            "days_of_week": reader.many("days_of_week"),
        }
    else:
        config |= {
            "action": reader.text("action"),
            "custom_event": reader.optional("custom_event"),
            "points": reader.text("points"),
            "max_times_per_customer": reader.optional("max_times_per_customer"),
            "frequency_days": reader.optional("frequency_days"),
            "period_cap_count": reader.optional("period_cap_count"),
            "period_cap_period": reader.optional("period_cap_period"),
        }
    problems = list(reader.problems)
    try:
        rule = RuleIn.model_validate(
            {"name": reader.text("name"), "active": reader.flag("active"), kind: config}
        )
    except ValidationError as error:
        known = set(LABELS) | set(PurchaseRuleIn.model_fields) | set(ActionRuleIn.model_fields)
        problems.extend(problems_of(error, strip=("purchase", "action"), known=known))
        rule = None
    if problems or rule is None:
        raise Invalid("the rule is not valid", problems)
    return rule


def _save(
    request: Request, console: Console, runtime: Any, form: FormData, kind: str, rule_id: int | None
) -> Response:
    console.check_csrf(str(form.get("csrf_token") or ""))
    console.require(Permission.MANAGE_STORE_SETTINGS)
    try:
        rule = read_rule(form, console, kind)
        runtime.database.write(save_rule, console.actor, console.store.id, rule, rule_id)
    except Invalid as error:
        problems = problems_of(error, known=LABELS)
        return _form_page(
            request,
            console,
            runtime,
            kind=kind,
            rule_id=rule_id,
            form=_typed(form),
            problems=problems,
            status_code=422,
        )
    return RedirectResponse(f"/console/{console.store.slug}/loyalty/rules?done=saved", status_code=303)


@router.post("/console/{store_slug}/loyalty/rules")
def create_rule(
    request: Request,
    console: ConsoleDep,
    runtime: RuntimeDep,
    form: FormDep,
    kind: Annotated[str, Query(pattern="^(purchase|action)$")] = "purchase",
) -> Response:
    """Create a rule of ``kind`` (from the query string: the form is for one kind)."""
    return _save(request, console, runtime, form, kind, None)


@router.post("/console/{store_slug}/loyalty/rules/{rule_id}")
def update_rule(
    request: Request, console: ConsoleDep, runtime: RuntimeDep, form: FormDep, rule_id: RuleId
) -> Response:
    """Replace a rule's terms (its kind stays what it was)."""
    console.check_csrf(str(form.get("csrf_token") or ""))
    console.require(Permission.MANAGE_STORE_SETTINGS)
    with runtime.database.read() as session:
        kind = loyalty_queries.rule_of(session, console.store.id, rule_id).kind
    return _save(request, console, runtime, form, kind, rule_id)


@router.post("/console/{store_slug}/loyalty/rules/{rule_id}/active")
def toggle_rule(console: ConsoleDep, runtime: RuntimeDep, form: FormDep, rule_id: RuleId) -> Response:
    """Pause (``active=no``) or resume (``active=yes``) a rule."""
    console.check_csrf(str(form.get("csrf_token") or ""))
    console.require(Permission.MANAGE_STORE_SETTINGS)
    active = str(form.get("active") or "") == "yes"
    runtime.database.write(set_rule_active, console.actor, console.store.id, rule_id, active)
    done = "resumed" if active else "paused"
    return RedirectResponse(f"/console/{console.store.slug}/loyalty/rules?done={done}", status_code=303)
