"""The support report page (``/console/{store}/inbox-reports``) and its CSV exports."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from loyaldesk.assistant.dialog.report import assistant_report
from loyaldesk.calls import CallsSummary, calls_summary
from loyaldesk.kernel.errors import FieldProblem, Invalid
from loyaldesk.kernel.periods import choose_period, day_bounds
from loyaldesk.stores import Permission
from loyaldesk.support import WEEKDAYS, SupportReport, support_report
from loyaldesk.web.console.csv_download import csv_download
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import ConsoleDep
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)
EXPORTS = ("channels", "agents", "hours", "calls")


def duration(value: timedelta | None) -> str:
    """``1 h 05 min``, ``12 min``, ``40 s``; "—" for none."""
    if value is None:
        return "—"
    seconds = int(value.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    return f"{hours // 24} d {hours % 24} h"


def seconds(value: float | None) -> str:
    """A median in seconds as ``duration`` writes it ("—" for none)."""
    return duration(None if value is None else timedelta(seconds=value))


def _call_rows(calls: CallsSummary) -> list[list[object]]:
    """The calls table: per kind, requested, answered, total and median seconds, header first."""
    rows: list[list[object]] = [["kind", "requested", "answered", "total_seconds", "median_seconds"]]
    for kind in calls.kinds:
        median = "" if kind.median_seconds is None else round(kind.median_seconds)
        rows.append([kind.kind.value, kind.requested, kind.answered, kind.total_seconds, median])
    return rows


def _rows(report: SupportReport, which: str) -> list[list[object]]:
    """The table ``which`` (channels, agents or hours) of the report, header first."""
    if which == "channels":
        return [
            ["channel", "conversations"],
            *([channel, count] for channel, count in report.by_channel.items()),
        ]
    if which == "agents":
        header: list[object] = [
            "agent",
            "handled",
            "resolved",
            "median_first_response_seconds",
            "csat_average",
            "ratings",
            "kudos",
        ]
        rows = [header]
        for agent in report.agents:
            median = agent.median_first_response
            rows.append(
                [
                    agent.name,
                    agent.handled,
                    agent.resolved,
                    int(median.total_seconds()) if median else "",
                    f"{agent.csat_average:.2f}" if agent.csat_average is not None else "",
                    agent.ratings,
                    agent.kudos,
                ]
            )
        return rows
    return [
        ["weekday", *[f"{hour:02d}:00" for hour in range(24)]],
        *([name, *row] for name, row in zip(WEEKDAYS, report.heatmap, strict=True)),
    ]


@router.get("/console/{store_slug}/inbox-reports", response_class=HTMLResponse)
def reports_page(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
    export: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """Conversations opened from ``from`` to ``to`` (inclusive, store dates; default: the last 30 days)."""
    console.require(Permission.VIEW_CONVERSATIONS)
    today = runtime.clock.now().astimezone(ZoneInfo(console.store.timezone)).date()
    start, end = choose_period(start, end, today, default_days=30, max_days=732)
    begin, finish = day_bounds(start, end, console.store.timezone)
    with runtime.database.read() as session:
        report = support_report(session, console.store.id, begin, finish, console.store.timezone)
        assistant = assistant_report(session, console.store.id, begin, finish, runtime.clock.now())
        calls = calls_summary(session, console.store.id, begin, finish)
    if export is not None:
        if export not in EXPORTS:
            raise Invalid("unknown export", [FieldProblem("export", f"one of {', '.join(EXPORTS)}")])
        rows = _call_rows(calls) if export == "calls" else _rows(report, export)
        return csv_download(rows, f"support-{export}-{start.isoformat()}-{end.isoformat()}.csv")
    return render(
        request,
        "inbox/reports.html",
        {
            "console": console,
            "section": "inbox",
            "report": report,
            "assistant": assistant,
            "calls": calls,
            "seconds": seconds,
            "start": start,
            "end": end,
            "weekdays": WEEKDAYS,
            "duration": duration,
            "channel_max": max(report.by_channel.values(), default=0),
        },
    )
