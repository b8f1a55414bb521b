"""The analytics dashboards' figures, computed from the store's data and cached as snapshots.

Each dashboard has filters (a period, or an "as of" date), a way to compute its report in a read session,
and a codec that turns the report into JSON and back. ``open_dashboard`` serves the cached figures for a
choice of filters, computing and storing them on first use (or when asked to refresh); the
``analytics.refresh_dashboards`` job recomputes each store's default views ahead of time so that the pages
a manager opens first are always cached. Every figure carries the time it was computed, which the pages
show.

A dashboard may store several parts from one computation (the segments page keeps its small summary apart
from the per-customer scores, which only opening a segment or exporting needs).
"""

from __future__ import annotations

import time as timer
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from loyaldesk.analytics import queries, scores, snapshots
from loyaldesk.analytics.metrics import Window
from loyaldesk.analytics.reports import impact as impact_report
from loyaldesk.analytics.reports import retention as retention_report
from loyaldesk.analytics.reports.segments import (
    SegmentSummary,
    decode_segment_report,
    encode_segment_report,
    segment_report,
    summarize,
)
from loyaldesk.analytics.reports.value import ValueReport, value_report
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.periods import choose_period, day_bounds, within_reach
from loyaldesk.stores import Store, store_by_id

R = TypeVar("R")

DEFAULT_PERIOD_DAYS = 90
MAX_PERIOD_DAYS = 366
STALE_AFTER = timedelta(hours=6)  # the job recomputes default views older than this
# A store without a single order for longer than this has data that ended (an import of past years, a
# shop that closed), not a quiet week: its pages open on the days that have data.
DATA_ENDED_AFTER_DAYS = 7
# The dashboards whose default views (the same "as of" date) the per-customer scores are made from.
SCORED_FROM = ("segments", "value")


@dataclass(frozen=True)
class Filters:
    """A dashboard's filters in store dates: a period ``start``..``end`` (inclusive), or only ``end`` (an
    "as of" date) when ``start`` is ``None``."""

    end: date
    start: date | None = None

    def key(self) -> str:
        if self.start is None:
            return f"as_of={self.end.isoformat()}"
        return f"from={self.start.isoformat()}&to={self.end.isoformat()}"

    def window(self, time_zone: str) -> Window:
        """The half-open instants from the start of ``start`` (or of time) to the end of ``end``."""
        return Window(*day_bounds(self.start, self.end, time_zone))


@dataclass(frozen=True)
class DataEnd:
    """Where the store's orders end, seen on ``today`` (store dates): ``last_order_day`` is None without
    orders. The data has *ended* when no order came for more than :data:`DATA_ENDED_AFTER_DAYS` days;
    the default views then end on the last day with an order (``anchor``) instead of today."""

    today: date
    last_order_day: date | None

    @property
    def ended(self) -> bool:
        last = self.last_order_day
        return last is not None and (self.today - last).days > DATA_ENDED_AFTER_DAYS

    @property
    def anchor(self) -> date:
        """The day the default views end on: today, or the last day with an order when the data ended."""
        return self.last_order_day if self.ended and self.last_order_day is not None else self.today


def data_end(session: Session, store: Store, today: date) -> DataEnd:
    """Where ``store``'s orders end, seen on ``today`` (a store date)."""
    last = queries.last_order_at(session, store)
    return DataEnd(today, None if last is None else last.astimezone(ZoneInfo(store.timezone)).date())


def period(
    start: date | None, end: date | None, today: date, default_days: int = DEFAULT_PERIOD_DAYS
) -> Filters:
    """Filters for a period chosen on a page (defaults: the ``default_days`` up to ``today``)."""
    chosen_start, chosen_end = choose_period(
        start, end, today, default_days=default_days, max_days=MAX_PERIOD_DAYS
    )
    return Filters(chosen_end, chosen_start)


def as_of(day: date | None, today: date) -> Filters:
    """Filters for an "as of" date chosen on a page (default ``today``)."""
    return Filters(within_reach(day or today, today, "as_of"))


@dataclass(frozen=True)
class Part(Generic[R]):
    """One stored part of a dashboard: its name, what to keep of the report, and how to read it back."""

    name: str
    encode: Callable[[Any], Any]
    decode: Callable[[Any], R]


def _adapter_part(name: str, kind: type[R], keep: Callable[[Any], R] = lambda report: report) -> Part[R]:
    adapter: TypeAdapter[R] = TypeAdapter(kind)
    return Part(name, lambda report: adapter.dump_python(keep(report), mode="json"), adapter.validate_python)


@dataclass(frozen=True)
class Dashboard:
    name: str
    default_filters: Callable[[date], Filters]
    compute: Callable[[Session, Store, Filters, datetime, queries.OrderHistory], Any]
    parts: tuple[Part[Any], ...]


@dataclass(frozen=True)
class Cached(Generic[R]):
    report: R
    computed_at: datetime
    compute_seconds: float
    filters: Filters


def _retention(
    session: Session, store: Store, filters: Filters, now: datetime, history: queries.OrderHistory
) -> Any:
    window = filters.window(store.timezone)
    orders = history.columns(session, store).before(window.end)
    members = queries.member_customer_ids(session, store.id)
    ratings = queries.csat_ratings(session, store.id, window.start, window.end)
    return retention_report.build(orders, members, ratings, window, filters.end, store.timezone)


def _segments(
    session: Session, store: Store, filters: Filters, now: datetime, history: queries.OrderHistory
) -> Any:
    end = filters.window(store.timezone).end
    members = queries.member_customer_ids(session, store.id)
    return segment_report(history.columns(session, store).before(end), end, loyalty_member_ids=members)


def _value(
    session: Session, store: Store, filters: Filters, now: datetime, history: queries.OrderHistory
) -> Any:
    end = filters.window(store.timezone).end
    orders = history.columns(session, store).before(end)
    return value_report(orders, end, queries.churn_signals(session, store.id, orders, end))


def _impact(
    session: Session, store: Store, filters: Filters, now: datetime, history: queries.OrderHistory
) -> Any:
    exposure = filters.window(store.timezone)
    orders = history.columns(session, store).before(exposure.end + (exposure.end - exposure.start))
    contacted, experiences = queries.support_experiences(session, store.id, exposure.start, exposure.end)
    return impact_report.build(
        orders,
        exposure,
        now,
        contacted,
        experiences,
        queries.members_enrolled_before(session, store.id, exposure.end),
        queries.redeemers(session, store.id, exposure.start, exposure.end),
    )


def _impact_default(today: date) -> Filters:
    """The 90 days that ended 90 days before today, so that their follow-up (up to yesterday) is complete."""
    end = today - timedelta(days=DEFAULT_PERIOD_DAYS + 1)
    return Filters(end, end - timedelta(days=DEFAULT_PERIOD_DAYS - 1))


DASHBOARDS: dict[str, Dashboard] = {
    dashboard.name: dashboard
    for dashboard in (
        Dashboard(
            "retention",
            lambda today: period(None, None, today),
            _retention,
            (_adapter_part("retention", retention_report.RetentionReport),),
        ),
        Dashboard(
            "segments",
            lambda today: Filters(today),
            _segments,
            (
                _adapter_part("segments", SegmentSummary, summarize),
                Part("segments_customers", encode_segment_report, decode_segment_report),
            ),
        ),
        Dashboard(
            "value",
            lambda today: Filters(today),
            _value,
            # Per-customer values stay out: the page shows totals and the at-risk list.
            (_adapter_part("value", ValueReport, lambda report: replace(report, values=())),),
        ),
        Dashboard("impact", _impact_default, _impact, (_adapter_part("impact", impact_report.ImpactReport),)),
    )
}


def open_dashboard(
    database: Database,
    store_id: int,
    name: str,
    filters: Filters,
    now: datetime,
    *,
    part: str | None = None,
    refresh: bool = False,
) -> Cached[Any]:
    """The figures of dashboard ``name`` (its first part unless ``part`` names another) for ``filters``:
    from the cache, or computed now and stored when missing or ``refresh`` is asked."""
    dashboard = DASHBOARDS[name]
    chosen = next(p for p in dashboard.parts if p.name == (part or dashboard.parts[0].name))
    if not refresh:
        with database.read() as session:
            stored = snapshots.load(session, store_id, chosen.name, filters.key())
        if stored is not None:
            try:
                decoded = chosen.decode(stored.payload)
            except (ValidationError, KeyError, TypeError, ValueError):
                decoded = None  # figures stored by an older version, in another shape: compute them again
            if decoded is not None:
                return Cached(decoded, stored.computed_at, stored.compute_seconds, filters)
    report, seconds = compute_and_store(database, store_id, dashboard, filters, now)
    return Cached(chosen.decode(chosen.encode(report)), now, seconds, filters)


def compute_and_store(
    database: Database,
    store_id: int,
    dashboard: Dashboard,
    filters: Filters,
    now: datetime,
    history: queries.OrderHistory | None = None,
) -> tuple[Any, float]:
    """Compute ``dashboard`` for ``filters`` in a read session and store every part. Returns the report
    and the seconds it took. ``history``: orders already read for other dashboards of the same store."""
    started = timer.perf_counter()
    with database.read() as session:
        store = store_by_id(session, store_id)
        report = dashboard.compute(session, store, filters, now, history or queries.OrderHistory())
    parts = {part.name: part.encode(report) for part in dashboard.parts}
    seconds = timer.perf_counter() - started
    snapshots.save(database, store_id, parts, filters.key(), now, seconds)
    return report, seconds


def _compute_due(
    database: Database, store_id: int, due: set[str], filters: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """Compute and store the ``due`` dashboards over one reading of the orders; return the reports the
    scores are made from. Its own function so that the orders' arrays and the other reports are freed
    on return, before the scores' rows are built (the refresh's peak memory at a million customers)."""
    history = queries.OrderHistory()  # read the orders once for all of them
    scored_from: dict[str, Any] = {}
    for name in (name for name in DASHBOARDS if name in due):
        report, _ = compute_and_store(database, store_id, DASHBOARDS[name], filters[name], now, history)
        if name in SCORED_FROM:
            scored_from[name] = report
    return scored_from


def refresh_store(database: Database, store_id: int, now: datetime, *, only_stale: bool = False) -> list[str]:
    """Recompute every dashboard's default view of the store, the one its page opens on (ending on the
    last day with an order when the store's data has ended, see :class:`DataEnd`); ``only_stale``: those
    computed more than :data:`STALE_AFTER` ago or never. Returns the names of the dashboards refreshed.

    The per-customer scores (``scores``) come from the default views of the segments and value
    dashboards: when either is due, or the scores are stale, both are computed and the scores written."""
    with database.read() as session:
        store = store_by_id(session, store_id)
        currency = store.currency
        today = now.astimezone(ZoneInfo(store.timezone)).date()
        end = data_end(session, store, today)
        anchor = end.anchor  # the views the pages open on
        filters = {name: dashboard.default_filters(anchor) for name, dashboard in DASHBOARDS.items()}
        due: set[str] = set()
        for name, dashboard in DASHBOARDS.items():
            computed = snapshots.computed_at(session, store_id, dashboard.parts[0].name, filters[name].key())
            if not only_stale or computed is None or now - computed >= STALE_AFTER:
                due.add(name)
        scored_at = scores.computed_at(session, store_id)
    if due & set(SCORED_FROM) or (
        end.last_order_day is not None and (scored_at is None or now - scored_at >= STALE_AFTER)
    ):
        due |= set(SCORED_FROM)  # the scores need both, computed together
    scored_from = _compute_due(database, store_id, due, filters, now)
    if scored_from:
        rows = scores.score_rows(scored_from["segments"], scored_from["value"], currency)
        scores.save(database, store_id, rows, now, filters["segments"].end)
    return [name for name in DASHBOARDS if name in due]
