"""The store's orders as analytics counts them, read column-wise into numpy arrays in one pass.

One statement, its rows fetched in batches straight from the driver into four int64 arrays (order id,
customer id, the instant placed in microseconds since the Unix epoch UTC, the amount net of refunds in
minor units), without building a row object or a datetime per order: the database turns the timestamp
into an integer (SQLite from its text form, PostgreSQL from ``extract(epoch ...)``, both exact to the
microsecond). The arrays are then sorted by (instant, order id), the order of
``metrics.distinct_orders``; order ids are the table's primary key, hence distinct.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import BigInteger, cast, extract, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from loyaldesk.analytics.columns import OrderColumns, microseconds
from loyaldesk.commerce import Order
from loyaldesk.stores import Store

FETCH_ROWS = 65_536  # rows per fetch from the driver


def _placed_at_us(dialect: str) -> ColumnElement[int]:
    if dialect == "sqlite":
        # Stored as text 'YYYY-MM-DD HH:MM:SS[.ffffff]' in UTC: whole seconds, then the fraction's digits.
        # (strftime rounds a fraction to milliseconds: whole seconds are read from the first 19 characters.)
        seconds = cast(func.strftime("%s", func.substr(Order.placed_at, 1, 19)), BigInteger)
        fraction = cast(func.substr(Order.placed_at, 21, 6), BigInteger)
        return seconds * 1_000_000 + fraction
    return cast(extract("epoch", Order.placed_at) * 1_000_000, BigInteger)


def _net(dialect: str) -> ColumnElement[int]:
    return cast(Order.total - func.coalesce(Order.refunded_total, 0), BigInteger)


def _fetch(driver: Any, sql: str) -> NDArray[np.int64]:
    """The rows of ``sql`` (four integer columns) through the driver's cursor, batch by batch."""
    cursor = driver.cursor()
    try:
        cursor.execute(sql)
        chunks = [np.zeros((0, 4), dtype=np.int64)]
        while rows := cursor.fetchmany(FETCH_ROWS):
            chunks.append(np.array(rows, dtype=np.int64))
    finally:
        cursor.close()
    return np.concatenate(chunks)


# COPY's binary format: a 19-byte header, then per row a 16-bit field count and per field a 32-bit length
# and the value (here four non-null 8-byte integers, big-endian), then a 16-bit -1 trailer.
_COPY_HEADER = 19
_COPY_ROW = np.dtype(
    [("fields", ">i2")] + [item for n in range(4) for item in ((f"len{n}", ">i4"), (f"v{n}", ">i8"))]
)


def _copy_binary(driver: Any, sql: str) -> NDArray[np.int64]:
    """The rows of ``sql`` (four non-null bigint columns) through ``COPY ... TO STDOUT (FORMAT BINARY)``,
    decoded by numpy in one pass."""
    buffer = bytearray()
    with driver.cursor() as cursor, cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT BINARY)") as copy:
        for data in copy:
            buffer += data
    body = memoryview(buffer)[_COPY_HEADER : len(buffer) - 2]
    rows = np.frombuffer(body, dtype=_COPY_ROW)
    if rows.size and not (
        np.all(rows["fields"] == 4) and all(np.all(rows[f"len{n}"] == 8) for n in range(4))
    ):
        raise ValueError("unexpected COPY row layout")  # a NULL or another type: never silently misread
    return np.stack([rows[f"v{n}"].astype(np.int64) for n in range(4)], axis=1)


def order_columns(session: Session, store: Store, until: datetime | None = None) -> OrderColumns:
    """The store's orders placed before ``until`` (all when None) by known customers, in the store's
    currency, not cancelled, net of refunds (never below 0), as sorted columns."""
    placed = _placed_at_us(session.get_bind().dialect.name).label("placed_at_us")
    query = select(
        cast(Order.id, BigInteger),
        cast(Order.customer_id, BigInteger),
        placed,
        _net(session.get_bind().dialect.name),
    ).where(
        Order.store_id == store.id,
        Order.customer_id.is_not(None),
        Order.currency == store.currency,
        Order.cancelled_at.is_(None),
    )
    connection = session.connection()
    sql = str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    driver = connection.connection.dbapi_connection
    table = _copy_binary(driver, sql) if connection.dialect.name == "postgresql" else _fetch(driver, sql)
    order = np.lexsort((table[:, 0], table[:, 2]))
    if until is not None:
        order = order[: int(np.searchsorted(table[order, 2], microseconds(until), side="left"))]
    # One sorted column at a time, so that the table is copied a column (not a table) at once.
    order_id, customer_id, placed_at_us, net = (table[order, field] for field in range(4))
    del table
    return OrderColumns(order_id, customer_id, placed_at_us, np.maximum(net, 0, out=net))
