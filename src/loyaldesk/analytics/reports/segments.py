"""RFM segments of a store as of a date: the inputs per customer from their orders, then scores and
segments (``segments``). Pure.

Window: the ``window_days`` (default 365) before the end of ``as_of``. Customers with at least one order in
the window are segmented: recency = whole days from their last order in the window to the end of the
window, frequency = their distinct orders in it, monetary = their net spend in it (minor units).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from loyaldesk.analytics.columns import MICROSECONDS_PER_DAY, OrderColumns, microseconds
from loyaldesk.analytics.metrics import OrderFact, Window
from loyaldesk.analytics.segments import RfmScores, Segment, SegmentMembers, rfm_scores, segment_members

DEFAULT_WINDOW_DAYS = 365


@dataclass(frozen=True)
class SegmentReport:
    window: Window
    customer_ids: tuple[int, ...]
    recency_days: tuple[int, ...]
    frequency: tuple[int, ...]
    monetary_minor: tuple[int, ...]
    scores: RfmScores | None  # None when nobody bought in the window
    members: tuple[SegmentMembers, ...]
    # The store's loyalty members, to count those in each segment (not stored with the scores).
    loyalty_member_ids: frozenset[int] = frozenset()

    def spend_of(self, customer_ids: Sequence[int]) -> int:
        index = {customer_id: position for position, customer_id in enumerate(self.customer_ids)}
        return sum(self.monetary_minor[index[customer_id]] for customer_id in customer_ids)


def segment_report(
    orders: Sequence[OrderFact] | OrderColumns,
    end: datetime,
    window_days: int = DEFAULT_WINDOW_DAYS,
    loyalty_member_ids: frozenset[int] = frozenset(),
) -> SegmentReport:
    """Segments of the customers who bought in the ``window_days`` before ``end`` (aware);
    ``loyalty_member_ids``: the store's loyalty members, counted per segment by :func:`summarize`.
    Computed on the orders' columns (facts are turned into columns first)."""
    window = Window(end - timedelta(days=window_days), end)
    inside = OrderColumns.of(orders).between(window.start, window.end)
    customers, inverse = np.unique(inside.customer_id, return_inverse=True)
    last = np.full(customers.shape[0], np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(last, inverse, inside.placed_at_us)
    spend = np.zeros(customers.shape[0], dtype=np.int64)
    np.add.at(spend, inverse, inside.net_amount_minor)
    ids = tuple(customers.tolist())
    recency = tuple(((microseconds(window.end) - last) // MICROSECONDS_PER_DAY).tolist())
    frequency = tuple(np.bincount(inverse, minlength=customers.shape[0]).tolist())
    monetary = tuple(spend.tolist())
    if not ids:
        return SegmentReport(window, ids, recency, frequency, monetary, None, (), loyalty_member_ids)
    scores = rfm_scores(recency, frequency, monetary)
    return SegmentReport(
        window, ids, recency, frequency, monetary, scores, segment_members(ids, scores), loyalty_member_ids
    )


@dataclass(frozen=True)
class SegmentFigures:
    segment: Segment
    label: str
    count: int
    spend_minor: int
    members: int  # of ``count``, the loyalty members


@dataclass(frozen=True)
class SegmentSummary:
    """What the segments page shows before a segment is opened: each segment's size and spend."""

    window: Window
    customers: int
    segments: tuple[SegmentFigures, ...]


def summarize(report: SegmentReport) -> SegmentSummary:
    spend = dict(zip(report.customer_ids, report.monetary_minor, strict=True))
    members = report.loyalty_member_ids
    return SegmentSummary(
        report.window,
        len(report.customer_ids),
        tuple(
            SegmentFigures(
                group.segment,
                group.label,
                group.count,
                sum(spend[customer_id] for customer_id in group.customer_ids),
                sum(1 for customer_id in group.customer_ids if customer_id in members),
            )
            for group in report.members
        ),
    )


def encode_segment_report(report: SegmentReport) -> dict[str, Any]:
    """The report as JSON-able columns (see :func:`decode_segment_report`)."""
    scores = report.scores
    return {
        "window": [report.window.start.isoformat(), report.window.end.isoformat()],
        "customer_ids": list(report.customer_ids),
        "recency_days": list(report.recency_days),
        "frequency": list(report.frequency),
        "monetary_minor": list(report.monetary_minor),
        "scores": None
        if scores is None
        else {
            "recency": scores.recency.tolist(),
            "frequency": scores.frequency.tolist(),
            "monetary": scores.monetary.tolist(),
            "bins": scores.bins,
        },
    }


def decode_segment_report(payload: dict[str, Any]) -> SegmentReport:
    window = Window(*(datetime.fromisoformat(value) for value in payload["window"]))
    ids = tuple(int(value) for value in payload["customer_ids"])
    stored = payload["scores"]
    scores = (
        None
        if stored is None
        else RfmScores(
            np.asarray(stored["recency"], dtype=np.int64),
            np.asarray(stored["frequency"], dtype=np.int64),
            np.asarray(stored["monetary"], dtype=np.int64),
            int(stored["bins"]),
        )
    )
    return SegmentReport(
        window,
        ids,
        tuple(payload["recency_days"]),
        tuple(payload["frequency"]),
        tuple(payload["monetary_minor"]),
        scores,
        segment_members(ids, scores) if scores is not None else (),
    )
