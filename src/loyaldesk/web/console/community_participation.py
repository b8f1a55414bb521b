"""The Community section's participation panel: ``/console/{store}/community/participation`` compares the
customers who took part in the community over a period (asked, answered, voted or RSVPd) with those who
did not: how many, their repeat purchase rate (retention) and their spend per customer and average order
value; with its chart ``.../participation.svg`` (pygal, drawn like the console's other charts: the
console's chart style, no scripts, served as an image; the page has the same figures in a table).

Analytics (``view_analytics``): analysts and managers.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

import pygal
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from loyaldesk import community
from loyaldesk.analytics import CommunityParticipationReport, community_participation
from loyaldesk.stores import Permission
from loyaldesk.web.console.chart_style import console_chart_style
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import Console, ConsoleDep
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)
VIEW = Permission.VIEW_ANALYTICS
BASE = "/console/{store_slug}/community/participation"
CHART_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"
PERIODS = (30, 90, 180, 365)
_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL | re.IGNORECASE)

Days = Annotated[int, Query(ge=7, le=3650, description="The period: the last this many days.")]


def _report(runtime: Any, console: Console, days: int) -> CommunityParticipationReport:
    end = runtime.clock.now()
    with runtime.database.read() as session:
        return community_participation(
            session, console.store.id, period_start=end - timedelta(days=days), period_end=end
        )


def _money(minor: float, currency: str) -> str:
    return f"{minor / 100:,.2f} {currency}"


def _rows(found: community.Participation) -> list[dict[str, Any]]:
    rows = []
    for name, group in (("Took part", found.participants), ("Did not take part", found.others)):
        rows.append(
            {
                "name": name,
                "customers": group.customers,
                "buyers": group.buyers,
                "orders": group.orders,
                "repeat": f"{group.repeat_purchase_rate * 100:.1f}%",
                "spend": _money(group.spend_per_customer, found.currency),
                "order_value": _money(group.average_order_value, found.currency),
            }
        )
    return rows


@router.get(BASE, response_class=HTMLResponse)
def participation_page(
    request: Request, runtime: RuntimeDep, console: ConsoleDep, days: Days = 90
) -> Response:
    console.require(VIEW)
    report = _report(runtime, console, days)
    found = report.figures
    return render(
        request,
        "community/participation.html",
        {
            "console": console,
            "section": "community",
            "active": "participation",
            "days": days,
            "periods": PERIODS,
            "found": found,
            "rows": _rows(found),
            "spend_ratio": None if report.spend_ratio is None else f"{report.spend_ratio:.2f}",
            "repeat_difference": f"{report.repeat_rate_difference * 100:+.1f} points",
            "period_end": found.period_end - timedelta(seconds=1),
        },
    )


def participation_svg(found: community.Participation) -> str:
    """Two bar groups, retention and spend, each comparing who took part with who did not (spend in the
    currency's units on a second axis would mislead, so spend is drawn as a share of the larger group's)."""
    style = console_chart_style(13)
    style.colors = ("#1f5fbf", "#8a96a3")  # took part: the console's accent; the others: grey
    chart = pygal.Bar(
        style=style,
        js=[],
        width=720,
        height=300,
        title="Community members against other customers",
        legend_at_bottom=True,
        print_values=True,
        value_formatter=lambda value: f"{value:.1f}",
        margin=10,
        truncate_label=-1,
        no_data_text="No customers in the period",
    )
    spend_top = max(found.participants.spend_per_customer, found.others.spend_per_customer) or 1.0
    chart.x_labels = ["Repeat purchases (% of customers)", "Spend per customer (% of the higher)"]
    for name, group in (("Took part", found.participants), ("Did not take part", found.others)):
        chart.add(
            f"{name} ({group.customers:,})",
            [group.repeat_purchase_rate * 100, group.spend_per_customer / spend_top * 100],
        )
    return _SCRIPT.sub("", chart.render(is_unicode=True))


@router.get(BASE + ".svg")
def participation_chart(runtime: RuntimeDep, console: ConsoleDep, days: Days = 90) -> Response:
    console.require(VIEW)
    return Response(
        participation_svg(_report(runtime, console, days).figures),
        media_type="image/svg+xml",
        headers={"Content-Security-Policy": CHART_CSP, "Cache-Control": "private, no-cache"},
    )
