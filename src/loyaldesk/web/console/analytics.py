"""Analytics pages: Retention (with the cohort heatmap), Customer segments (RFM), Value and churn risk, and
Support and loyalty impact, each with CSV exports. Figures come from ``analytics.dashboards``: cached, with
the time they were computed shown and a button to compute them again."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from loyaldesk.analytics import (
    DASHBOARDS,
    DEFAULT_PERIOD_DAYS,
    Cached,
    DataEnd,
    Filters,
    Segment,
    dashboards,
    impact_report,
    open_dashboard,
    period,
    queries,
    retention_report,
    segment_advice,
    segment_csv_rows,
    segment_members,
)
from loyaldesk.feedback.queries import outcomes as feedback_outcomes
from loyaldesk.kernel.errors import FieldProblem, Invalid
from loyaldesk.stores import Permission
from loyaldesk.web.console.csv_download import csv_download, csv_stream
from loyaldesk.web.console.feedback_dashboard import BUCKET_TITLES as FEEDBACK_BUCKET_TITLES
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import Console, ConsoleDep
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)
SHOWN_COHORTS = 12
LISTED_CUSTOMERS = 500
PAGES = {
    "retention": "analytics",
    "segments": "analytics/segments",
    "value": "analytics/value",
    "impact": "analytics/impact",
}

FromDate = Annotated[date | None, Query(alias="from")]
ToDate = Annotated[date | None, Query(alias="to")]


def _today(runtime: Any, console: Console) -> date:
    return runtime.clock.now().astimezone(ZoneInfo(console.store.timezone)).date()


def _data_end(runtime: Any, console: Console) -> DataEnd:
    console.require(Permission.VIEW_ANALYTICS)
    with runtime.database.read() as session:
        return dashboards.data_end(session, console.store, _today(runtime, console))


# What each page shows when it opens on the store's last data: (what is shown, the link to today's view).
DATA_END_WORDS = {
    "retention": ("the last {days} days with data, {start} to {end}", "the {days} days up to today"),
    "segments": ("the last year with data: the customers who bought up to {end}", "the year up to today"),
    "value": ("the figures as of {end}, the last day with data", "the figures as of today"),
    "impact": (
        "the last {days} days whose {days} days after have data: {start} to {end}",
        "the default period up to today",
    ),
}


def _data_note(data: DataEnd, filters: Filters, shifted: bool, name: str) -> dict[str, Any]:
    """What the page says about where the store's data ends: when it opened on the last days with data
    instead of those up to today (``shifted``: what it shows, and a link to today's view), or when the
    period chosen runs past the last order (``after_data``)."""
    shown, today_label = DATA_END_WORDS[name]
    words = {
        "days": DEFAULT_PERIOD_DAYS,
        "start": filters.start.isoformat() if filters.start else "",
        "end": filters.end.isoformat(),
    }
    last = data.last_order_day
    return {
        "data_end": data,
        "shifted": shifted,
        "shown": shown.format(**words),
        "today_label": today_label.format(**words),
        "today_query": DASHBOARDS[name].default_filters(data.today).key(),
        "after_data": data.ended and last is not None and filters.end > last and not shifted,
    }


def _open(
    runtime: Any, console: Console, name: str, filters: Filters, part: str | None = None
) -> Cached[Any]:
    console.require(Permission.VIEW_ANALYTICS)
    return open_dashboard(runtime.database, console.store.id, name, filters, runtime.clock.now(), part=part)


def _page(request: Request, console: Console, template: str, cached: Cached[Any], **context: Any) -> Response:
    return render(
        request,
        template,
        {
            "console": console,
            "section": "analytics",
            "report": cached.report,
            "cached": cached,
            "currency": console.store.currency,
            **context,
        },
    )


@router.get("/console/{store_slug}/analytics", response_class=HTMLResponse)
def retention_page(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    start: FromDate = None,
    end: ToDate = None,
    export: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """Figures for orders placed from ``from`` to ``to`` (inclusive, store dates; default: the last 90
    days, or the last 90 days with orders when the store's data has ended), compared with the period of
    the same length before; cohorts by month of first order."""
    data = _data_end(runtime, console)
    shifted = start is None and end is None and data.ended
    filters = period(start, end, data.anchor if shifted else data.today)
    cached = _open(runtime, console, "retention", filters)
    report = cached.report
    assert filters.start is not None
    if export == "groups":
        rows = [retention_report.CSV_HEADER, *(group.as_row() for group in report.shown_groups)]
        return csv_download(rows, f"retention-{filters.start.isoformat()}-{filters.end.isoformat()}.csv")
    if export == "cohorts":
        return csv_download(report.cohorts.as_rows("retention"), f"cohorts-{filters.end.isoformat()}.csv")
    if export is not None:
        raise Invalid("unknown export", [FieldProblem("export", "groups or cohorts")])
    return _page(
        request,
        console,
        "analytics/retention.html",
        cached,
        start=filters.start,
        end=filters.end,
        days=(filters.end - filters.start).days + 1,
        previous_start=filters.start - (filters.end - filters.start) - timedelta(days=1),
        previous_end=filters.start - timedelta(days=1),
        titles=retention_report.GROUP_TITLES,
        cohorts=report.cohorts.rows[-SHOWN_COHORTS:],
        offsets=min(report.cohorts.offsets, SHOWN_COHORTS + 1),
        dashboard="retention",
        **_data_note(data, filters, shifted, "retention"),
    )


@router.get("/console/{store_slug}/analytics/segments", response_class=HTMLResponse)
def segments_page(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    as_of: Annotated[date | None, Query()] = None,
    segment: Annotated[str | None, Query(max_length=40)] = None,
    export: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """RFM segments of the customers who bought in the year up to ``as_of`` (default today); ``segment``
    opens one segment's customers; ``export=true`` downloads their rows (or everyone's) as CSV,
    ``export=summary`` the table of segments."""
    if export not in (None, "true", "summary"):
        raise Invalid("unknown export", [FieldProblem("export", "true or summary")])
    data = _data_end(runtime, console)
    shifted = as_of is None and data.ended
    filters = dashboards.as_of(data.anchor if shifted else as_of, data.today)
    chosen = None
    if segment is not None:
        try:
            chosen = Segment(segment)
        except ValueError:
            raise Invalid("unknown segment", [FieldProblem("segment", "is not an RFM segment")]) from None
    summary = _open(runtime, console, "segments", filters)
    if export == "summary":
        summary_rows: list[tuple[object, ...]] = [("segment", "label", "customers", "spend_minor")]
        summary_rows += [(s.segment.value, s.label, s.count, s.spend_minor) for s in summary.report.segments]
        return csv_download(summary_rows, f"rfm-segments-{filters.end.isoformat()}.csv")
    if export:
        name = f"rfm-{chosen.value if chosen else 'all'}-{filters.end.isoformat()}.csv"
        rows = segment_csv_rows(runtime.database, console.store.id, filters, chosen, runtime.clock.now())
        return csv_stream(rows, name)
    shown = next((group for group in summary.report.segments if group.segment == chosen), None)
    listed = []
    if shown is not None and shown.count:
        listed = segment_members(
            runtime.database,
            console.store.id,
            filters,
            shown.segment,
            runtime.clock.now(),
            limit=LISTED_CUSTOMERS,
        )
    with runtime.database.read() as session:
        facts = queries.store_facts(session, console.store.id)
        people = queries.customer_names(session, console.store.id, [member.customer_id for member in listed])
    return _page(
        request,
        console,
        "analytics/segments.html",
        summary,
        as_of=filters.end,
        largest=max((s.count for s in summary.report.segments), default=0),
        chosen=shown,
        listed_members=listed,
        people=people,
        listed=LISTED_CUSTOMERS,
        advice={
            group.segment: segment_advice(group.segment, group.count, group.members, facts)
            for group in summary.report.segments
        },
        dashboard="segments",
        **_data_note(data, filters, shifted, "segments"),
    )


@router.get("/console/{store_slug}/analytics/value", response_class=HTMLResponse)
def value_page(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    as_of: Annotated[date | None, Query()] = None,
    export: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """Predicted value (BG/NBD + Gamma-Gamma) and churn risk, and the customers at risk and valuable;
    ``export=true`` downloads that list as CSV, ``export=calibration`` the holdout check."""
    data = _data_end(runtime, console)
    shifted = as_of is None and data.ended
    filters = dashboards.as_of(data.anchor if shifted else as_of, data.today)
    cached = _open(runtime, console, "value", filters)
    report = cached.report
    if export == "calibration":
        groups = report.calibration.groups if report.calibration else ()
        calibration: list[tuple[object, ...]] = [
            ("repeat_purchases_before", "customers", "predicted_each", "actual_each")
        ]
        calibration += [
            (g.label, g.customers, round(g.predicted_mean, 4), round(g.actual_mean, 4)) for g in groups
        ]
        return csv_download(calibration, f"holdout-check-{filters.end.isoformat()}.csv")
    if export not in (None, "true"):
        raise Invalid("unknown export", [FieldProblem("export", "true or calibration")])
    if export:
        rows: list[tuple[object, ...]] = [
            ("customer_id", "risk", "predicted_clv_minor", "value_at_risk_minor", "reasons")
        ]
        rows += [
            (
                c.customer_id,
                round(c.risk, 4),
                round(c.predicted_clv, 2),
                round(c.value_at_risk, 2),
                "; ".join(c.reasons),
            )
            for c in report.at_risk
        ]
        return csv_download(rows, f"at-risk-{filters.end.isoformat()}.csv")

    with runtime.database.read() as session:
        people = queries.customer_names(session, console.store.id, [c.customer_id for c in report.at_risk])
    return _page(
        request,
        console,
        "analytics/value.html",
        cached,
        as_of=filters.end,
        people=people,
        dashboard="value",
        **_data_note(data, filters, shifted, "value"),
    )


@router.get("/console/{store_slug}/analytics/impact", response_class=HTMLResponse)
def impact_page(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    start: FromDate = None,
    end: ToDate = None,
    export: Annotated[bool, Query()] = False,
) -> Response:
    """Customers grouped by their support and loyalty experience from ``from`` to ``to`` (default: the 90
    days that ended 90 days ago, or before the last order when the store's data has ended), and what they
    bought in the equally long period after."""
    data = _data_end(runtime, console)
    shifted = start is None and end is None and data.ended
    default = DASHBOARDS["impact"].default_filters(data.anchor)
    filters = period(start or (None if end else default.start), end or default.end, data.today)
    if filters.end >= data.today:
        raise Invalid(
            "choose a period that has ended",
            [FieldProblem("to", "must be before today: the page follows what customers did after it")],
        )
    cached = _open(runtime, console, "impact", filters)
    after = None  # feedback: what customers bought after answering a survey in the period
    if console.can(Permission.VIEW_FEEDBACK) and filters.start is not None:
        with runtime.database.read() as session:
            after = feedback_outcomes.outcomes(
                session,
                console.store.id,
                start=filters.start,
                end=filters.end,
                timezone=console.store.timezone,
                now=runtime.clock.now(),
            )
    if export:
        assert filters.start is not None
        return csv_download(
            cached.report.csv_rows(), f"impact-{filters.start.isoformat()}-{filters.end.isoformat()}.csv"
        )
    return _page(
        request,
        console,
        "analytics/impact.html",
        cached,
        start=filters.start,
        end=filters.end,
        support_titles=impact_report.SUPPORT_TITLES,
        loyalty_titles=impact_report.LOYALTY_TITLES,
        dashboard="impact",
        after=after,
        bucket_titles=FEEDBACK_BUCKET_TITLES,
        **_data_note(data, filters, shifted, "impact"),
    )


@router.post("/console/{store_slug}/analytics/refresh")
def refresh(
    runtime: RuntimeDep,
    console: ConsoleDep,
    dashboard: Annotated[str, Form(max_length=20)],
    start: Annotated[date | None, Form(alias="from")] = None,
    end: Annotated[date | None, Form(alias="to")] = None,
    as_of: Annotated[date | None, Form()] = None,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """Compute a dashboard's figures again now, then show the page with the same filters."""
    console.check_csrf(csrf_token)
    console.require(Permission.VIEW_ANALYTICS)
    if dashboard not in DASHBOARDS:
        raise Invalid("unknown dashboard", [FieldProblem("dashboard", f"one of {', '.join(DASHBOARDS)}")])
    if start is not None or dashboard in ("retention", "impact"):
        filters = period(start, end, _today(runtime, console))
        if dashboard == "impact" and filters.end >= _today(runtime, console):
            raise Invalid(
                "choose a period that has ended",
                [FieldProblem("to", "must be before today: the page follows what customers did after it")],
            )
        query = {"from": filters.start.isoformat() if filters.start else "", "to": filters.end.isoformat()}
    else:
        filters = dashboards.as_of(as_of, _today(runtime, console))
        query = {"as_of": filters.end.isoformat()}
    open_dashboard(runtime.database, console.store.id, dashboard, filters, runtime.clock.now(), refresh=True)
    return RedirectResponse(
        f"/console/{console.store.slug}/{PAGES[dashboard]}?{urlencode(query)}", status_code=303
    )
