"""``loyaldesk import products``: the catalogue from a CSV or Parquet file, one product per row.

Columns: ``external_id``, ``title``, ``price`` (a decimal amount: ``24.90``) and ``currency`` (an empty
cell: the store's currency), and optionally ``sku``, ``category``, ``url``, ``image_url``, ``in_stock``
(true/false, yes/no, 1/0), ``inventory_quantity`` (whole number), ``cost`` (a decimal amount, in the row's
currency), ``consumable`` and ``active`` (true/false). An empty optional cell says nothing: the stored value
is kept, as for the API (``in_stock`` follows ``inventory_quantity`` when only the quantity is given).

A bad row (no price, a price that is not an amount, an address that is not http(s), an unknown currency, a
missing title) is reported by its line (CSV: the file's line, the header being line 1; Parquet: the row
number) and left out; the rest is imported, a chunk per transaction. Importing the same file again changes
nothing (products are keyed by ``external_id``; the last row of a repeated id wins).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
from pydantic import ValidationError

from loyaldesk.commerce.actions.products import upsert_products
from loyaldesk.commerce.importer.files import read_table, to_minor
from loyaldesk.commerce.schemas import ProductIn
from loyaldesk.kernel.actors import system_for
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.errors import Invalid
from loyaldesk.kernel.money import check_currency
from loyaldesk.stores import Store

REQUIRED = ("external_id", "title", "price")
OPTIONAL = (
    "currency",
    "sku",
    "category",
    "url",
    "image_url",
    "in_stock",
    "inventory_quantity",
    "cost",
    "consumable",
    "active",
)
FLAGS = ("in_stock", "consumable", "active")
TRUE, FALSE = {"true", "yes", "y", "1", "t"}, {"false", "no", "n", "0", "f"}
CHUNK = 500
MAX_REPORTED = 1000


@dataclass
class ProductImportReport:
    """What a products import did. ``problems`` are ``(line, field, reason)`` of the rows left out."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    problems: list[tuple[int, str, str]] = field(default_factory=list)
    unused_columns: list[str] = field(default_factory=list)
    line_word: str = "line"

    def refuse(self, line: int, where: str, reason: str) -> None:
        self.skipped += 1
        if len(self.problems) < MAX_REPORTED:
            self.problems.append((line, where, reason))


def _read(path: Path) -> tuple[pa.Table, int, str]:
    """The file as a table of text (so that an id such as ``007`` stays itself), the line of its first
    row and how its rows are counted."""
    if path.suffix.lower() in (".parquet", ".pq"):
        return read_table(path), 1, "row"
    if not path.exists():
        raise Invalid.field("file", f"{path} does not exist")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        header = next(csv.reader(handle), [])
    if not header:
        raise Invalid.field("file", "the file is empty (a header line with the column names is needed)")
    options = pa_csv.ConvertOptions(
        column_types={name: pa.string() for name in header}, strings_can_be_null=True
    )
    try:
        return pa_csv.read_csv(path, convert_options=options), 2, "line"
    except pa.ArrowInvalid as error:
        raise Invalid.field("file", f"cannot be read as CSV: {error}") from None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _flag(value: str) -> bool:
    lowered = value.lower()
    if lowered in TRUE:
        return True
    if lowered in FALSE:
        return False
    raise ValueError("must be true or false (yes/no, 1/0)")


def _amount(value: str, currency: str) -> int:
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ValueError("must be a decimal amount such as 24.90") from None
    if not amount.is_finite():
        raise ValueError("must be a decimal amount such as 24.90")
    return to_minor(amount, currency)


def _product(row: dict[str, Any], store_currency: str) -> ProductIn:
    """The row as a ``ProductIn``; ``Invalid`` naming the column of the first problem."""
    cells = {name: _text(row.get(name)) for name in (*REQUIRED, *OPTIONAL)}
    for name in REQUIRED:
        if cells[name] is None:
            raise Invalid.field(name, "is required")
    try:
        currency = check_currency(cells["currency"] or store_currency)
    except Invalid:
        raise Invalid.field("currency", f"{cells['currency']!r} is not a known currency code") from None
    data: dict[str, Any] = {"currency": currency}
    for name, value in cells.items():
        if value is None or name == "currency":
            continue
        try:
            if name in ("price", "cost"):
                data[name] = _amount(value, currency)
            elif name in FLAGS:
                data[name] = _flag(value)
            elif name == "inventory_quantity":
                data[name] = int(value)
            else:
                data[name] = value
        except ValueError as error:
            reason = "must be a whole number" if name == "inventory_quantity" else str(error)
            raise Invalid.field(name, reason) from None
    try:
        return ProductIn.model_validate(data)
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"]) or "row"
        raise Invalid.field(where, str(problem["msg"]).removeprefix("Value error, ")) from None


def _rows(table: pa.Table) -> Iterator[dict[str, Any]]:
    for batch in table.to_batches(max_chunksize=CHUNK):
        yield from batch.to_pylist()


def import_products(
    database: Database,
    store_id: int,
    path: Path,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> ProductImportReport:
    """Import the file's products into the store; bad rows are reported and left out (see the module).
    ``Invalid`` when the file cannot be read or lacks a required column."""
    table, first_line, word = _read(Path(path))
    missing = [name for name in REQUIRED if name not in table.column_names]
    if missing:
        raise Invalid.field(
            "file", f"the file has no {', '.join(missing)} column (columns: {table.column_names})"
        )
    report = ProductImportReport(line_word=word)
    report.unused_columns = [name for name in table.column_names if name not in (*REQUIRED, *OPTIONAL)]
    with database.read() as session:
        store = session.get(Store, store_id)
        if store is None:
            raise Invalid.field("store", "no such store")
        store_currency = store.currency
    chunk: list[ProductIn] = []
    total = table.num_rows
    for index, row in enumerate(_rows(table)):
        report.rows += 1
        try:
            chunk.append(_product(row, store_currency))
        except Invalid as error:
            problem = error.problems[0]
            report.refuse(first_line + index, problem.field, problem.reason)
        if len(chunk) >= CHUNK:
            _write(database, store_id, chunk, report)
            chunk = []
            if progress is not None:
                progress(report.rows, total)
    if chunk:
        _write(database, store_id, chunk, report)
    if progress is not None:
        progress(report.rows, total)
    return report


def _write(database: Database, store_id: int, chunk: list[ProductIn], report: ProductImportReport) -> None:
    result = database.write(upsert_products, system_for(store_id, "import"), store_id, chunk)
    report.created += result.created
    report.updated += result.updated
    report.unchanged += result.unchanged
