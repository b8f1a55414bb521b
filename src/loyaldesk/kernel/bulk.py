"""Bulk inserts and key lookups that skip the per-statement overhead of SQLAlchemy's compiled statements.

For ten thousand rows, building each row's parameters through a compiled ``INSERT`` costs more than the
database's own work. ``bulk_insert`` prepares, once per table and column list, the SQL text and each
column's own bind processor (the very functions SQLAlchemy would apply: UTC datetimes, JSON), then hands
the converted rows to the driver's ``executemany``. Values stay exactly what SQLAlchemy would store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from loyaldesk.kernel.db import UnitOfWork

Processor = Callable[[Any], Any] | None
_prepared: dict[tuple[str, str, tuple[str, ...]], tuple[str, list[Any]]] = {}


def bulk_insert(uow: UnitOfWork, table: Any, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys, including primary keys) into ``table``."""
    if not rows:
        return
    columns = tuple(rows[0])
    connection = uow.session.connection()
    dialect = connection.dialect
    key = (table.name, dialect.name, columns)
    prepared = _prepared.get(key)
    if prepared is None:
        quote = dialect.identifier_preparer.quote
        marker = "?" if dialect.paramstyle == "qmark" else "%s"
        sql = (
            f"INSERT INTO {quote(table.name)} ({', '.join(quote(name) for name in columns)}) "
            f"VALUES ({', '.join([marker] * len(columns))})"
        )
        processors = [table.c[name].type._cached_bind_processor(dialect) for name in columns]
        prepared = _prepared[key] = (sql, processors)
    sql, processors = prepared
    pairs = list(zip(columns, processors, strict=True))
    parameters = [
        tuple(row[name] if processor is None else processor(row[name]) for name, processor in pairs)
        for row in rows
    ]
    cursor = _driver_cursor(uow)
    try:
        cursor.executemany(sql, parameters)
    finally:
        cursor.close()


def lookup_by_keys(
    uow: UnitOfWork,
    table: Any,
    store_id: int,
    key_column: str,
    keys: Iterable[Any],
    value_columns: Sequence[str] = ("id",),
    *,
    extra_condition: str = "",
    order_by: str = "",
) -> list[tuple[Any, ...]]:
    """Rows ``(key, *values)`` of ``table`` in one store whose ``key_column`` is one of ``keys``.

    One plain SQL statement per 500 keys straight to the driver: on the ingestion path an ORM query costs
    ten times what the database does. ``extra_condition`` and ``order_by`` are trusted SQL fragments
    written in code, never user input. Values come back raw (as the driver returns them).
    """
    unique = list(dict.fromkeys(keys))
    if not unique:
        return []
    connection = uow.session.connection()
    quote = connection.dialect.identifier_preparer.quote
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    selected = ", ".join(quote(name) for name in (key_column, *value_columns))
    rows: list[tuple[Any, ...]] = []
    cursor = _driver_cursor(uow)
    for start in range(0, len(unique), 500):
        chunk = unique[start : start + 500]
        sql = (
            f"SELECT {selected} FROM {quote(table.name)} WHERE store_id = {marker} "
            f"AND {quote(key_column)} IN ({', '.join([marker] * len(chunk))})"
            + (f" AND {extra_condition}" if extra_condition else "")
            + (f" ORDER BY {order_by}" if order_by else "")
        )
        cursor.execute(sql, (store_id, *chunk))
        rows.extend(tuple(row) for row in cursor.fetchall())
    cursor.close()
    return rows


def _driver_cursor(uow: UnitOfWork) -> Any:
    """A cursor of the unit of work's own driver connection, inside its open transaction."""
    return uow.session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
