"""Orders as aligned numpy columns, the form the reports compute on: one array per field instead of one
``OrderFact`` object per order. Pure (no I/O); ``order_columns`` reads them from the database."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from numpy.typing import NDArray

from loyaldesk.analytics.metrics import DistinctOrders, OrderFact, distinct_orders

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECONDS_PER_DAY = 86_400_000_000

Int64s = NDArray[np.int64]


@dataclass(frozen=True)
class OrderColumns:
    """Distinct orders as aligned columns sorted by (``placed_at_us``, ``order_id``)."""

    order_id: Int64s
    customer_id: Int64s
    placed_at_us: Int64s  # microseconds since 1970-01-01 UTC
    net_amount_minor: Int64s

    def __len__(self) -> int:
        return int(self.order_id.shape[0])

    def count_before(self, until: datetime) -> int:
        """How many of the orders were placed before the aware instant ``until``."""
        return int(np.searchsorted(self.placed_at_us, microseconds(until), side="left"))

    @classmethod
    def of(cls, orders: Iterable[OrderFact] | OrderColumns) -> OrderColumns:
        """``orders`` as columns: made distinct and sorted as :func:`metrics.distinct_orders` makes them
        (which raises ``Invalid`` on conflicting facts); columns are returned unchanged."""
        if isinstance(orders, OrderColumns):
            return orders
        facts = distinct_orders(orders)
        count = len(facts)
        return cls(
            np.fromiter((fact.order_id for fact in facts), dtype=np.int64, count=count),
            np.fromiter((fact.customer_id for fact in facts), dtype=np.int64, count=count),
            np.fromiter((microseconds(fact.placed_at) for fact in facts), dtype=np.int64, count=count),
            np.fromiter((fact.net_amount_minor for fact in facts), dtype=np.int64, count=count),
        )

    def head(self, stop: int) -> OrderColumns:
        """The first ``stop`` orders (views, not copies)."""
        return OrderColumns(
            self.order_id[:stop],
            self.customer_id[:stop],
            self.placed_at_us[:stop],
            self.net_amount_minor[:stop],
        )

    def before(self, until: datetime) -> OrderColumns:
        """The orders placed before the aware instant ``until``."""
        return self.head(self.count_before(until))

    def between(self, start: datetime, end: datetime) -> OrderColumns:
        """The orders placed in [``start``, ``end``)."""
        first, stop = self.count_before(start), self.count_before(end)
        return OrderColumns(
            self.order_id[first:stop],
            self.customer_id[first:stop],
            self.placed_at_us[first:stop],
            self.net_amount_minor[first:stop],
        )

    def of_customers(self, customer_ids: Int64s, *, inside: bool = True) -> OrderColumns:
        """The orders of the customers in ``customer_ids`` (or, with ``inside=False``, of all others)."""
        keep = np.isin(self.customer_id, customer_ids, invert=not inside)
        return OrderColumns(
            self.order_id[keep], self.customer_id[keep], self.placed_at_us[keep], self.net_amount_minor[keep]
        )

    def historical_clv(self, start: datetime, end: datetime) -> float | None:
        """:func:`metrics.historical_clv` over the window [``start``, ``end``): the mean, over the
        customers active in it, of the net revenue of all their orders placed before ``end``."""
        active = np.unique(self.between(start, end).customer_id)
        if not active.size:
            return None
        before = self.before(end)
        total = int(before.net_amount_minor[np.isin(before.customer_id, active)].sum())
        return total / int(active.size)

    def placed_at(self) -> NDArray[np.datetime64]:
        """The instants as numpy ``datetime64[us]`` (UTC)."""
        return self.placed_at_us.astype("datetime64[us]")

    def facts(self, stop: int | None = None) -> DistinctOrders:
        """The first ``stop`` orders (all when None) as :class:`OrderFact` values, in the same order."""
        end = len(self) if stop is None else stop
        placed = self.placed_at_us[:end].astype("datetime64[us]").tolist()
        make = object.__new__
        put = object.__setattr__
        facts = []
        # The columns come from the database's typed columns: every id and amount is an int and every
        # instant aware UTC, which is all ``OrderFact.__post_init__`` checks; skip it for speed.
        for customer_id, order_id, naive, amount in zip(
            self.customer_id[:end].tolist(),
            self.order_id[:end].tolist(),
            placed,
            self.net_amount_minor[:end].tolist(),
            strict=True,
        ):
            fact = make(OrderFact)
            put(fact, "customer_id", customer_id)
            put(fact, "order_id", order_id)
            put(fact, "placed_at", naive.replace(tzinfo=UTC))
            put(fact, "net_amount_minor", amount)
            facts.append(fact)
        return DistinctOrders(facts)


def microseconds(moment: datetime) -> int:
    """The aware instant ``moment`` in whole microseconds since the Unix epoch."""
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
