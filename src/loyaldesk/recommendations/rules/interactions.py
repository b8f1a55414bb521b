"""The purchase history as columns, and the matrices the methods are fitted on. No I/O.

Interactions arrive as parallel arrays (one entry per order line): the customer, the item key, the time
of the order (days as floats, any origin), the quantity and, optionally, the basket (order) id. Lines of
the same customer at the same time form one basket when no basket id is given.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

SECONDS_PER_DAY = 86_400.0


@dataclass
class Interactions:
    """Order lines as columns. ``titles``/``categories`` map an item key to its latest line's title and
    category (what a reason names)."""

    customers: np.ndarray  # int64 customer ids
    items: np.ndarray  # object: item keys
    days: np.ndarray  # float64: order time in days
    quantities: np.ndarray  # float64
    baskets: np.ndarray | None = None  # int64 order ids; None: (customer, time)
    titles: dict[str, str] = field(default_factory=dict)
    categories: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.customers = np.asarray(self.customers, dtype=np.int64)
        self.items = np.asarray(self.items, dtype=object)
        self.days = np.asarray(self.days, dtype=np.float64)
        self.quantities = np.asarray(self.quantities, dtype=np.float64)
        if self.baskets is not None:
            self.baskets = np.asarray(self.baskets, dtype=np.int64)
        sizes = {len(self.customers), len(self.items), len(self.days), len(self.quantities)}
        if self.baskets is not None:
            sizes.add(len(self.baskets))
        if len(sizes) > 1:
            raise ValueError("interaction columns differ in length")

    def __len__(self) -> int:
        return len(self.customers)

    def subset(self, mask: np.ndarray) -> Interactions:
        return Interactions(
            self.customers[mask],
            self.items[mask],
            self.days[mask],
            self.quantities[mask],
            None if self.baskets is None else self.baskets[mask],
            self.titles,
            self.categories,
        )


@dataclass
class Encoded:
    """Interactions with items and customers numbered 0..n-1, one row per (basket, item)."""

    item_keys: np.ndarray  # object, item index -> key
    customer_ids: np.ndarray  # int64, customer index -> id
    customer: np.ndarray  # customer index per row
    item: np.ndarray  # item index per row
    day: np.ndarray
    quantity: np.ndarray
    basket: np.ndarray  # basket index per row (0..n_baskets-1)
    basket_customer: np.ndarray  # customer index per basket
    basket_day: np.ndarray  # day per basket

    @property
    def n_items(self) -> int:
        return len(self.item_keys)

    @property
    def n_customers(self) -> int:
        return len(self.customer_ids)

    @property
    def n_baskets(self) -> int:
        return len(self.basket_day)


def encode(interactions: Interactions) -> Encoded:
    """Number items and customers, group lines into baskets and merge repeated lines of an item within a
    basket (their quantities add up). Lines with a non-positive quantity are dropped."""
    keep = interactions.quantities > 0
    data = interactions.subset(keep)
    item_keys, item = np.unique(data.items.astype(str), return_inverse=True)
    customer_ids, customer = np.unique(data.customers, return_inverse=True)
    if data.baskets is not None:
        basket_ids = data.baskets
    else:
        basket_ids = customer.astype(np.int64) * 10_000_000 + np.round(data.days * 1440).astype(np.int64)
    _, basket = np.unique(basket_ids, return_inverse=True)
    n_baskets = int(basket.max()) + 1 if len(basket) else 0
    basket_customer = np.zeros(n_baskets, dtype=np.int64)
    basket_day = np.zeros(n_baskets, dtype=np.float64)
    basket_customer[basket] = customer
    basket_day[basket] = data.days
    # one row per (basket, item)
    pair = basket.astype(np.int64) * max(len(item_keys), 1) + item
    unique_pair, first, inverse = np.unique(pair, return_index=True, return_inverse=True)
    quantity = np.bincount(inverse, weights=data.quantities, minlength=len(unique_pair))
    rows_basket = basket[first]
    return Encoded(
        item_keys=item_keys.astype(object),
        customer_ids=customer_ids,
        customer=basket_customer[rows_basket],
        item=item[first],
        day=basket_day[rows_basket],
        quantity=quantity,
        basket=rows_basket,
        basket_customer=basket_customer,
        basket_day=basket_day,
    )


def basket_item_matrix(encoded: Encoded) -> sp.csr_matrix:
    """Baskets x items, 1 where the item is in the basket."""
    ones = np.ones(len(encoded.item), dtype=np.float32)
    return sp.csr_matrix((ones, (encoded.basket, encoded.item)), shape=(encoded.n_baskets, encoded.n_items))


def customer_item_counts(encoded: Encoded) -> sp.csr_matrix:
    """Customers x items: in how many of the customer's baskets the item was."""
    ones = np.ones(len(encoded.item), dtype=np.float32)
    matrix = sp.csr_matrix(
        (ones, (encoded.customer, encoded.item)), shape=(encoded.n_customers, encoded.n_items)
    )
    matrix.sum_duplicates()
    return matrix


def top_k_rows(similarity: sp.csr_matrix | np.ndarray, k: int) -> sp.csr_matrix:
    """Keep each row's ``k`` largest positive entries (the diagonal excluded)."""
    dense = similarity.toarray() if isinstance(similarity, sp.spmatrix) else np.array(similarity, copy=True)
    dense = dense.astype(np.float32, copy=False)
    np.fill_diagonal(dense, 0.0)
    dense[dense < 0] = 0.0
    n = dense.shape[0]
    if n == 0:
        return sp.csr_matrix((0, 0), dtype=np.float32)
    k = min(k, n - 1) if n > 1 else 0
    if k <= 0:
        return sp.csr_matrix(dense.shape, dtype=np.float32)
    columns = np.argpartition(-dense, k - 1, axis=1)[:, :k]
    rows = np.repeat(np.arange(n), k)
    values = dense[rows, columns.ravel()]
    keep = values > 0
    return sp.csr_matrix((values[keep], (rows[keep], columns.ravel()[keep])), shape=dense.shape)
