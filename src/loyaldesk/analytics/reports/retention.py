"""The retention page's figures for one period, for everyone and for loyalty members vs non-members.
Pure: composes ``metrics`` and ``cohorts`` over facts the caller read.

One retention figure: the set form (of the customers who bought in the period of the same length just
before, the share who bought again in this one), bounded by 0 and 1; churn is its complement. The classic
(E - N) / S stays in ``metrics`` but is not shown beside it: two retentions that disagree (the classic one
counts a year of activity and can pass 100%) read as a contradiction.

When every customer is a loyalty member (a program that enrols every buyer) or none is, the members' or
the non-members' figures are the everyone figures and the report says so (``membership``), so that the
page shows one column instead of two that always agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from loyaldesk.analytics import metrics
from loyaldesk.analytics.cohorts import RetentionMatrix, retention_matrix
from loyaldesk.analytics.columns import OrderColumns
from loyaldesk.analytics.metrics import OrderFact, Window
from loyaldesk.analytics.vocab import MemberMix, RetentionGroup
from loyaldesk.kernel.errors import Invalid

GROUPS: tuple[str, ...] = tuple(group.value for group in RetentionGroup)
GROUP_TITLES: dict[str, str] = {group.value: group.label for group in RetentionGroup}
# Whether the customers split into members and non-members, or are all one or the other.
MIXED, ALL_MEMBERS, NO_MEMBERS = (mix.value for mix in MemberMix)


@dataclass(frozen=True)
class GroupFigures:
    """One group's figures for the period ``window`` (and, for retention and churn, the period of the same
    length just before it)."""

    group: str
    customers: int
    orders: int
    revenue_minor: int
    average_order_value: float | None
    purchase_frequency: float | None
    repeat_purchase_rate: float | None
    revenue_per_customer: float | None
    historical_clv: float | None
    retention: float | None  # set form: active in the previous period and in this one / active before
    churn: float | None  # 1 - retention
    csat: metrics.Csat | None

    def as_row(self) -> tuple[object, ...]:
        return (
            self.group,
            self.customers,
            self.orders,
            self.revenue_minor,
            _round(self.average_order_value),
            _round(self.purchase_frequency),
            _round(self.repeat_purchase_rate),
            _round(self.revenue_per_customer),
            _round(self.historical_clv),
            _round(self.retention),
            _round(self.churn),
            _round(self.csat.satisfied_share) if self.csat else None,
        )


CSV_HEADER = (
    "group",
    "customers",
    "orders",
    "net_revenue_minor",
    "average_order_value_minor",
    "purchase_frequency",
    "repeat_purchase_rate",
    "revenue_per_customer_minor",
    "historical_clv_minor",
    "retention_rate",
    "churn_rate",
    "csat_satisfied_share",
)


@dataclass(frozen=True)
class RetentionReport:
    """``groups`` holds everyone, members and non-members; ``membership`` says whether the customers who
    bought up to the period's end are a mix of both (``MIXED``), all members or none."""

    window: Window
    previous: Window
    groups: tuple[GroupFigures, ...]
    cohorts: RetentionMatrix
    membership: str

    @property
    def shown_groups(self) -> tuple[GroupFigures, ...]:
        """The groups worth a column: everyone alone when the split is all on one side."""
        return self.groups if self.membership == MIXED else self.groups[:1]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def group_figures(
    group: str,
    orders: Sequence[OrderFact] | OrderColumns,
    ratings: Iterable[int],
    window: Window,
    previous: Window,
) -> GroupFigures:
    """The figures of one group of customers over ``window``, compared with ``previous`` (which must end by
    the start of ``window``), as ``metrics`` defines them, computed on the orders' columns: the same
    integer counts and sums, and each ratio divided in Python (``None`` on a zero denominator)."""
    if previous.end > window.start:
        raise Invalid.field("second", "must start at or after the end of the first window")
    columns = OrderColumns.of(orders)
    inside = columns.between(window.start, window.end)
    customers, per_customer = np.unique(inside.customer_id, return_counts=True)
    before = np.unique(columns.between(previous.start, previous.end).customer_id)
    active, orders_count = int(customers.size), len(inside)
    revenue = int(inside.net_amount_minor.sum())
    base = int(before.size)
    kept = int(np.isin(before, customers, assume_unique=True).sum())
    return GroupFigures(
        group=group,
        customers=active,
        orders=orders_count,
        revenue_minor=revenue,
        average_order_value=_ratio(revenue, orders_count),
        purchase_frequency=_ratio(orders_count, active),
        repeat_purchase_rate=_ratio(int((per_customer >= 2).sum()), active),
        revenue_per_customer=_ratio(revenue, active),
        historical_clv=columns.historical_clv(window.start, window.end),
        retention=_ratio(kept, base),
        churn=_ratio(base - kept, base),
        csat=metrics.csat(ratings),
    )


def _ratio(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else numerator / denominator


def build(
    orders: Sequence[OrderFact] | OrderColumns,
    member_ids: frozenset[int],
    ratings: Sequence[tuple[int | None, int]],
    window: Window,
    through_month: date,
    time_zone: str,
) -> RetentionReport:
    """Figures for everyone, members and non-members over ``window``, and the monthly cohorts up to
    ``through_month`` (orders before ``window.end``)."""
    previous = Window(window.start - (window.end - window.start), window.start)
    facts = OrderColumns.of(orders)
    members = np.fromiter(member_ids, dtype=np.int64, count=len(member_ids))
    split_members = facts.of_customers(members)
    split_others = facts.of_customers(members, inside=False)
    parts = {"everyone": facts, "members": split_members, "non_members": split_others}
    rated = {
        "everyone": [rating for _, rating in ratings],
        "members": [rating for customer, rating in ratings if customer in member_ids],
        "non_members": [
            rating for customer, rating in ratings if customer is not None and customer not in member_ids
        ],
    }
    figures = tuple(group_figures(name, parts[name], rated[name], window, previous) for name in GROUPS)
    membership = MIXED
    if len(facts) and not len(split_others):
        membership = ALL_MEMBERS
    elif len(facts) and not len(split_members):
        membership = NO_MEMBERS
    return RetentionReport(
        window,
        previous,
        figures,
        retention_matrix(facts.before(window.end), through_month, time_zone),
        membership,
    )
