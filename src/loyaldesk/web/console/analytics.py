"""Analytics → Retention: the store's retention figures for a period, members vs non-members, and the
monthly cohort heatmap, with CSV exports. Computed from the orders when the page is opened."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from loyaldesk.analytics import queries, retention_report
from loyaldesk.analytics.metrics import Window
from loyaldesk.analytics.segments import CSV_HEADER, Segment, segment_rows
from loyaldesk.analytics.segments_report import segment_report
from loyaldesk.analytics.value_report import value_report
from loyaldesk.kernel.errors import FieldProblem, Invalid
from loyaldesk.stores import Permission, store_by_id
from loyaldesk.web.console.csv_download import csv_download
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import ConsoleDep
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)
SHOWN_COHORTS = 12


@router.get("/console/{store_slug}/analytics", response_class=HTMLResponse)
def retention_page(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
    export: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """Figures for orders placed from ``from`` to ``to`` (inclusive, store dates; default: the last 90
    days), compared with the period of the same length before; cohorts by month of first order."""
    console.require(Permission.VIEW_ANALYTICS)
    zone = ZoneInfo(console.store.timezone)
    now = runtime.clock.now()
    end = end or now.astimezone(zone).date()
    start = start or end - timedelta(days=89)
    if start > end or (end - start).days > 365:
        raise Invalid("choose a period", [FieldProblem("from", "must be before `to`, at most a year apart")])
    window = Window(
        datetime.combine(start, time(), zone), datetime.combine(end + timedelta(days=1), time(), zone)
    )
    with runtime.database.read() as session:
        store = store_by_id(session, console.store.id)
        orders = queries.order_facts(session, store, window.end)
        members = queries.member_customer_ids(session, store.id)
        ratings = queries.csat_ratings(session, store.id, window.start, window.end)
    report = retention_report.build(orders, members, ratings, window, end, store.timezone)
    if export == "groups":
        rows = [retention_report.CSV_HEADER, *(group.as_row() for group in report.groups)]
        return csv_download(rows, f"retention-{start.isoformat()}-{end.isoformat()}.csv")
    if export == "cohorts":
        return csv_download(report.cohorts.as_rows("retention"), f"cohorts-{end.isoformat()}.csv")
    if export is not None:
        raise Invalid("unknown export", [FieldProblem("export", "groups or cohorts")])
    cohorts = report.cohorts.rows[-SHOWN_COHORTS:]
    return render(
        request,
        "analytics/retention.html",
        {
            "console": console,
            "section": "analytics",
            "report": report,
            "start": start,
            "end": end,
            "titles": retention_report.GROUP_TITLES,
            "cohorts": cohorts,
            "offsets": min(report.cohorts.offsets, SHOWN_COHORTS + 1),
            "computed_at": now,
            "currency": store.currency,
        },
    )


@router.get("/console/{store_slug}/analytics/segments", response_class=HTMLResponse)
def segments_page(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    as_of: Annotated[date | None, Query()] = None,
    segment: Annotated[str | None, Query(max_length=40)] = None,
    export: Annotated[bool, Query()] = False,
) -> Response:
    """RFM segments of the customers who bought in the year up to ``as_of`` (default today); ``segment``
    opens one segment's customers; ``export`` downloads the rows as CSV."""
    console.require(Permission.VIEW_ANALYTICS)
    zone = ZoneInfo(console.store.timezone)
    as_of = as_of or runtime.clock.now().astimezone(zone).date()
    end = datetime.combine(as_of + timedelta(days=1), time(), zone)
    chosen = None
    if segment is not None:
        try:
            chosen = Segment(segment)
        except ValueError:
            raise Invalid("unknown segment", [FieldProblem("segment", "is not an RFM segment")]) from None
    with runtime.database.read() as session:
        store = store_by_id(session, console.store.id)
        report = segment_report(queries.order_facts(session, store, end), end)
        shown = next((m for m in report.members if m.segment == chosen), None) if chosen else None
        people = queries.customer_names(session, store.id, list(shown.customer_ids[:500])) if shown else {}
    if export:
        if report.scores is None:
            rows: list[tuple[object, ...]] = [CSV_HEADER]
        else:
            rows = list(segment_rows(report.customer_ids, report.scores, chosen))
        return csv_download(rows, f"rfm-{chosen.value if chosen else 'all'}-{as_of.isoformat()}.csv")
    index = {customer_id: position for position, customer_id in enumerate(report.customer_ids)}
    total = len(report.customer_ids)
    return render(
        request,
        "analytics/segments.html",
        {
            "console": console,
            "section": "analytics",
            "report": report,
            "as_of": as_of,
            "total": total,
            "largest": max((m.count for m in report.members), default=0),
            "chosen": shown,
            "people": people,
            "index": index,
            "scores": report.scores,
            "currency": store.currency,
            "descriptions": SEGMENT_HINTS,
        },
    )


# What a manager might do with each segment (shown beside it).
SEGMENT_HINTS = {
    Segment.CHAMPIONS: "Bought recently, often and the most. Reward them; ask for reviews.",
    Segment.LOYAL: "Buy regularly. Offer membership perks and early access.",
    Segment.POTENTIAL_LOYALIST: "Recent with average frequency. Invite them into the loyalty program.",
    Segment.NEW_CUSTOMERS: "Bought for the first time lately. Welcome them and help them to a second order.",
    Segment.PROMISING: "Recent but have not spent much yet. Build the relationship.",
    Segment.NEED_ATTENTION: "Above average, but slipping. A timely offer may bring them back.",
    Segment.ABOUT_TO_SLEEP: "Below average and fading. Reconnect before they are gone.",
    Segment.AT_RISK: "Spent a lot and often, long ago. Reach out personally.",
    Segment.CANNOT_LOSE_THEM: "Your best customers once, not seen lately. Win them back now.",
    Segment.HIBERNATING: "Low spend, long ago. A win-back campaign may wake some.",
    Segment.LOST: "Lowest recency, frequency and spend. Low priority.",
}


@router.get("/console/{store_slug}/analytics/value", response_class=HTMLResponse)
def value_page(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    as_of: Annotated[date | None, Query()] = None,
    export: Annotated[bool, Query()] = False,
) -> Response:
    """Predicted value (BG/NBD + Gamma-Gamma) and churn risk, and the customers at risk and valuable."""
    console.require(Permission.VIEW_ANALYTICS)
    zone = ZoneInfo(console.store.timezone)
    as_of = as_of or runtime.clock.now().astimezone(zone).date()
    end = datetime.combine(as_of + timedelta(days=1), time(), zone)
    with runtime.database.read() as session:
        store = store_by_id(session, console.store.id)
        orders = queries.order_facts(session, store, end)
        signals = queries.churn_signals(session, store.id, orders, end)
    report = value_report(orders, end, signals)
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
        return csv_download(rows, f"at-risk-{as_of.isoformat()}.csv")
    with runtime.database.read() as session:
        people = queries.customer_names(session, store.id, [c.customer_id for c in report.at_risk])
    return render(
        request,
        "analytics/value.html",
        {
            "console": console,
            "section": "analytics",
            "report": report,
            "as_of": as_of,
            "people": people,
            "currency": store.currency,
        },
    )
