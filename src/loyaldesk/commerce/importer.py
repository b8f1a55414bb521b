"""``loyaldesk import``: orders from CSV or Parquet files, including the UCI Online Retail data sets.

Formats
-------
* ``uci``: the UCI "Online Retail" (InvoiceNo, StockCode, Description, Quantity, InvoiceDate, UnitPrice,
  CustomerID, Country) and "Online Retail II" (Invoice, ..., Price, Customer ID, ...) files. An invoice is
  an order; invoices whose number starts with ``C`` are cancellations and become refunds of the same
  customer's earlier lines of that stock code (newest first); ``A`` invoices (bad-debt adjustments) are
  skipped. When several files hold the same invoice (the two UCI files overlap on 2010-12-01..09), it is
  taken from the first file only.
* ``orders``: one row per order line with columns ``order_id, placed_at, currency, sku, title, quantity,
  unit_price`` and optionally ``customer_id, email, category, status``; ``unit_price`` is a decimal amount.

Importing is idempotent: orders and refunds are keyed by the invoice number, so running the same import
twice changes nothing the second time.

The import writes orders, customers and refunds only; what they mean to other capabilities (points,
timelines, analytics) follows from their events, handled in the background. Whether history earns points
is the loyalty program's business (its start date; ``loyaldesk import orders --award-points`` asks for it
explicitly and awards them after the orders are in).
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from pydantic import ValidationError
from sqlalchemy import select

from loyaldesk.commerce.actions import ingest_orders, record_refund
from loyaldesk.commerce.models import Order, Refund
from loyaldesk.commerce.schemas import OrderIn, RefundIn
from loyaldesk.kernel.actors import system_for
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.errors import Invalid
from loyaldesk.kernel.money import check_currency, exponent
from loyaldesk.kernel.validation import invalid_from

UCI_COLUMNS = {
    "InvoiceNo": "invoice",
    "Invoice": "invoice",
    "StockCode": "stock",
    "Description": "description",
    "Quantity": "quantity",
    "InvoiceDate": "date",
    "UnitPrice": "price",
    "Price": "price",
    "CustomerID": "customer",
    "Customer ID": "customer",
    "Country": "country",
}
ORDER_COLUMNS = {"order_id", "placed_at", "currency", "sku", "title", "quantity", "unit_price"}

# Online Retail has no categories; a keyword on the description gives a useful one (first match wins).
CATEGORY_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Postage and fees", ("POSTAGE", "CARRIAGE", "BANK CHARGES", "AMAZON FEE", "MANUAL", "DISCOUNT")),
    ("Christmas", ("CHRISTMAS", "XMAS", "ADVENT", "SANTA", "REINDEER", "SNOWFLAKE")),
    ("Bags", ("BAG", "TOTE", "PURSE", "SHOPPER")),
    (
        "Kitchen",
        (
            "MUG",
            "CUP",
            "PLATE",
            "BOWL",
            "JUG",
            "TEA",
            "CAKE",
            "BAKING",
            "LUNCH BOX",
            "KITCHEN",
            "SPOON",
            "TIN",
            "JAR",
            "BOTTLE",
            "NAPKIN",
            "APRON",
        ),
    ),
    ("Lighting", ("LIGHT", "LANTERN", "CANDLE", "T-LIGHT", "LAMP")),
    ("Stationery", ("CARD", "PAPER", "NOTEBOOK", "PENCIL", "PEN ", "WRAP", "STICKER", "ENVELOPE", "TAPE")),
    ("Toys and games", ("TOY", "GAME", "DOLL", "PUZZLE", "SPACEBOY", "PLAYHOUSE", "BUNTING")),
    ("Garden", ("GARDEN", "PLANT", "FLOWER POT", "BIRD", "WATERING")),
    (
        "Home decor",
        (
            "FRAME",
            "CLOCK",
            "CUSHION",
            "SIGN",
            "HEART",
            "DOORMAT",
            "HOOK",
            "MIRROR",
            "DECORATION",
            "ORNAMENT",
            "VASE",
            "WALL",
        ),
    ),
)


def category_for(description: str | None) -> str:
    text = (description or "").upper()
    for category, keywords in CATEGORY_KEYWORDS:
        if any(keyword in text for keyword in keywords):
            return category
    return "Gifts"


# Why rows are not imported (the summary's words).
SKIP_ADJUSTMENT = "bad-debt adjustment invoices (A...)"
SKIP_NO_PRICE = "lines without a price or a quantity"
SKIP_NOT_SOLD = "lines with a quantity of 0 or less, or a negative price"
SKIP_UNMATCHED = "cancellation lines without an earlier purchase of that item by that customer"
SKIP_OTHER_FILE = "rows of invoices already read from an earlier file"


@dataclass
class ImportReport:
    """What an import did, for its summary. ``skipped`` counts the rows left out, by reason."""

    rows: int = 0
    invoices: int = 0
    orders_created: int = 0
    orders_unchanged: int = 0
    orders_failed: int = 0
    guest_orders: int = 0
    cancellation_invoices: int = 0
    adjustment_invoices: int = 0
    invoices_without_lines: int = 0
    customers_created: int = 0
    lines: int = 0
    refunds_recorded: int = 0
    refunds_known: int = 0
    refunds_failed: int = 0
    cancellation_lines_unmatched: int = 0
    rows_skipped: int = 0
    rows_in_other_file: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    # The import's orders (created now or there already), in the order they were written: oldest first.
    order_ids: list[int] = field(default_factory=list, repr=False)

    def skip(self, reason: str, rows: int = 1) -> None:
        if rows > 0:
            self.skipped[reason] += rows
            if reason != SKIP_OTHER_FILE:
                self.rows_skipped += rows


@dataclass
class _Invoice:
    number: str
    placed_at: datetime
    customer: str | None
    country: str | None
    rows: list[tuple[str, str | None, int, int]] = field(
        default_factory=list
    )  # stock, description, qty, price


def read_table(path: Path) -> pa.Table:
    """A file as an Arrow table; Parquet by suffix, CSV otherwise."""
    if not path.exists():
        raise Invalid.field("files", f"{path} does not exist")
    if path.suffix.lower() in (".parquet", ".pq"):
        return pq.read_table(path)
    return pa_csv.read_csv(path)


def detect_format(table: pa.Table) -> str:
    names = set(table.column_names)
    if {"StockCode", "Quantity", "InvoiceDate"} <= names:
        return "uci"
    if names >= ORDER_COLUMNS:
        return "orders"
    raise Invalid.field("format", f"cannot tell the file's format from its columns {sorted(names)}")


def _to_minor(value: Any, currency: str) -> int:
    """Decimal amount to minor units, rounding half-even: source data has sub-penny prices (0.001)."""
    amount = Decimal(str(value)).scaleb(exponent(currency))
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def _uci_invoices(
    tables: Sequence[pa.Table], currency: str, zone: ZoneInfo, report: ImportReport
) -> list[_Invoice]:
    """Rows grouped into invoices, oldest first; an invoice found in several files comes from the first."""
    invoices: dict[str, _Invoice] = {}
    file_of: dict[str, int] = {}
    for file_index, table in enumerate(tables):
        renamed = table.rename_columns([UCI_COLUMNS.get(name, name) for name in table.column_names])
        columns = {
            name: renamed.column(name).to_pylist()
            for name in (
                "invoice",
                "stock",
                "description",
                "quantity",
                "date",
                "price",
                "customer",
                "country",
            )
        }
        for i in range(renamed.num_rows):
            report.rows += 1
            number = str(columns["invoice"][i]).strip()
            if file_of.setdefault(number, file_index) != file_index:
                report.rows_in_other_file += 1
                report.skip(SKIP_OTHER_FILE)
                continue
            invoice = invoices.get(number)
            if invoice is None:
                customer = columns["customer"][i]
                moment = columns["date"][i]
                if isinstance(moment, str):
                    moment = datetime.fromisoformat(moment)
                invoice = _Invoice(
                    number=number,
                    placed_at=moment.replace(tzinfo=zone) if moment.tzinfo is None else moment,
                    customer=None if customer is None or customer != customer else str(int(float(customer))),
                    country=columns["country"][i],
                )
                invoices[number] = invoice
            price, quantity = columns["price"][i], columns["quantity"][i]
            if price is None or quantity is None:
                report.skip(SKIP_NO_PRICE)
                continue
            invoice.rows.append(
                (
                    str(columns["stock"][i]).strip(),
                    columns["description"][i],
                    int(quantity),
                    _to_minor(price, currency),
                )
            )
    ordered = sorted(invoices.values(), key=lambda inv: (inv.placed_at, inv.number))
    report.invoices = len(ordered)
    return ordered


@dataclass
class _OpenLine:
    order_external_id: str
    line_external_id: str
    remaining: int


@dataclass
class _Chunk:
    orders: list[OrderIn] = field(default_factory=list)
    refunds: list[tuple[str, RefundIn]] = field(default_factory=list)  # (order external id, refund)
    invoices: int = 0


# Invoices per transaction. On SQLite a transaction holds the database's only write lock, so a server
# running beside the import waits for each chunk before it can write anything (a chat message, the
# dispatcher's next batch): 500 invoices (about 10,000 lines of the Online Retail data) keep that wait to a
# second or two, where 2,000 held it for several.
CHUNK_INVOICES = 500
# Between chunks on SQLite, the import pauses long enough for a writer that waits for the lock to get it:
# SQLite's busy handler looks again at most every 100 ms, and without a pause the import's next chunk
# would take the lock first, chunk after chunk, while the server's writes wait.
GIVE_WAY_SECONDS = 0.15


def _uci_chunks(
    invoices: list[_Invoice], currency: str, status: str, report: ImportReport
) -> Iterator[_Chunk]:
    """Orders and refunds in time order, a chunk at a time; cancellations matched to earlier lines."""
    open_lines: dict[str, dict[str, list[_OpenLine]]] = defaultdict(lambda: defaultdict(list))
    chunk = _Chunk()
    for invoice in invoices:
        if chunk.invoices >= CHUNK_INVOICES:
            yield chunk
            chunk = _Chunk()
        chunk.invoices += 1
        if invoice.number.upper().startswith("A"):
            report.adjustment_invoices += 1
            report.skip(SKIP_ADJUSTMENT, len(invoice.rows))
            continue
        if invoice.number.upper().startswith("C"):
            report.cancellation_invoices += 1
            _cancellation(invoice, open_lines, chunk, report)
            continue
        lines: list[dict[str, Any]] = []
        for stock, description, quantity, price in invoice.rows:
            if quantity <= 0 or price < 0:
                report.skip(SKIP_NOT_SOLD)
                continue
            line_id = f"{invoice.number}-{len(lines) + 1}"
            lines.append(
                {
                    "external_id": line_id,
                    "sku": stock[:255],
                    "product_id": stock[:255],
                    "title": (description or stock or "item").strip()[:500] or stock,
                    "category": category_for(description),
                    "quantity": quantity,
                    "unit_price": price,
                }
            )
            if invoice.customer is not None:
                open_lines[invoice.customer][stock].append(_OpenLine(invoice.number, line_id, quantity))
        if not lines:
            report.invoices_without_lines += 1  # its rows were counted as skipped above
            continue
        report.lines += len(lines)
        customer = None
        if invoice.customer is not None:
            customer = {
                "external_id": invoice.customer,
                "attributes": {"country": invoice.country} if invoice.country else None,
            }
        try:
            chunk.orders.append(
                OrderIn.model_validate(
                    {
                        "external_id": invoice.number,
                        "number": invoice.number,
                        "customer": customer,
                        "currency": currency,
                        "lines": lines,
                        "status": status,
                        "placed_at": invoice.placed_at,
                    }
                )
            )
        except ValidationError as error:
            report.orders_failed += 1
            report.errors.append(f"invoice {invoice.number}: {invalid_from(error).problems[0]}")
    yield chunk


def _cancellation(
    invoice: _Invoice, open_lines: dict[str, dict[str, list[_OpenLine]]], chunk: _Chunk, report: ImportReport
) -> None:
    by_order: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for stock, _description, quantity, _price in invoice.rows:
        need = -quantity
        if need <= 0 or invoice.customer is None:
            report.cancellation_lines_unmatched += 1
            report.skip(SKIP_UNMATCHED)
            continue
        for line in reversed(open_lines[invoice.customer].get(stock, [])):
            if need == 0:
                break
            take = min(need, line.remaining)
            if take <= 0:
                continue
            line.remaining -= take
            need -= take
            by_order[line.order_external_id].append(
                {"line_external_id": line.line_external_id, "quantity": take}
            )
        if need > 0:
            report.cancellation_lines_unmatched += 1
            report.skip(SKIP_UNMATCHED)
    for order_external_id, lines in by_order.items():
        external_id = invoice.number if len(by_order) == 1 else f"{invoice.number}/{order_external_id}"
        merged: dict[str, int] = defaultdict(int)
        for refund_line in lines:
            merged[refund_line["line_external_id"]] += refund_line["quantity"]
        chunk.refunds.append(
            (
                order_external_id,
                RefundIn.model_validate(
                    {
                        "external_id": external_id,
                        "kind": "return",
                        "reason": f"cancellation invoice {invoice.number}",
                        "lines": [
                            {"line_external_id": key, "quantity": value} for key, value in merged.items()
                        ],
                        "occurred_at": invoice.placed_at,
                    }
                ),
            )
        )


def _orders_chunks(table: pa.Table, report: ImportReport) -> list[_Chunk]:
    rows = table.to_pylist()
    report.rows = len(rows)
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(str(row["order_id"]), []).append(row)
    report.invoices = len(grouped)
    chunks = [_Chunk()]
    for order_id, order_rows in grouped.items():
        if chunks[-1].invoices >= CHUNK_INVOICES:
            chunks.append(_Chunk())
        chunk = chunks[-1]
        chunk.invoices += 1
        first = order_rows[0]
        currency = check_currency(str(first["currency"]))
        placed = first["placed_at"]
        if isinstance(placed, str):
            placed = datetime.fromisoformat(placed)
        customer = (
            {"external_id": str(first["customer_id"])} if first.get("customer_id") not in (None, "") else None
        )
        lines = [
            {
                "sku": str(row["sku"]),
                "title": str(row["title"]),
                "category": row.get("category"),
                "quantity": int(row["quantity"]),
                "unit_price": _to_minor(row["unit_price"], currency),
            }
            for row in order_rows
        ]
        report.lines += len(lines)
        try:
            chunk.orders.append(
                OrderIn.model_validate(
                    {
                        "external_id": order_id,
                        "customer": customer,
                        "email": first.get("email") or None,
                        "currency": currency,
                        "lines": lines,
                        "status": first.get("status") or "delivered",
                        "placed_at": placed if placed.tzinfo else placed.astimezone(),
                    }
                )
            )
        except Exception as error:
            report.orders_failed += 1
            report.errors.append(f"order {order_id}: {error}")
    return chunks


def _write_chunk(uow: Any, store_id: int, chunk: _Chunk, report: ImportReport) -> None:
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
    chunks: Iterable[_Chunk]
    if chosen == "uci":
        currency = check_currency(currency)
        invoices = _uci_invoices(tables, currency, ZoneInfo(timezone), report)
        chunks = _uci_chunks(invoices, currency, status, report)
    elif chosen == "orders":
        chunks = _orders_chunks(pa.concat_tables(tables), report)
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
