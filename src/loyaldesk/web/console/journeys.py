"""Console pages of journeys: the list of a store's rules in three sections (journeys, support
automations, campaigns), each with its trigger in words, on or off, what it sent in the last 7 days and its
alert; the built-in catalogue with a one-click "Switch on"; switching a rule on or off.

The other journeys pages: one rule in ``journeys_rule`` (and the explain view in ``journeys_explain``),
the editor in ``journeys_editor``, campaigns in ``journeys_campaigns``, the calendar and tasks in
``journeys_calendar``, the messaging settings in ``journeys_settings``; words in ``journeys_words``.

Reading needs ``view_journeys``; changing needs ``manage_journeys``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from loyaldesk.journeys.actions.rules import set_rule_enabled, switch_on_builtin
from loyaldesk.journeys.builtins import BUILT_INS, BY_KEY
from loyaldesk.journeys.queries.overview import rules_of
from loyaldesk.journeys.vocab import RulePurpose
from loyaldesk.kernel.errors import Invalid
from loyaldesk.stores import Permission
from loyaldesk.web.console.journeys_words import page_context, trigger_words
from loyaldesk.web.console.loyalty_forms import FormDep
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import Console, ConsoleDep
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)

RuleId = Annotated[int, Path(ge=1, le=2**62)]
BuiltinKey = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")]
SECTIONS = (
    (
        RulePurpose.JOURNEY,
        "journeys",
        "Journeys",
        "Lifecycle messages that start on their own: after an order, before points expire, on a birthday.",
    ),
    (
        RulePurpose.SUPPORT,
        "support",
        "Support automations",
        "The desk's rules: tag, raise, assign, reply outside hours, follow up.",
    ),
    (RulePurpose.CAMPAIGN, "campaigns", "Campaigns", "One-off or recurring sends to a group of customers."),
)
DONE = {
    "on": "Switched on.",
    "off": "Switched off.",
    "saved": "Saved.",
    "deleted": "Deleted.",
    "builtin": "Switched on. It starts with the next customer it fits; edit it any time.",
}


@router.get("/console/{store_slug}/journeys", response_class=HTMLResponse)
def journeys_page(
    request: Request,
    console: ConsoleDep,
    runtime: RuntimeDep,
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """The store's rules by section, in words, and the built-ins not switched on yet."""
    console.require(Permission.VIEW_JOURNEYS)
    return _page(request, console, runtime, flash=DONE.get(done))


def _page(
    request: Request,
    console: Console,
    runtime: Any,
    *,
    flash: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    with runtime.database.read() as session:
        lines = rules_of(session, console.store.id, runtime.clock.now())
    taken = {line.rule.builtin_key for line in lines if line.rule.builtin_key}
    sections = [
        (key, title, help_text, [line for line in lines if line.rule.purpose == purpose])
        for purpose, key, title, help_text in SECTIONS
    ]
    catalogue = [builtin for builtin in BUILT_INS if builtin.key not in taken]
    return render(
        request,
        "journeys/list.html",
        page_context(
            console,
            "rules",
            sections=sections,
            catalogue=catalogue,
            trigger_words=trigger_words,
            can_manage=console.can(Permission.MANAGE_JOURNEYS),
            flash=flash or error,
            flash_kind="error" if error else "success",
        ),
        status_code=status_code,
    )


@router.post("/console/{store_slug}/journeys/builtins/{builtin_key}")
def switch_on(
    request: Request, console: ConsoleDep, runtime: RuntimeDep, form: FormDep, builtin_key: BuiltinKey
) -> Response:
    """Switch on a built-in journey with its default templates; a refusal (a template it needs is
    missing, say) comes back on the list with the reason."""
    console.check_csrf(str(form.get("csrf_token") or ""))
    console.require(Permission.MANAGE_JOURNEYS)
    try:
        rule = runtime.database.write(switch_on_builtin, console.actor, console.store.id, builtin_key)
    except Invalid as error:
        name = BY_KEY[builtin_key].name if builtin_key in BY_KEY else builtin_key
        reasons = (
            "; ".join(
                f"{problem.field}: {problem.reason}" if problem.field else problem.reason
                for problem in error.problems
            )
            or error.message
        )
        return _page(
            request,
            console,
            runtime,
            error=f"“{name}” was not switched on: {reasons}. Create the message it sends under Templates, "
            "or switch it on from a copy you edit with New rule.",
            status_code=422,
        )
    return RedirectResponse(f"/console/{console.store.slug}/journeys/{rule.id}?done=builtin", status_code=303)


@router.post("/console/{store_slug}/journeys/{rule_id:int}/enabled")
def switch_rule(
    request: Request, console: ConsoleDep, runtime: RuntimeDep, form: FormDep, rule_id: RuleId
) -> Response:
    """Switch a rule on (``enabled=yes``) or off; back to the list or to the rule (``back``)."""
    console.check_csrf(str(form.get("csrf_token") or ""))
    console.require(Permission.MANAGE_JOURNEYS)
    enabled = str(form.get("enabled") or "").lower() in ("yes", "on", "true", "1")
    back_to_list = form.get("back") == "list"
    try:
        runtime.database.write(set_rule_enabled, console.actor, console.store.id, rule_id, enabled)
    except Invalid as error:
        reasons = "; ".join(f"{p.field}: {p.reason}" for p in error.problems) or error.message
        message = f"Not switched on: {reasons}. Edit the rule to fix it."
        if back_to_list:
            return _page(request, console, runtime, error=message, status_code=422)
        from loyaldesk.web.console.journeys_rule import rule_page_response

        return rule_page_response(request, console, runtime, rule_id, error=message, status_code=422)
    done = "on" if enabled else "off"
    base = f"/console/{console.store.slug}/journeys"
    target = f"{base}?done={done}" if back_to_list else f"{base}/{rule_id}?done={done}"
    return RedirectResponse(target, status_code=303)
