"""Monthly acquisition cohorts: the retention matrix (share of each cohort active in each later month) and
the revenue of each cohort in each month, ready for a heatmap or a CSV export. Pure; no I/O.

Conventions:
- Orders are :class:`~loyaldesk.analytics.metrics.OrderFact` values, counted once per ``order_id`` as in
  :func:`~loyaldesk.analytics.metrics.distinct_orders`; amounts are net of refunds, in minor units.
- Months are calendar months in one IANA time zone (UTC by default): an order belongs to the month of its
  local time there. 23:30 UTC on 31 January is 00:30 on 1 February in Europe/Berlin, so February there.
- A customer's cohort is the month of their first order in the input: pass whole order histories.
- Offset k of a cohort is the k-th calendar month after the cohort month (offset 0 is the cohort month).
  A customer is active at offset k when they placed at least one order in that month. The retention
  share is active customers / cohort size, so offset 0 is 1.0 by construction.
- Revenue at offset k is the net revenue of the cohort's orders placed in that month (0 when none).
- ``through_month`` is the last month observed. Orders after it are ignored, for acquisition too:
  customers whose first order comes later belong to no cohort. Cells of months after ``through_month``
  are ``None`` (not observed yet), never 0 (observed, nobody active).
- Every row has offsets 0 .. K, K being the number of months from the earliest cohort to
  ``through_month``. Only months in which at least one customer was acquired have a row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
from numpy.typing import NDArray

from loyaldesk.analytics.columns import EPOCH, OrderColumns, microseconds
from loyaldesk.analytics.metrics import OrderFact
from loyaldesk.analytics.vocab import CohortMeasure
from loyaldesk.kernel.errors import Invalid

Cell = str | int | float | None


@dataclass(frozen=True)
class CohortRow:
    """One acquisition cohort. ``cohort`` is the first day of its month; ``size`` its customer count.
    ``active``, ``retention`` and ``revenue_minor`` hold one cell per month offset 0 .. K: customers with
    an order that month, their share of ``size``, and the net revenue of the cohort's orders that month
    (minor units); ``None`` for months after the matrix's ``through_month``."""

    cohort: date
    size: int
    active: tuple[int | None, ...]
    retention: tuple[float | None, ...]
    revenue_minor: tuple[int | None, ...]

    @property
    def label(self) -> str:
        """The cohort month as ``YYYY-MM``."""
        return f"{self.cohort.year:04d}-{self.cohort.month:02d}"

    @property
    def revenue_total_minor(self) -> int:
        """Net revenue of the cohort over every observed month."""
        return sum(cell for cell in self.revenue_minor if cell is not None)


@dataclass(frozen=True)
class RetentionMatrix:
    """Cohort rows sorted by month, each with ``offsets`` cells (0 when there is no cohort), months being
    those of ``time_zone``; ``through_month`` is the first day of the last month observed."""

    time_zone: str
    through_month: date
    offsets: int
    rows: tuple[CohortRow, ...]

    def as_rows(self, values: CohortMeasure | str = CohortMeasure.RETENTION) -> tuple[tuple[Cell, ...], ...]:
        """Table for CSV export: the header (``cohort``, ``size``, ``month_0`` .. ``month_K``), then one row
        per cohort (``YYYY-MM``, size, cells). ``values`` picks the cells: retention shares (floats),
        active customer counts or net revenue in minor units. Unobserved cells stay ``None``, which
        ``csv.writer`` writes as an empty field."""
        if values not in tuple(CohortMeasure):
            names = [repr(measure.value) for measure in CohortMeasure]
            raise Invalid.field("values", f"must be {', '.join(names[:-1])} or {names[-1]}")
        header: tuple[Cell, ...] = ("cohort", "size", *(f"month_{offset}" for offset in range(self.offsets)))
        body: list[tuple[Cell, ...]] = []
        for row in self.rows:
            cells: tuple[Cell, ...] = (
                row.retention
                if values == CohortMeasure.RETENTION
                else row.active
                if values == CohortMeasure.ACTIVE
                else row.revenue_minor
            )
            body.append((row.label, row.size, *cells))
        return (header, *body)


def retention_matrix(
    orders: Iterable[OrderFact] | OrderColumns, through_month: date, time_zone: str = "UTC"
) -> RetentionMatrix:
    """Monthly acquisition cohorts of ``orders`` and their retention and revenue by month offset.

    ``through_month`` names the last month observed (any day of it; a ``date``, not a ``datetime``), in
    ``time_zone`` (an IANA name such as ``"Europe/Berlin"``). See the module docstring for the definitions.
    Raises ``Invalid`` naming ``through_month`` or ``time_zone`` when they are not a date or a known zone,
    and ``orders`` as :func:`~loyaldesk.analytics.metrics.distinct_orders` does.
    """
    zone = _zone(time_zone)
    if isinstance(through_month, datetime) or not isinstance(through_month, date):
        raise Invalid.field("through_month", "must be a date naming a month, not a datetime")
    last = _month_number(through_month)
    facts = OrderColumns.of(orders)
    if not len(facts) or _month_number(_instant(int(facts.placed_at_us[0])).astimezone(zone)) > last:
        return RetentionMatrix(time_zone, _month_start(last), 0, ())
    customers, months, amounts = _order_months(facts, zone, last)
    base = int(months.min())
    span = last - base + 1  # months from the earliest cohort through ``through_month``
    ids, customer_index = np.unique(customers, return_inverse=True)
    cohort_of = np.full(ids.size, last, dtype=np.int64)
    np.minimum.at(cohort_of, customer_index, months)
    # Cells are numbered (cohort - base) * span + offset.
    order_cell = (cohort_of[customer_index] - base) * span + (months - cohort_of[customer_index])
    revenue = np.zeros(span * span, dtype=np.int64)
    np.add.at(revenue, order_cell, amounts)
    active_cell = np.unique(customer_index * span + (months - base))  # one per customer and month
    active_customer, active_month = active_cell // span, active_cell % span + base
    active = np.bincount(
        (cohort_of[active_customer] - base) * span + (active_month - cohort_of[active_customer]),
        minlength=span * span,
    )
    sizes = np.bincount(cohort_of - base, minlength=span)
    first_cohort = base + int(np.flatnonzero(sizes)[0])
    offsets = last - first_cohort + 1
    rows = []
    for cohort in range(first_cohort, last + 1):
        size = int(sizes[cohort - base])
        if size == 0:
            continue
        observed_offsets = last - cohort + 1
        cells = range((cohort - base) * span, (cohort - base) * span + offsets)
        counts = tuple(
            int(active[cell]) if offset < observed_offsets else None for offset, cell in enumerate(cells)
        )
        rows.append(
            CohortRow(
                cohort=_month_start(cohort),
                size=size,
                active=counts,
                retention=tuple(None if count is None else count / size for count in counts),
                revenue_minor=tuple(
                    int(revenue[cell]) if offset < observed_offsets else None
                    for offset, cell in enumerate(cells)
                ),
            )
        )
    return RetentionMatrix(time_zone, _month_start(last), offsets, tuple(rows))


def _order_months(
    facts: OrderColumns, zone: ZoneInfo, last: int
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """(customer, local month number, net amount) of the orders up to month ``last``. The orders are sorted
    by time, so each order's month is found by bisection among the instants the local months begin."""
    first = _month_number(_instant(int(facts.placed_at_us[0])).astimezone(zone))
    final = _month_number(_instant(int(facts.placed_at_us[-1])).astimezone(zone))
    starts = np.array(
        [
            microseconds(datetime.combine(_month_start(month), time(), zone))
            for month in range(first + 1, final + 1)
        ],
        dtype=np.int64,
    )
    months = first + np.searchsorted(starts, facts.placed_at_us, side="right").astype(np.int64)
    keep = months <= last
    return facts.customer_id[keep], months[keep], facts.net_amount_minor[keep]


def _instant(placed_at_us: int) -> datetime:
    return EPOCH + timedelta(microseconds=placed_at_us)


def _zone(name: str) -> ZoneInfo:
    if not isinstance(name, str) or not name:
        raise Invalid.field("time_zone", "must be an IANA time zone name such as 'Europe/Berlin'")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as error:
        raise Invalid.field("time_zone", f"unknown IANA time zone {name!r}") from error


def _month_number(day: date) -> int:
    """Months since year 0: consecutive months differ by 1."""
    return day.year * 12 + day.month - 1


def _month_start(number: int) -> date:
    return date(number // 12, number % 12 + 1, 1)
