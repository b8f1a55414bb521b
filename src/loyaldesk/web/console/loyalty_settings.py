"""Console page of the loyalty program settings: one form with every program setting, grouped
(earning, pending and unlocking, expiry, negative balances, value and liability, tier qualification,
referrals, surprises, win-back, member page), each input with a label and help.

Anyone who may view customers may read the settings (the form is disabled for them); saving needs
``manage_store_settings`` and goes through ``program_actions.update_program``. On bad input nothing is
saved and the form comes back (422) with each wrong input named.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from loyaldesk.kernel.errors import FieldProblem, Invalid
from loyaldesk.kernel.money import check_currency
from loyaldesk.loyalty import (
    ExpiryPolicy,
    LoyaltyProgram,
    NegativeBalancePolicy,
    OrderStage,
    ProgramSettings,
    ProgramSettingsPatch,
    ReferralFriendOn,
    Rounding,
    TierMetric,
    TierPeriod,
    UnlockStage,
    choices,
    program_of_store,
    setting_range,
    update_program,
)
from loyaldesk.stores import Permission
from loyaldesk.web.console.forms import errors_by_field, problems_of, readable
from loyaldesk.web.console.loyalty_forms import (
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


@dataclass(frozen=True)
class Setting:
    """One input of the settings form: its schema field, label, kind of input, help and choices."""

    name: str
    label: str
    kind: str  # check | int | money | select | text | url (optional) | color | datetime
    help: str = ""
    options: tuple[tuple[str, str], ...] = ()
    attrs: str = ""


def _bounds(name: str) -> str:
    """The input's bounds, as the program's settings model accepts them."""
    low, high = setting_range(name)
    return " ".join(f'{key}="{value}"' for key, value in (("min", low), ("max", high)) if value is not None)


SETTINGS_GROUPS: tuple[tuple[str, str, tuple[Setting, ...]], ...] = (
    (
        "Program",
        "Whether the program runs and who is in it.",
        (
            Setting(
                "enabled", "The program is running", "check", "When off, nobody earns or redeems points."
            ),
            Setting(
                "auto_enroll",
                "Enrol customers automatically",
                "check",
                "Every new customer becomes a member; otherwise they join when the store enrols them.",
            ),
            Setting(
                "starts_at",
                "The program starts",
                "datetime",
                "In the store's time zone. Orders placed before it earn no points and customers first "
                "seen before it are not enrolled automatically, so imported history does not pay out "
                "(import with --award-points to award it). Points already earned stay when it changes.",
                attrs="required",
            ),
        ),
    ),
    (
        "Earning",
        "What an order earns. Rates apply to the order total after discounts, per currency.",
        (
            Setting(
                "earn_on_status",
                "Points are earned when the order is",
                "select",
                "Earned points wait as pending until they unlock (below).",
                choices(OrderStage),
            ),
        ),
    ),
    (
        "Pending points and unlocking",
        "Points of an order stay pending until it can no longer be returned.",
        (
            Setting(
                "unlock_after_status",
                "Start the return window when the order is",
                "select",
                "",
                choices(UnlockStage),
            ),
            Setting(
                "pending_days",
                "Return window (days)",
                "int",
                "Points unlock this many days after that stage; 0 unlocks them at once.",
                attrs=_bounds("pending_days"),
            ),
        ),
    ),
    (
        "Expiry",
        "When unused points lapse.",
        (
            Setting(
                "expiry_policy",
                "Points expire",
                "select",
                "",
                choices(ExpiryPolicy),
            ),
            Setting(
                "expiry_amount",
                "Expiry amount",
                "int",
                "Days after earning, years after the year earned, or months without activity, "
                "depending on the choice above.",
                attrs=_bounds("expiry_amount"),
            ),
        ),
    ),
    (
        "Negative balances",
        "What happens when a refund takes back points that were already spent.",
        (
            Setting(
                "negative_balance_policy",
                "When points taken back exceed the balance",
                "select",
                "At zero the store absorbs the difference; below zero, the member's next points pay it back.",
                choices(NegativeBalancePolicy),
            ),
        ),
    ),
    (
        "Value and liability",
        "What the points you owe are worth to the store.",
        (
            Setting(
                "point_value_minor",
                "What one point costs the store",
                "money",
                "The value of a point when redeemed, in the store currency (e.g. 0.01).",
            ),
            Setting(
                "expected_breakage_percent",
                "Expected breakage (%)",
                "int",
                "The share of points you expect never to be redeemed; it lowers the liability.",
                attrs=_bounds("expected_breakage_percent"),
            ),
        ),
    ),
    (
        "Tier qualification",
        "How members qualify for tiers.",
        (
            Setting(
                "tier_metric",
                "Members qualify by",
                "select",
                "Tier thresholds are counted in this unit.",
                choices(TierMetric),
            ),
            Setting(
                "tier_period",
                "Counted over",
                "select",
                "",
                choices(TierPeriod),
            ),
            Setting(
                "tier_grace_days",
                "Grace period before a downgrade (days)",
                "int",
                "Members keep their tier this long after they stop qualifying.",
                attrs=_bounds("tier_grace_days"),
            ),
        ),
    ),
    (
        "Referrals",
        "Rewards for members who bring friends, and limits against abuse.",
        (
            Setting(
                "referral_friend_points",
                "Points for the friend",
                "int",
                "",
                attrs=_bounds("referral_friend_points"),
            ),
            Setting(
                "referral_friend_on",
                "The friend gets them",
                "select",
                "",
                choices(ReferralFriendOn),
            ),
            Setting(
                "referral_referrer_points",
                "Points for the member who referred",
                "int",
                "Paid once the friend's first order can no longer be returned.",
                attrs=_bounds("referral_referrer_points"),
            ),
            Setting(
                "referral_max_per_period",
                "Most referrals per member",
                "int",
                "More than this in the period below are rejected as suspicious.",
                attrs=_bounds("referral_max_per_period"),
            ),
            Setting(
                "referral_period_days", "Period (days)", "int", "", attrs=_bounds("referral_period_days")
            ),
            Setting(
                "referral_new_customer_days",
                "Friends must be new: first seen at most (days) before",
                "int",
                "A customer the store knew for longer cannot be referred.",
                attrs=_bounds("referral_new_customer_days"),
            ),
            Setting(
                "referral_link_template",
                "Referral link",
                "url",
                "The page of your store a referral link opens, with {code} where the member's code goes "
                "(e.g. https://shop.example.com/?ref={code}). Empty: loyaldesk's own invitation page.",
                attrs='maxlength="500" placeholder="https://shop.example.com/?ref={code}"',
            ),
        ),
    ),
    (
        "Surprises",
        "Random bonus points on orders, to delight.",
        (
            Setting(
                "surprise_one_in",
                "One order in",
                "int",
                "On average one qualifying order in this many gets a surprise; 0 turns surprises off.",
                attrs=_bounds("surprise_one_in"),
            ),
            Setting("surprise_min_order_total", "Minimum order total", "money", "Smaller orders never win."),
            Setting("surprise_points", "Surprise points", "int", "", attrs=_bounds("surprise_points")),
        ),
    ),
    (
        "Win-back",
        "Bringing back members who went quiet.",
        (
            Setting(
                "winback_after_days",
                "Idle days before a win-back",
                "int",
                "An action rule for the custom event “winback” awards its points after this idle time.",
                attrs=_bounds("winback_after_days"),
            ),
        ),
    ),
    (
        "Member page",
        "How the members' rewards page looks.",
        (
            Setting("member_page_title", "Page title", "text", "", attrs='maxlength="120" required'),
            Setting("member_page_accent", "Accent colour", "color", "Buttons and highlights."),
        ),
    ),
)

SETTINGS = {setting.name: setting for _title, _text, group in SETTINGS_GROUPS for setting in group}
SETTINGS_LABELS = {
    **{name: setting.label for name, setting in SETTINGS.items()},
    "earn_rates": "Earn rates",
}
# Pydantic's pattern errors quote the regular expression; people get what to type instead.
PATTERN_HINTS = {
    "referral_link_template": "must be a web address (https://...) with {code} where the member's code goes",
    "member_page_accent": "must be a colour like #1f5fbf",
}
RATE_ROWS = 4
ROUNDING = choices(Rounding)


def _settings_form(program: LoyaltyProgram, currency: str, timezone: str) -> dict[str, Any]:
    form: dict[str, Any] = {}
    for name, setting in SETTINGS.items():
        value = getattr(program, name)
        if setting.kind == "money":
            form[name] = amount_text(value, currency)
        elif setting.kind == "datetime":
            form[name] = local_input(value, timezone)
        elif setting.kind == "check":
            form[name] = bool(value)
        else:
            form[name] = "" if value is None else value
    for index, rate in enumerate(program.earn_rates or []):
        form[f"earn_rates.{index}.currency"] = rate["currency"]
        form[f"earn_rates.{index}.points"] = rate["points"]
        form[f"earn_rates.{index}.per_amount"] = amount_text(rate["per_amount"], rate["currency"])
        form[f"earn_rates.{index}.rounding"] = rate.get("rounding", "down")
    return form


def _settings_page(
    request: Request,
    console: Console,
    runtime: Any,
    *,
    form: dict[str, Any] | None = None,
    problems: list[FieldProblem] | None = None,
    flash: str | None = None,
    status_code: int = 200,
) -> Response:
    with runtime.database.read() as session:
        program = program_of_store(session, console.store.id)
    currency = console.store.currency
    form = form if form is not None else _settings_form(program, currency, console.store.timezone)
    rows = max(RATE_ROWS, len(program.earn_rates or []) + 1)
    return render(
        request,
        "loyalty/settings.html",
        page_context(
            console,
            "settings",
            groups=SETTINGS_GROUPS,
            form=form,
            rate_rows=rows,
            rounding=ROUNDING,
            problems=readable(problems or [], SETTINGS_LABELS),
            errors=errors_by_field(problems or []),
            labels=SETTINGS_LABELS,
            can_manage=console.can(Permission.MANAGE_STORE_SETTINGS),
            money_step=money_step(currency),
            flash=flash,
        ),
        status_code=status_code,
    )


@router.get("/console/{store_slug}/loyalty/settings", response_class=HTMLResponse)
def settings_page(
    request: Request,
    console: ConsoleDep,
    runtime: RuntimeDep,
    saved: Annotated[str, Query(max_length=5)] = "",
) -> Response:
    """The program settings; read-only for roles that may not change them."""
    console.require(Permission.VIEW_CUSTOMERS)
    return _settings_page(request, console, runtime, flash="Settings saved." if saved else None)


def _read_settings(form: FormData, console: Console) -> tuple[dict[str, Any], ProgramSettingsPatch]:
    """The posted settings as a full patch, or ``Invalid`` naming each wrong input."""
    reader = FormReader(form, currency=console.store.currency, timezone=console.store.timezone)
    data: dict[str, Any] = {}
    for name, setting in SETTINGS.items():
        if setting.kind == "check":
            data[name] = reader.flag(name)
        elif setting.kind == "money":
            data[name] = reader.money(name)
        elif setting.kind == "url":
            data[name] = reader.optional(name)
        elif setting.kind == "datetime":
            data[name] = reader.moment(name)
            if data[name] is None and not any(problem.field == name for problem in reader.problems):
                reader.problems.append(FieldProblem(name, "give a date and time"))
        else:
            data[name] = reader.text(name)
    rates: list[dict[str, Any]] = []
    row_of: dict[int, int] = {}  # index in the patch -> row of the form, to name the right inputs
    for row in range(20):
        prefix = f"earn_rates.{row}"
        fields = [reader.text(f"{prefix}.{part}") for part in ("currency", "points", "per_amount")]
        if not any(fields):
            continue
        currency = fields[0].upper()
        try:
            check_currency(currency, f"{prefix}.currency")
        except Invalid as error:
            reader.problems.extend(error.problems)
            continue
        row_of[len(rates)] = row
        rates.append(
            {
                "currency": currency,
                "points": fields[1],
                "per_amount": reader.money(f"{prefix}.per_amount", currency),
                "rounding": reader.text(f"{prefix}.rounding") or "down",
            }
        )
    data["earn_rates"] = rates
    problems = list(reader.problems)
    patch = None
    try:
        patch = ProgramSettingsPatch.model_validate(data)
        ProgramSettings.model_validate(data)  # the settings must also make sense together
    except ValidationError as error:
        for problem in problems_of(error, known=SETTINGS):
            parts = problem.field.split(".")
            if parts[0] == "earn_rates" and len(parts) > 1 and parts[1].isdigit():
                parts[1] = str(row_of.get(int(parts[1]), parts[1]))
            field = ".".join(parts)
            if any(problem.field == field for problem in reader.problems):
                continue  # said already, in the form's own words
            reason = (
                PATTERN_HINTS.get(field, problem.reason) if "pattern" in problem.reason else problem.reason
            )
            problems.append(FieldProblem(field, reason))
    if problems or patch is None:
        raise Invalid("the settings are not valid", _unique(problems))
    return data, patch


def _unique(problems: list[FieldProblem]) -> list[FieldProblem]:
    return list(dict.fromkeys(problems))


@router.post("/console/{store_slug}/loyalty/settings")
def save_settings(request: Request, console: ConsoleDep, runtime: RuntimeDep, form: FormDep) -> Response:
    """Save every setting at once; on bad input nothing is saved and the form comes back with the errors."""
    console.check_csrf(str(form.get("csrf_token") or ""))
    console.require(Permission.MANAGE_STORE_SETTINGS)
    typed: dict[str, Any] = {name: value for name, value in form.items() if name != "csrf_token"}
    for name, setting in SETTINGS.items():
        if setting.kind == "check":
            typed[name] = name in form
    try:
        _data, patch = _read_settings(form, console)
        runtime.database.write(update_program, console.actor, console.store.id, patch)
    except (Invalid, ValidationError) as error:
        problems = problems_of(error, known=SETTINGS)
        return _settings_page(request, console, runtime, form=typed, problems=problems, status_code=422)
    return RedirectResponse(f"/console/{console.store.slug}/loyalty/settings?saved=1", status_code=303)
