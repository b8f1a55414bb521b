"""Reserving primary keys for bulk inserts, so that big batches insert with plain executemany.

``INSERT ... RETURNING`` row by row is the slow part of a bulk insert that needs the new ids (to insert
order lines after their orders, or events in order). Reserving the ids first turns the insert into one
executemany with explicit ids.

* SQLite: a writer holds the database's write lock for its whole transaction (``BEGIN IMMEDIATE``), so
  ``max(id) + 1 ...`` cannot be taken by anyone else before this transaction commits.
* PostgreSQL: ``nextval`` of the table's identity sequence, once per id, in one round trip; sequences
  never hand out a value twice, whatever other transactions do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import text

if TYPE_CHECKING:
    from loyaldesk.kernel.db import UnitOfWork

_sequences: dict[str, str] = {}


def reserve_ids(uow: UnitOfWork, table: Any, count: int) -> list[int]:
    """``count`` fresh primary-key values for ``table`` (whose key column is ``id``), ascending."""
    if count <= 0:
        return []
    if uow.is_postgresql:
        sequence = _sequences.get(table.name)
        if sequence is None:
            sequence = uow.session.execute(
                text("SELECT pg_get_serial_sequence(:table, 'id')"), {"table": table.name}
            ).scalar_one()
            _sequences[table.name] = sequence
        rows = uow.session.execute(
            text("SELECT nextval(CAST(:sequence AS regclass)) FROM generate_series(1, :count)"),
            {"sequence": sequence, "count": count},
        ).scalars()
        return sorted(int(value) for value in rows)
    connection = uow.session.connection()
    quoted = connection.dialect.identifier_preparer.quote(table.name)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(f"SELECT max(id) FROM {quoted}")
        highest = cursor.fetchone()[0] or 0
    finally:
        cursor.close()
    return list(range(highest + 1, highest + 1 + count))
