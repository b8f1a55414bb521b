"""The feedback dashboards: ``/console/{store}/feedback/dashboard`` (NPS, CSAT and CES over time with
95% intervals, response rates, breakdowns, loop closure and recovery, what customers bought after
answering) and its charts, ``/console/{store}/feedback/dashboard/chart.svg?kind=...`` (an image; the
page has the same figures as tables). ``Permission.VIEW_FEEDBACK``."""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from loyaldesk.feedback.queries import dashboards, outcomes
from loyaldesk.feedback.rules.statistics import MIN_ANSWERS
from loyaldesk.feedback.vocab import Bucket, SurveyKind
from loyaldesk.kernel.errors import Invalid
from loyaldesk.stores import Permission
from loyaldesk.web.console.feedback_charts import Point, score_chart
from loyaldesk.web.console.feedback_filters import DashboardPeriod, dashboard_period
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import Console, ConsoleDep
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)
CHART_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"
# How each kind's main figure reads: its name, the axis range of its chart, its unit.
FIGURES = {
    SurveyKind.NPS: ("NPS", -100.0, 100.0, ""),
    SurveyKind.CSAT: ("CSAT, % satisfied (4-5)", 0.0, 100.0, "%"),
    SurveyKind.CES: ("CES, mean effort score (1-7)", 1.0, 7.0, ""),
}
# The kinds' names as the dashboards title them.
KIND_NAMES = {
    SurveyKind.NPS: "Net Promoter Score (NPS)",
    SurveyKind.CSAT: "Customer satisfaction (CSAT)",
    SurveyKind.CES: "Customer effort (CES)",
    SurveyKind.REVIEW: "Product review request",
    SurveyKind.CUSTOM: "Custom survey",
}
BUCKET_TITLES = {
    Bucket.PROMOTER: "Promoters (and satisfied, easy)",
    Bucket.PASSIVE: "Passives (and neutral)",
    Bucket.DETRACTOR: "Detractors",
}


def _period(runtime: Any, console: Console, request: Request) -> DashboardPeriod:
    console.require(Permission.VIEW_FEEDBACK)
    today = runtime.clock.now().astimezone(ZoneInfo(console.store.timezone)).date()
    return dashboard_period(dict(request.query_params), today)


def load(runtime: Any, store_id: int, timezone: str, period: DashboardPeriod) -> tuple[Any, Any]:
    """The dashboard's figures for ``period``: (scores summary, outcomes)."""
    with runtime.database.read() as session:
        summary = dashboards.summary(
            session,
            store_id,
            start=period.start,
            end=period.end,
            timezone=timezone,
            granularity=period.every,
            kind=period.kind,
        )
        after = outcomes.outcomes(
            session, store_id, start=period.start, end=period.end, timezone=timezone, now=runtime.clock.now()
        )
    return summary, after


@router.get("/console/{store_slug}/feedback/dashboard", response_class=HTMLResponse)
def dashboard_page(request: Request, runtime: RuntimeDep, console: ConsoleDep) -> Response:
    """The dashboards for ``from``..``to`` (default: the 180 days up to today), per ``every`` (week or
    month), with breakdowns of ``kind`` (nps, csat or ces). A wrong period is shown beside its field."""
    try:
        period = _period(runtime, console, request)
    except Invalid as error:
        errors = {problem.field: problem.reason for problem in error.problems}
        return render(
            request,
            "feedback_insight/dashboard.html",
            {
                "console": console,
                "section": "feedback",
                "active": "dashboard",
                "errors": errors,
                "form": dict(request.query_params),
                "summary": None,
            },
            status_code=422,
        )
    summary, after = load(runtime, console.store.id, console.store.timezone, period)
    return render(
        request,
        "feedback_insight/dashboard.html",
        {
            "console": console,
            "section": "feedback",
            "active": "dashboard",
            "errors": {},
            "form": {
                "from": period.start.isoformat(),
                "to": period.end.isoformat(),
                "every": period.every,
                "kind": period.kind.value,
            },
            "period": period,
            "summary": summary,
            "after": after,
            "figures": FIGURES,
            "kinds": dashboards.SCORED_KINDS,
            "kind_names": KIND_NAMES,
            "bucket_titles": BUCKET_TITLES,
            "min_answers": MIN_ANSWERS,
            "chart_width": 720,
            "chart_height": 260,
        },
    )


@router.get("/console/{store_slug}/feedback/dashboard/chart.svg")
def score_chart_image(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    chart: Annotated[str, Query(max_length=10, pattern="^(nps|csat|ces|ces_easy)$")] = "nps",
) -> Response:
    """One kind's score per week or month with its interval, as an SVG image (``chart``: nps, csat,
    ces or ces_easy; the period as the page's)."""
    period = _period(runtime, console, request)
    with runtime.database.read() as session:
        periods = dashboards.scores_over_time(
            session,
            console.store.id,
            start=period.start,
            end=period.end,
            timezone=console.store.timezone,
            granularity=period.every,
        )
    if chart == "ces_easy":
        kind, title, low, high, unit = SurveyKind.CES, "CES, % easy (5-7)", 0.0, 100.0, "%"
    else:
        kind = SurveyKind(chart)
        title, low, high, unit = FIGURES[kind]
    points = []
    for item in periods:
        scores = item.scores[kind]
        estimate = scores.easy if chart == "ces_easy" else scores.main
        assert estimate is not None
        label = f"{item.start.day} {item.start:%b}" if period.every == "week" else f"{item.start:%b %y}"
        points.append(Point(label, estimate.value, estimate.low, estimate.high, estimate.too_few))
    return Response(
        score_chart(f"{title} by {period.every}", points, low, high, unit),
        media_type="image/svg+xml",
        headers={"Content-Security-Policy": CHART_CSP, "Cache-Control": "private, no-cache"},
    )
