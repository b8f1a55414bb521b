"""Analytics → Retention: the store's retention figures for a period, members vs non-members, and the
monthly cohort heatmap, with CSV exports. Computed from the orders when the page is opened."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from loyaldesk.analytics import queries, retention_report
from loyaldesk.analytics.metrics import Window
from loyaldesk.kernel.errors import FieldProblem, Invalid
from loyaldesk.stores import Permission, store_by_id
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import ConsoleDep
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)
SHOWN_COHORTS = 12


def _csv(rows: list[tuple[object, ...]]) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()


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
        return _download(_csv(rows), f"retention-{start.isoformat()}-{end.isoformat()}.csv")
    if export == "cohorts":
        return _download(_csv(list(report.cohorts.as_rows("retention"))), f"cohorts-{end.isoformat()}.csv")
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


def _download(body: str, filename: str) -> Response:
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
