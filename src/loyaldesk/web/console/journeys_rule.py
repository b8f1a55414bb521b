"""Console page of one rule: the rule in words (trigger, each condition, each numbered step), its switch,
holdout, results against the holdout group with the uplift's 95% interval and a funnel chart, the dry run
for tomorrow, the "explain for a customer" form, the alert with its Clear button, the latest decisions.

Reading needs ``view_journeys``; switching, clearing the alert and deleting need ``manage_journeys``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import pygal
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from loyaldesk.journeys.actions.rules import clear_alert, delete_rule, rule_of
from loyaldesk.journeys.queries.dry_run import dry_run
from loyaldesk.journeys.queries.overview import latest_decisions, names_of
from loyaldesk.journeys.queries.results import RuleResults, results_of
from loyaldesk.stores import Permission
from loyaldesk.stores.queries import store_by_id
from loyaldesk.web.console.chart_style import console_chart_style
from loyaldesk.web.console.journeys_words import (
    Names,
    condition_lines,
    page_context,
    steps_words,
    trigger_words,
    uplift_verdict,
    uplift_words,
)
from loyaldesk.web.console.loyalty_forms import FormDep
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import Console, ConsoleDep
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)

RuleId = Annotated[int, Path(ge=1, le=2**62)]
# The chart is an image: its inline styles are allowed, and nothing in it may run or load anything.
CHART_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"
CHART_WIDTH, CHART_HEIGHT = 560, 260
_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL | re.IGNORECASE)
DONE = {
    "on": "Switched on.",
    "off": "Switched off.",
    "saved": "Saved.",
    "cleared": "Alert cleared.",
    "builtin": "Switched on. It starts with the next customer it fits; edit it any time.",
    "campaign": "Campaign scheduled.",
}


def funnel(results: RuleResults) -> list[tuple[str, int]]:
    """The treated group's way from message to order."""
    return [
        ("Sent", results.sent),
        ("Delivered", results.delivered),
        ("Opened", results.opened),
        ("Clicked", results.clicked),
        ("Converted", results.treated.converted),
    ]


@router.get("/console/{store_slug}/journeys/{rule_id:int}", response_class=HTMLResponse)
def rule_page(
    request: Request,
    console: ConsoleDep,
    runtime: RuntimeDep,
    rule_id: RuleId,
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """One rule in words, with its results, tomorrow's dry run and its latest decisions."""
    console.require(Permission.VIEW_JOURNEYS)
    return rule_page_response(request, console, runtime, rule_id, flash=DONE.get(done))


def rule_page_response(
    request: Request,
    console: Console,
    runtime: Any,
    rule_id: int,
    *,
    flash: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    now = runtime.clock.now()
    with runtime.database.read() as session:
        store = store_by_id(session, console.store.id)
        rule = rule_of(session, store.id, rule_id)
        known = names_of(session, store.id)
        names = Names(known.templates, known.rewards, known.teams, known.staff)
        results = results_of(session, rule)
        tomorrow = dry_run(session, store, rule, now)
        decisions = latest_decisions(session, store.id, rule.id)
        mode, conditions = condition_lines(rule.conditions)
        context = page_context(
            console,
            "rules",
            rule=rule,
            trigger=trigger_words(rule.trigger),
            audience=condition_lines(rule.trigger.get("audience") or {})
            if rule.trigger.get("kind") == "schedule"
            else None,
            condition_mode=mode,
            conditions=conditions,
            steps=steps_words(rule.steps, names),
            results=results,
            funnel=funnel(results),
            uplift=uplift_words(results.uplift, results.uplift_low, results.uplift_high),
            verdict=uplift_verdict(results.uplift_low, results.uplift_high),
            tomorrow=tomorrow,
            decisions=decisions,
            store=store,
            can_manage=console.can(Permission.MANAGE_JOURNEYS),
            chart_width=CHART_WIDTH,
            chart_height=CHART_HEIGHT,
            flash=flash or error,
            flash_kind="error" if error else "success",
        )
        return render(request, "journeys/rule.html", context, status_code=status_code)


def funnel_svg(steps: list[tuple[str, int]]) -> str:
    """The funnel as a bar chart (SVG), without the scripts pygal adds (shown as an image)."""
    style = console_chart_style(14)
    chart = pygal.Bar(
        style=style,
        js=[],
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
        show_legend=False,
        print_values=True,
        value_formatter=lambda value: f"{int(value or 0):,}",
        margin=12,
        spacing=14,
        show_y_guides=False,
        no_data_text="Nothing sent yet",
    )
    if any(count for _name, count in steps):
        chart.x_labels = [name for name, _count in steps]
        chart.add("Customers", [count for _name, count in steps])
    return _SCRIPT.sub("", chart.render(is_unicode=True))


@router.get("/console/{store_slug}/journeys/{rule_id:int}/funnel.svg")
def funnel_chart(console: ConsoleDep, runtime: RuntimeDep, rule_id: RuleId) -> Response:
    """Sent, delivered, opened, clicked, converted as an SVG image (the page has the same numbers)."""
    console.require(Permission.VIEW_JOURNEYS)
    with runtime.database.read() as session:
        rule = rule_of(session, console.store.id, rule_id)
        steps = funnel(results_of(session, rule))
    return Response(
        funnel_svg(steps),
        media_type="image/svg+xml",
        headers={"Content-Security-Policy": CHART_CSP, "Cache-Control": "private, no-cache"},
    )


@router.post("/console/{store_slug}/journeys/{rule_id:int}/alert/clear")
def clear_rule_alert(console: ConsoleDep, runtime: RuntimeDep, form: FormDep, rule_id: RuleId) -> Response:
    """Clear the rule's alert (the loop was looked into)."""
    console.check_csrf(str(form.get("csrf_token") or ""))
    console.require(Permission.MANAGE_JOURNEYS)
    runtime.database.write(clear_alert, console.actor, console.store.id, rule_id)
    return RedirectResponse(f"/console/{console.store.slug}/journeys/{rule_id}?done=cleared", status_code=303)


@router.post("/console/{store_slug}/journeys/{rule_id:int}/delete")
def delete_journey(console: ConsoleDep, runtime: RuntimeDep, form: FormDep, rule_id: RuleId) -> Response:
    """Delete the rule (its runs and record go with it)."""
    console.check_csrf(str(form.get("csrf_token") or ""))
    console.require(Permission.MANAGE_JOURNEYS)
    runtime.database.write(delete_rule, console.actor, console.store.id, rule_id)
    return RedirectResponse(f"/console/{console.store.slug}/journeys?done=deleted", status_code=303)
