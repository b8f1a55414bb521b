"""Invoices read from the files, turned into chunks of orders and refunds in time order; a UCI
cancellation becomes a refund of the same customer's earlier lines of that stock code."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
from pydantic import ValidationError

from loyaldesk.commerce.importer.files import UCI_COLUMNS, category_for, to_minor
from loyaldesk.commerce.importer.report import (
    SKIP_ADJUSTMENT,
    SKIP_NO_PRICE,
    SKIP_NOT_SOLD,
    SKIP_OTHER_FILE,
    SKIP_UNMATCHED,
    ImportReport,
)
from loyaldesk.commerce.schemas import OrderIn, RefundIn
from loyaldesk.kernel.money import check_currency
from loyaldesk.kernel.validation import invalid_from


@dataclass
class Invoice:
    """One invoice of a UCI file: its number, time, customer, country and rows (stock, description,
    quantity, price)."""

    number: str
    placed_at: datetime
    customer: str | None
    country: str | None
    rows: list[tuple[str, str | None, int, int]] = field(
        default_factory=list
    )  # stock, description, qty, price


def uci_invoices(
    tables: Sequence[pa.Table], currency: str, zone: ZoneInfo, report: ImportReport
) -> list[Invoice]:
    """Rows grouped into invoices, oldest first; an invoice found in several files comes from the first."""
    invoices: dict[str, Invoice] = {}
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
                invoice = Invoice(
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
                    to_minor(price, currency),
                )
            )
    ordered = sorted(invoices.values(), key=lambda inv: (inv.placed_at, inv.number))
    report.invoices = len(ordered)
    return ordered


@dataclass
class OpenLine:
    """A purchased line a later cancellation may still take units back from."""

    order_external_id: str
    line_external_id: str
    remaining: int


@dataclass
class Chunk:
    """The orders and refunds written in one transaction, and how many invoices they come from."""

    orders: list[OrderIn] = field(default_factory=list)
    refunds: list[tuple[str, RefundIn]] = field(default_factory=list)  # (order external id, refund)
    invoices: int = 0


# Invoices per transaction. On SQLite a transaction holds the database's only write lock, so a server
# running beside the import waits for each chunk before it can write anything (a chat message, the
# dispatcher's next batch): 500 invoices (about 10,000 lines of the Online Retail data) keep that wait to a
# second or two, where 2,000 held it for several.
CHUNK_INVOICES = 500


def uci_chunks(invoices: list[Invoice], currency: str, status: str, report: ImportReport) -> Iterator[Chunk]:
    """Orders and refunds in time order, a chunk at a time; cancellations matched to earlier lines."""
    open_lines: dict[str, dict[str, list[OpenLine]]] = defaultdict(lambda: defaultdict(list))
    chunk = Chunk()
    for invoice in invoices:
        if chunk.invoices >= CHUNK_INVOICES:
            yield chunk
            chunk = Chunk()
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
                open_lines[invoice.customer][stock].append(OpenLine(invoice.number, line_id, quantity))
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
    invoice: Invoice, open_lines: dict[str, dict[str, list[OpenLine]]], chunk: Chunk, report: ImportReport
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


def orders_chunks(table: pa.Table, report: ImportReport) -> list[Chunk]:
    """Rows of an ``orders`` file grouped into orders by ``order_id``, in chunks; a bad order is counted and
    left out."""
    rows = table.to_pylist()
    report.rows = len(rows)
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(str(row["order_id"]), []).append(row)
    report.invoices = len(grouped)
    chunks = [Chunk()]
    for order_id, order_rows in grouped.items():
        if chunks[-1].invoices >= CHUNK_INVOICES:
            chunks.append(Chunk())
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
                "unit_price": to_minor(row["unit_price"], currency),
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
