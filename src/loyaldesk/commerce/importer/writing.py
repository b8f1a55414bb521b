"""Writing an import: its chunks of orders and refunds, one transaction each, oldest first."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
from sqlalchemy import select

from loyaldesk.commerce.actions import ingest_orders, record_refund
from loyaldesk.commerce.importer.files import detect_format, read_table
from loyaldesk.commerce.importer.invoices import Chunk, orders_chunks, uci_chunks, uci_invoices
from loyaldesk.commerce.importer.report import ImportReport
from loyaldesk.commerce.models import Order, Refund
from loyaldesk.kernel.actors import system_for
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.errors import Invalid
from loyaldesk.kernel.money import check_currency

# Between chunks on SQLite, the import pauses long enough for a writer that waits for the lock to get it:
# SQLite's busy handler looks again at most every 100 ms, and without a pause the import's next chunk
# would take the lock first, chunk after chunk, while the server's writes wait.
GIVE_WAY_SECONDS = 0.15


def _write_chunk(uow: Any, store_id: int, chunk: Chunk, report: ImportReport) -> None:
    actor = system_for(store_id, "import")
    outcomes = ingest_orders(uow, actor, store_id, chunk.orders, source="import")
    for outcome in outcomes:
        if outcome.order_id is not None:
            report.order_ids.append(outcome.order_id)
        if outcome.outcome == "created":
            report.orders_created += 1
            if chunk.orders[outcome.index].customer is None and chunk.orders[outcome.index].email is None:
                report.guest_orders += 1
        elif outcome.outcome == "error":
            report.orders_failed += 1
            report.errors.append(f"order {outcome.external_id}: {outcome.error}")
        else:
            report.orders_unchanged += 1
    # The customers this chunk created, as announced in this transaction (they commit together).
    report.customers_created += sum(1 for event in uow.events if event.event_type == "customer.created")
    if not chunk.refunds:
        return
    order_ids = dict(
        uow.session.execute(
            select(Order.external_id, Order.id).where(
                Order.store_id == store_id, Order.external_id.in_({order for order, _ in chunk.refunds})
            )
        ).all()
    )
    known = set(
        uow.session.scalars(
            select(Refund.external_id).where(
                Refund.store_id == store_id,
                Refund.external_id.in_([refund.external_id for _, refund in chunk.refunds]),
            )
        )
    )
    for order_external_id, refund in chunk.refunds:
        if refund.external_id in known:
            report.refunds_known += 1
            continue
        savepoint = uow.session.begin_nested()
        try:
            record_refund(uow, actor, store_id, order_ids[order_external_id], refund, source="import")
            savepoint.commit()
            report.refunds_recorded += 1
        except Invalid as error:
            savepoint.rollback()
            report.refunds_failed += 1
            report.errors.append(f"refund {refund.external_id}: {error}")


def import_orders(
    database: Database,
    store_id: int,
    paths: Sequence[Path],
    *,
    file_format: str = "auto",
    currency: str = "GBP",
    timezone: str = "Europe/London",
    status: str = "delivered",
    progress: Callable[[int, int], None] | None = None,
    reading: Callable[[Path], None] | None = None,
) -> ImportReport:
    """Import order files into a store, a chunk of invoices per transaction, oldest first.

    ``reading(path)`` is called before each file is read; ``progress(invoices_done, invoices_total)``
    once the files are read (with 0 done) and after each chunk is committed."""
    if not paths:
        raise Invalid.field("files", "give at least one file")
    tables = []
    for path in paths:
        if reading is not None:
            reading(Path(path))
        tables.append(read_table(Path(path)))
    formats = {detect_format(table) if file_format == "auto" else file_format for table in tables}
    if len(formats) != 1:
        raise Invalid.field("files", "all files of one import must have the same format")
    chosen = formats.pop()
    report = ImportReport()
    chunks: Iterable[Chunk]
    if chosen == "uci":
        currency = check_currency(currency)
        invoices = uci_invoices(tables, currency, ZoneInfo(timezone), report)
        chunks = uci_chunks(invoices, currency, status, report)
    elif chosen == "orders":
        chunks = orders_chunks(pa.concat_tables(tables), report)
    else:
        raise Invalid.field("format", f"{chosen!r} is not uci or orders")
    total = report.invoices
    done = 0
    if progress is not None:
        progress(done, total)
    for chunk in chunks:
        database.write(_write_chunk, store_id, chunk, report)
        done += chunk.invoices
        if progress is not None:
            progress(done, total)
        if database.backend == "sqlite":
            time.sleep(GIVE_WAY_SECONDS)
    return report
