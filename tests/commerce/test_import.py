"""``loyaldesk import`` of the UCI Online Retail files and of one-row-per-line CSV files."""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from loyaldesk.commerce.importer import import_orders
from loyaldesk.commerce.models import Order, OrderLine, Refund, RefundLine
from loyaldesk.customers.models import Customer
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.errors import Invalid
from tests.factories import StoreHandle, table_counts

DATA = Path(__file__).resolve().parent.parent / "data" / "online_retail"
FILES = [DATA / "online_retail_II_sample.parquet", DATA / "online_retail_sample.parquet"]


def _expected_orders() -> dict[str, int]:
    """Invoice number -> total in pence, computed straight from the files (first file wins)."""
    totals: dict[str, int] = {}
    owner: dict[str, int] = {}
    for index, path in enumerate(FILES):
        for row in pq.read_table(path).to_pylist():
            number = row.get("InvoiceNo") or row.get("Invoice")
            if owner.setdefault(number, index) != index or number[0] in "CA":
                continue
            price = row.get("UnitPrice", row.get("Price"))
            if row["Quantity"] <= 0 or price < 0:
                continue
            pence = int((Decimal(str(price)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
            totals[number] = totals.get(number, 0) + row["Quantity"] * pence
    return totals


def test_uci_files_import_with_cancellations_as_refunds(db: Database, store: StoreHandle) -> None:
    progress: list[tuple[int, int]] = []
    report = import_orders(db, store.id, FILES, progress=lambda done, total: progress.append((done, total)))
    expected = _expected_orders()
    assert report.orders_created == len(expected) and report.orders_failed == 0
    assert report.rows_in_other_file > 0  # the overlapping invoices were read once
    assert progress[-1][0] == progress[-1][1] == report.invoices
    with db.read() as session:
        orders = {o.external_id: o for o in session.scalars(select(Order).where(Order.store_id == store.id))}
        assert {number: order.total for number, order in orders.items()} == expected
        assert all(order.currency == "GBP" and order.status == "delivered" for order in orders.values())
        guests = [order for order in orders.values() if order.customer_id is None]
        assert len(guests) == 3
        assert session.scalar(select(func.count()).select_from(Customer)) == 8
        # A cancellation refunds earlier lines of the same customer and stock code, never more than bought.
        refunds = list(session.scalars(select(Refund)))
        assert len(refunds) == report.refunds_recorded > 0
        for refund in refunds:
            order = session.get(Order, refund.order_id)
            assert order is not None and order.placed_at <= refund.occurred_at
            assert refund.amount <= order.total
        for line in session.scalars(select(OrderLine)):
            assert 0 <= line.refunded_quantity <= line.quantity
        refunded = defaultdict(int)
        for refund_line in session.scalars(select(RefundLine)):
            refunded[refund_line.order_line_id] += refund_line.quantity
        for line_id, quantity in refunded.items():
            assert session.get(OrderLine, line_id).refunded_quantity == quantity
        categories = set(session.scalars(select(OrderLine.category)))
    assert "Christmas" in categories or "Kitchen" in categories


def test_importing_again_changes_nothing(db: Database, store: StoreHandle) -> None:
    import_orders(db, store.id, FILES)
    before = table_counts(db, "orders", "order_lines", "refunds", "customers", "domain_events")
    again = import_orders(db, store.id, list(reversed(FILES)))
    assert again.orders_created == 0 and again.refunds_recorded == 0
    assert table_counts(db, "orders", "order_lines", "refunds", "customers", "domain_events") == before


def test_one_row_per_line_csv(tmp_path: Path, db: Database, store: StoreHandle) -> None:
    csv = tmp_path / "orders.csv"
    csv.write_text(
        "order_id,placed_at,customer_id,email,currency,sku,title,category,quantity,unit_price,status\n"
        "A1,2026-01-05T10:00:00+00:00,c1,ann@example.com,EUR,TEE,Tee,Apparel,2,19.99,delivered\n"
        "A1,2026-01-05T10:00:00+00:00,c1,ann@example.com,EUR,MUG,Mug,Home,1,8.50,delivered\n"
        "A2,2026-02-05T10:00:00+00:00,c2,,EUR,TEE,Tee,Apparel,1,19.99,paid\n"
    )
    report = import_orders(db, store.id, [csv])
    assert report.orders_created == 2 and report.lines == 3
    with db.read() as session:
        totals = dict(session.execute(select(Order.external_id, Order.total)).all())
    assert totals == {"A1": 2 * 1999 + 850, "A2": 1999}


def test_unknown_files_are_refused_clearly(tmp_path: Path, db: Database, store: StoreHandle) -> None:
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    with pytest.raises(Invalid) as raised:
        import_orders(db, store.id, [other])
    assert "cannot tell the file's format" in raised.value.problems[0].reason
    with pytest.raises(Invalid):
        import_orders(db, store.id, [tmp_path / "missing.parquet"])


def test_the_import_command(
    monkeypatch: pytest.MonkeyPatch, database_url: str, db: Database, store: StoreHandle
) -> None:
    from loyaldesk.cli import app
    from loyaldesk.settings import get_settings

    monkeypatch.setenv("LOYALDESK_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["import", "orders", *map(str, FILES), "--store", "acme"])
        missing = CliRunner().invoke(app, ["import", "orders", str(FILES[0]), "--store", "nope"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "orders created" in result.output and "refunds recorded" in result.output
    assert missing.exit_code == 1 and "no store 'nope'" in missing.output
