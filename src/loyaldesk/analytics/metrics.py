"""Store retention and value metrics over time windows: customer retention (the classic (E - N) / S form and
the set form), churn, repeat purchase rate, purchase frequency, average order value, revenue per customer,
historical CLV, NPS and CSAT. Pure functions over plain facts; no I/O. Definitions for store owners are in
``docs/analytics-metrics.md``.

Conventions:
- An order is an :class:`OrderFact`: its distinct ``order_id``, its customer, the aware instant it was
  placed and its amount net of refunds in integer minor units (cents), computed by the caller. Facts that
  repeat an ``order_id`` are the same order delivered twice and count once; facts sharing an ``order_id``
  but disagreeing on customer, instant or amount raise ``Invalid``. A fully refunded order (net 0) is still
  an order and makes its customer active; leave cancelled orders out before calling if they should not.
- A :class:`Window` is half-open, [start, end): an order placed exactly at ``end`` belongs to the next
  window. Instants compare as absolute times (UTC), whatever time zones the inputs carry.
- A customer is *active* in a window when they placed at least one order in it.
- Money totals are exact integers in minor units; averages and rates are floats. Every ratio is ``None``
  when its denominator is zero (no customers, no orders, no answers), never 0 or NaN.
- Pass each customer's whole order history up to the end of the latest window: acquisition (a customer's
  first order in the input) and historical CLV look back before the window.
- Members vs non-members: :func:`split_by_membership` splits orders or survey answers by customer, and
  every metric applies to each part unchanged.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Generic, Protocol, TypeVar

from loyaldesk.kernel.errors import Invalid

NPS_SCALE = range(0, 11)  # 0..10
CSAT_SCALE = range(1, 6)  # 1..5
PROMOTER_MIN, DETRACTOR_MAX = 9, 6  # promoters answer 9-10, detractors 0-6, passives 7-8
SATISFIED_MIN = 4  # CSAT counts answers of 4 and 5 as satisfied
DEFAULT_ACTIVITY_DAYS = 365


@dataclass(frozen=True, slots=True)  # slots: a store's millions of orders in a third of the memory
class OrderFact:
    """One order: ``customer_id`` and ``order_id`` (ints), ``placed_at`` (an aware datetime) and
    ``net_amount_minor``, the amount paid minus everything refunded, in integer minor units (0 when fully
    refunded; negative only if more was refunded than paid). Raises ``Invalid`` naming the field when an id
    or the amount is not an int or ``placed_at`` is naive."""

    customer_id: int
    order_id: int
    placed_at: datetime
    net_amount_minor: int

    def __post_init__(self) -> None:
        for name in ("customer_id", "order_id", "net_amount_minor"):
            _require_int(getattr(self, name), name)
        _require_aware(self.placed_at, "placed_at")


@dataclass(frozen=True)
class Window:
    """The half-open interval [``start``, ``end``) of aware datetimes, ``start`` before ``end``. Raises
    ``Invalid`` naming the field otherwise."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        _require_aware(self.start, "start")
        _require_aware(self.end, "end")
        if self.end <= self.start:
            raise Invalid.field("end", "must be after start")

    def contains(self, moment: datetime) -> bool:
        """Whether the aware instant ``moment`` is at or after ``start`` and before ``end``."""
        _require_aware(moment, "moment")
        return _utc(self.start) <= _utc(moment) < _utc(self.end)


@dataclass(frozen=True)
class SurveyAnswer:
    """One survey answer: ``customer_id``, ``answered_at`` (aware) and the integer ``score`` (0-10 for NPS,
    1-5 for CSAT; :func:`nps` and :func:`csat` check the range)."""

    customer_id: int
    answered_at: datetime
    score: int

    def __post_init__(self) -> None:
        _require_int(self.customer_id, "customer_id")
        _require_int(self.score, "score")
        _require_aware(self.answered_at, "answered_at")


class HasCustomer(Protocol):
    """Anything that belongs to one customer: :class:`OrderFact`, :class:`SurveyAnswer`."""

    @property
    def customer_id(self) -> int: ...


CustomerFact = TypeVar("CustomerFact", bound=HasCustomer)


@dataclass(frozen=True)
class MembershipSplit(Generic[CustomerFact]):
    """Facts of loyalty members and of everyone else, each in input order."""

    members: tuple[CustomerFact, ...]
    non_members: tuple[CustomerFact, ...]


def split_by_membership(
    facts: Iterable[CustomerFact], member_ids: Iterable[int]
) -> MembershipSplit[CustomerFact]:
    """Split orders or survey answers by whether their customer is in ``member_ids``.

    Membership is a property of the customer, not of each order: a customer in ``member_ids`` has all of
    their facts, before and after joining, on the member side. Pass the members as of the date the report
    is about. Every metric of this module then applies to each side.
    """
    members = frozenset(member_ids)
    member_facts: list[CustomerFact] = []
    other_facts: list[CustomerFact] = []
    for fact in facts:
        (member_facts if fact.customer_id in members else other_facts).append(fact)
    if isinstance(facts, DistinctOrders):  # both sides stay distinct and sorted
        return MembershipSplit(DistinctOrders(member_facts), DistinctOrders(other_facts))  # type: ignore[arg-type]
    return MembershipSplit(tuple(member_facts), tuple(other_facts))


class DistinctOrders(tuple[OrderFact, ...]):
    """Orders as :func:`distinct_orders` returns them (one per ``order_id``, UTC, sorted by time and id).
    Passing one to any function of this module skips the work of making them distinct again; any
    subsequence of one (such as the orders of a window or of some customers) keeps those properties."""


def distinct_orders(orders: Iterable[OrderFact]) -> DistinctOrders:
    """The distinct orders, one per ``order_id``, with ``placed_at`` converted to UTC, sorted by
    (``placed_at``, ``order_id``). Repeated identical facts count once; facts sharing an ``order_id`` that
    name another customer, instant or amount raise ``Invalid`` on ``orders``. Returns a
    :class:`DistinctOrders` given one, unchanged."""
    if isinstance(orders, DistinctOrders):
        return orders
    by_id: dict[int, OrderFact] = {}
    for order in orders:
        if not isinstance(order, OrderFact):
            raise Invalid.field("orders", f"expected OrderFact items, got {type(order).__name__}")
        fact = (
            order
            if order.placed_at.tzinfo is UTC
            else OrderFact(order.customer_id, order.order_id, _utc(order.placed_at), order.net_amount_minor)
        )
        known = by_id.setdefault(fact.order_id, fact)
        if known is not fact and known != fact:
            raise Invalid.field(
                "orders",
                f"order {fact.order_id} appears twice with a different customer, time or amount; "
                "pass one fact per order, net of its refunds",
            )
    return DistinctOrders(sorted(by_id.values(), key=_time_and_id))


def _time_and_id(fact: OrderFact) -> tuple[datetime, int]:
    return fact.placed_at, fact.order_id


def orders_in(orders: Iterable[OrderFact], window: Window) -> DistinctOrders:
    """The distinct orders (see :func:`distinct_orders`) placed in ``window``."""
    return _in_window(distinct_orders(orders), window)


def active_customers(orders: Iterable[OrderFact], window: Window) -> frozenset[int]:
    """Ids of the customers with at least one order in ``window``."""
    return frozenset(order.customer_id for order in orders_in(orders, window))


def net_revenue(orders: Iterable[OrderFact], window: Window) -> int:
    """Sum of ``net_amount_minor`` over the distinct orders placed in ``window`` (0 when there are none)."""
    return sum(order.net_amount_minor for order in orders_in(orders, window))


def retention_rate_sets(orders: Iterable[OrderFact], first: Window, second: Window) -> float | None:
    """Customers active in both windows / customers active in ``first``; ``None`` if nobody was active in
    ``first``. ``second`` must not start before ``first`` ends (``Invalid`` otherwise). In [0, 1]."""
    kept, base = _kept_and_base(orders, first, second)
    return _ratio(kept, base)


def churn_rate(orders: Iterable[OrderFact], first: Window, second: Window) -> float | None:
    """Customers active in ``first`` but not in ``second`` / customers active in ``first``, i.e. 1 minus
    :func:`retention_rate_sets` over the same windows; ``None`` if nobody was active in ``first``."""
    kept, base = _kept_and_base(orders, first, second)
    return _ratio(base - kept, base)


@dataclass(frozen=True)
class EsnCounts:
    """The three counts of the classic retention formula for one period (see :func:`esn_counts`)."""

    customers_at_start: int  # S
    customers_at_end: int  # E
    new_customers: int  # N

    @property
    def retention_rate(self) -> float | None:
        """(E - N) / S; ``None`` when S is 0."""
        return _ratio(self.customers_at_end - self.new_customers, self.customers_at_start)


def esn_counts(
    orders: Iterable[OrderFact], period: Window, *, activity_days: int = DEFAULT_ACTIVITY_DAYS
) -> EsnCounts:
    """S, E and N of the classic customer retention rate (E - N) / S over ``period`` = [start, end).

    A customer is *counted at* instant t when they placed an order in [t - ``activity_days`` x 24 h, t):
    - S: customers counted at ``period.start``;
    - E: customers counted at ``period.end``;
    - N: customers whose first order in the input is in ``period`` (acquired during it).
    The period may not be longer than the activity window (``Invalid`` on ``activity_days`` otherwise), so
    every new customer is counted at the end. A lapsed customer (acquired before the period, not counted at
    its start) who buys again during it is in E but neither in S nor in N, so the rate can exceed 1.
    """
    if isinstance(activity_days, bool) or not isinstance(activity_days, int) or activity_days <= 0:
        raise Invalid.field("activity_days", "must be a positive whole number of days")
    lookback = timedelta(days=activity_days)
    start, end = _utc(period.start), _utc(period.end)
    if end - start > lookback:
        raise Invalid.field(
            "activity_days",
            f"the period lasts {end - start}, longer than the {activity_days}-day activity window: new "
            "customers could drop out of E before the period ends",
        )
    facts = distinct_orders(orders)
    at_start = _customers_between(facts, start - lookback, start)
    at_end = _customers_between(facts, end - lookback, end)
    first_order: dict[int, datetime] = {}
    for fact in facts:  # sorted by time: the first fact seen of a customer is their first order
        first_order.setdefault(fact.customer_id, fact.placed_at)
    new = sum(1 for placed_at in first_order.values() if start <= placed_at < end)
    return EsnCounts(len(at_start), len(at_end), new)


def retention_rate_esn(
    orders: Iterable[OrderFact], period: Window, *, activity_days: int = DEFAULT_ACTIVITY_DAYS
) -> float | None:
    """Classic customer retention rate (E - N) / S over ``period``, with S, E and N as defined by
    :func:`esn_counts`; ``None`` when S is 0. Not bounded by 1: returning lapsed customers raise it."""
    return esn_counts(orders, period, activity_days=activity_days).retention_rate


def repeat_purchase_rate(orders: Iterable[OrderFact], window: Window) -> float | None:
    """Customers with at least two distinct orders in ``window`` / customers with at least one; ``None``
    when nobody ordered in the window."""
    per_customer = Counter(order.customer_id for order in orders_in(orders, window))
    repeaters = sum(1 for count in per_customer.values() if count >= 2)
    return _ratio(repeaters, len(per_customer))


def purchase_frequency(orders: Iterable[OrderFact], window: Window) -> float | None:
    """Distinct orders in ``window`` / distinct customers who placed them; ``None`` when there are none."""
    facts = orders_in(orders, window)
    return _ratio(len(facts), len({order.customer_id for order in facts}))


def average_order_value(orders: Iterable[OrderFact], window: Window) -> float | None:
    """Net revenue of ``window`` (minor units) / distinct orders in it; ``None`` when there are none."""
    facts = orders_in(orders, window)
    return _ratio(sum(order.net_amount_minor for order in facts), len(facts))


def revenue_per_customer(orders: Iterable[OrderFact], window: Window) -> float | None:
    """Net revenue of ``window`` (minor units) / distinct customers active in it; ``None`` when there are
    none. Equals :func:`average_order_value` times :func:`purchase_frequency`."""
    facts = orders_in(orders, window)
    return _ratio(sum(order.net_amount_minor for order in facts), len({order.customer_id for order in facts}))


def historical_clv(orders: Iterable[OrderFact], window: Window) -> float | None:
    """Average historical customer lifetime value of the customers active in ``window``, in minor units.

    Each customer active in ``window`` is worth the net revenue of all their orders placed before
    ``window.end``, from their first order on (orders before ``window.start`` included); the result is the
    mean over those customers, ``None`` when nobody was active. Historical: what customers have spent so
    far, no forecast (for predicted CLV see :mod:`loyaldesk.analytics.clv`).
    """
    from loyaldesk.analytics.columns import OrderColumns  # columns are built on this module's facts

    return OrderColumns.of(orders).historical_clv(window.start, window.end)


def survey_scores(answers: Iterable[SurveyAnswer], window: Window) -> tuple[int, ...]:
    """Scores of the answers given in ``window``, in input order: the input of :func:`nps` and
    :func:`csat` for that window. Every answer counts, several from one customer included."""
    start, end = _utc(window.start), _utc(window.end)
    return tuple(answer.score for answer in answers if start <= _utc(answer.answered_at) < end)


@dataclass(frozen=True)
class Nps:
    """Net Promoter Score of ``responses`` answers: ``score`` = 100 x (promoters - detractors) / responses,
    in points from -100 to 100. Promoters answered 9-10, passives 7-8, detractors 0-6."""

    responses: int
    promoters: int
    passives: int
    detractors: int
    score: float


def nps(scores: Iterable[int]) -> Nps | None:
    """Net Promoter Score of 0-10 answers ("How likely are you to recommend us?"); ``None`` without
    answers. Raises ``Invalid`` on ``scores`` for a value that is not an int from 0 to 10."""
    values = _scores(scores, NPS_SCALE)
    if not values:
        return None
    promoters = sum(1 for value in values if value >= PROMOTER_MIN)
    detractors = sum(1 for value in values if value <= DETRACTOR_MAX)
    passives = len(values) - promoters - detractors
    return Nps(len(values), promoters, passives, detractors, 100 * (promoters - detractors) / len(values))


@dataclass(frozen=True)
class Csat:
    """Customer satisfaction over ``responses`` 1-5 answers: ``satisfied`` answered 4 or 5,
    ``satisfied_share`` = satisfied / responses (0 to 1, the usual CSAT), ``mean`` the average answer."""

    responses: int
    satisfied: int
    satisfied_share: float
    mean: float


def csat(ratings: Iterable[int]) -> Csat | None:
    """Customer satisfaction of 1-5 ratings; ``None`` without ratings. Raises ``Invalid`` on ``ratings``
    for a value that is not an int from 1 to 5."""
    values = _scores(ratings, CSAT_SCALE, field="ratings")
    if not values:
        return None
    satisfied = sum(1 for value in values if value >= SATISFIED_MIN)
    return Csat(len(values), satisfied, satisfied / len(values), sum(values) / len(values))


def _kept_and_base(orders: Iterable[OrderFact], first: Window, second: Window) -> tuple[int, int]:
    """(customers active in both windows, customers active in ``first``)."""
    if _utc(second.start) < _utc(first.end):
        raise Invalid.field("second", "must start at or after the end of the first window")
    facts = distinct_orders(orders)
    before = {order.customer_id for order in _in_window(facts, first)}
    after = {order.customer_id for order in _in_window(facts, second)}
    return len(before & after), len(before)


def _in_window(facts: DistinctOrders, window: Window) -> DistinctOrders:
    """The facts placed in ``window``, found by bisection (``facts`` are sorted by time)."""
    start, end = _utc(window.start), _utc(window.end)
    low = bisect_left(facts, start, key=_placed_at)
    high = bisect_left(facts, end, lo=low, key=_placed_at)
    return DistinctOrders(facts[low:high])


def _placed_at(fact: OrderFact) -> datetime:
    return fact.placed_at


def _customers_between(facts: DistinctOrders, start: datetime, end: datetime) -> set[int]:
    low = bisect_left(facts, _utc(start), key=_placed_at)
    high = bisect_left(facts, _utc(end), lo=low, key=_placed_at)
    return {fact.customer_id for fact in facts[low:high]}


def _scores(scores: Iterable[int], scale: range, field: str = "scores") -> tuple[int, ...]:
    values = tuple(scores)
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int) or value not in scale:
            raise Invalid.field(field, f"every answer must be a whole number from {scale[0]} to {scale[-1]}")
    return values


def _ratio(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else numerator / denominator


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _require_int(value: object, field: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid.field(field, "must be an integer")


def _require_aware(value: object, field: str) -> None:
    if not isinstance(value, datetime):
        raise Invalid.field(field, "must be a datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise Invalid.field(field, "must be timezone-aware")
