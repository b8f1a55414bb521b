"""Console pages of the loyalty program: the overview (numbers, the liability spelled out, the tier mix
as a chart image and a table). The other loyalty pages: settings in ``loyalty_settings``, earning rules
in ``loyalty_rules``, tiers and rewards in ``loyalty_catalog``, members and referrals in
``loyalty_members``; shared form reading in ``loyalty_forms``.

Everyone who may view customers may read the overview.
"""

from __future__ import annotations

import re

import pygal
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from loyaldesk.kernel.money import format_money
from loyaldesk.loyalty import program_of_store
from loyaldesk.loyalty import queries as loyalty_queries
from loyaldesk.stores import Permission
from loyaldesk.stores.queries import store_by_id
from loyaldesk.web.console.chart_style import console_chart_style
from loyaldesk.web.console.loyalty_forms import (
    MINUS,
    TIMES,
    page_context,
)
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import ConsoleDep
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)

# The chart is an image: its inline styles are allowed, and nothing in it may run or load anything.
CHART_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"
_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL | re.IGNORECASE)


@router.get("/console/{store_slug}/loyalty", response_class=HTMLResponse)
def overview_page(request: Request, console: ConsoleDep, runtime: RuntimeDep) -> Response:
    """The program in numbers, with the liability spelled out and the tier mix as a chart and a table."""
    console.require(Permission.VIEW_CUSTOMERS)
    now = runtime.clock.now()
    with runtime.database.read() as session:
        store = store_by_id(session, console.store.id)
        program = program_of_store(session, console.store.id)
        numbers = loyalty_queries.overview(session, store, program, now)
    return render(
        request,
        "loyalty/overview.html",
        page_context(
            console,
            "overview",
            overview=numbers,
            program=program,
            set_up=not program.runs_with_defaults,
            liability_words=liability_words(numbers, store.locale),
            chart_width=CHART_WIDTH,
            chart_height=chart_height(len(numbers.tier_mix)),
        ),
    )


def _ticks(largest: int) -> list[int]:
    """Whole-number axis ticks from 0 to beyond ``largest`` (room for the value printed at the end of the
    longest bar), about five of them, each step 1, 2 or 5 times a power of 10."""
    step = 1
    while largest / step > 5:
        for factor in (2, 5, 10):
            if largest / (step * factor) <= 5:
                step *= factor
                break
        else:
            step *= 10
    top = (largest // step + 1) * step
    return list(range(0, top + 1, step))


def tier_mix_svg(mix: list[tuple[str, int]]) -> str:
    """The tier mix as a horizontal bar chart (SVG), base tier at the bottom, without the scripts pygal
    adds for tooltips (the chart is shown as an image, where nothing may run)."""
    style = console_chart_style(15)
    chart = pygal.HorizontalBar(
        style=style,
        js=[],
        width=CHART_WIDTH,
        height=chart_height(len(mix)),
        show_legend=False,
        print_values=True,
        print_values_position="top",
        value_formatter=lambda value: f"{int(value or 0):,}",
        margin=12,
        spacing=10,
        truncate_label=-1,
        show_x_guides=False,
        no_data_text="No members yet",
    )
    if mix:  # without data pygal draws its "no data" text (and cannot place axis labels)
        chart.x_labels = [name for name, _count in mix]
        chart.y_labels = _ticks(max(count for _name, count in mix))
        chart.add("Members", [count for _name, count in mix])
    return _SCRIPT.sub("", chart.render(is_unicode=True))


CHART_WIDTH = 560


def chart_height(tiers: int) -> int:
    """The chart's height for this many tiers (the page sizes the image with it before it loads)."""
    return max(160, 48 * tiers + 70)


@router.get("/console/{store_slug}/loyalty/tier-mix.svg")
def tier_mix_chart(console: ConsoleDep, runtime: RuntimeDep) -> Response:
    """How many members each tier holds, as an SVG image (the overview's table has the same numbers)."""
    console.require(Permission.VIEW_CUSTOMERS)
    now = runtime.clock.now()
    with runtime.database.read() as session:
        store = store_by_id(session, console.store.id)
        mix = loyalty_queries.overview(
            session, store, program_of_store(session, console.store.id), now
        ).tier_mix
    return Response(
        tier_mix_svg(mix),
        media_type="image/svg+xml",
        headers={"Content-Security-Policy": CHART_CSP, "Cache-Control": "private, no-cache"},
    )


def liability_words(overview: loyalty_queries.Overview, locale: str) -> str:
    """The liability formula with the store's numbers, in words."""
    value = format_money(overview.point_value_minor, overview.currency, locale.replace("-", "_"))
    return (
        f"{overview.points_outstanding:,} outstanding points {TIMES} {value} per point {TIMES} "
        f"(100% {MINUS} {overview.expected_breakage_percent}% expected never to be redeemed)"
    )
