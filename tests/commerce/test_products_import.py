"""``loyaldesk import products``: the catalogue from CSV or Parquet; bad rows reported by line and left
out, the rest imported, the same file again changes nothing."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from loyaldesk.commerce.importer import import_products
from loyaldesk.commerce.models import Product
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.errors import Invalid
from tests.factories import StoreHandle

HEADER = "external_id,title,price,currency,sku,category,url,image_url,in_stock,inventory_quantity,cost"
BEANS = "007,Coffee beans 1 kg,24.90,EUR,BEANS-1KG,Coffee,https://shop.example/p/beans,https://cdn.shop.example/b.jpg"
CSV = f"""{HEADER},consumable,active,colour
{BEANS},,12,11.00,yes,,brown
p-2,Paper filters,3.5,,FILT,Coffee,,,false,,,true,,
p-3,No price here,,EUR,,,,,,,,,,
p-4,Bad address,9.99,EUR,,,javascript:alert(1),,,,,,,
p-5,Odd money,9.99,XXY,,,,,,,,,,
p-6,Mystery stock,4.00,EUR,,,,,maybe,,,,,
p-7,Grinder,89,EUR,GRIND,Equipment,,,,,,,no,
p-8,Half a unit,5,EUR,,,,,,1.5,,,,
,No id,5,EUR,,,,,,,,,,
"""


def products(db: Database, store: StoreHandle) -> dict[str, Product]:
    with db.read() as session:
        return {
            p.external_id: p for p in session.scalars(select(Product).where(Product.store_id == store.id))
        }


def test_good_rows_import_and_bad_rows_are_reported_by_line(
    db: Database, store: StoreHandle, tmp_path: Path
) -> None:
    path = tmp_path / "catalogue.csv"
    path.write_text(CSV)
    report = import_products(db, store.id, path)
    assert (report.rows, report.created, report.skipped) == (9, 3, 6)
    assert report.unused_columns == ["colour"]
    assert [(line, where) for line, where, _ in report.problems] == [
        (4, "price"),
        (5, "url"),
        (6, "currency"),
        (7, "in_stock"),
        (9, "inventory_quantity"),
        (10, "external_id"),
    ]
    reasons = {where: reason for _, where, reason in report.problems}
    assert "http" in reasons["url"] and "XXY" in reasons["currency"] and "required" in reasons["price"]
    found = products(db, store)
    assert set(found) == {"007", "p-2", "p-7"}  # "007" stays text, not the number 7
    beans = found["007"]
    assert (beans.price, beans.currency, beans.cost, beans.sku, beans.category) == (
        2490,
        "EUR",
        1100,
        "BEANS-1KG",
        "Coffee",
    )
    assert (beans.in_stock, beans.inventory_quantity, beans.consumable, beans.active) == (
        True,
        12,
        True,
        True,
    )
    assert beans.url == "https://shop.example/p/beans"
    filters = found["p-2"]
    assert (filters.price, filters.currency, filters.in_stock, filters.inventory_quantity) == (
        350,
        "EUR",
        False,
        None,
    )
    assert found["p-7"].active is False and found["p-7"].in_stock is None  # no stock information: unknown

    again = import_products(db, store.id, path)
    assert (again.created, again.updated, again.unchanged, again.skipped) == (0, 0, 3, 6)


def test_parquet_rows_are_counted_from_one(db: Database, store: StoreHandle, tmp_path: Path) -> None:
    path = tmp_path / "catalogue.parquet"
    table = pa.table(
        {
            "external_id": ["a", "b"],
            "title": ["Tea", "Cup"],
            "price": [4.5, None],
            "currency": ["GBP", "GBP"],
            "inventory_quantity": [0, 3],
        }
    )
    pq.write_table(table, path)
    report = import_products(db, store.id, path)
    assert (report.created, report.skipped, report.line_word) == (1, 1, "row")
    assert report.problems[0][:2] == (2, "price")
    tea = products(db, store)["a"]
    assert (tea.price, tea.currency, tea.in_stock, tea.inventory_quantity) == (450, "GBP", False, 0)


def test_a_file_without_the_needed_columns_is_refused(
    db: Database, store: StoreHandle, tmp_path: Path
) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("order_id,title\n1,Tea\n")
    with pytest.raises(Invalid) as raised:
        import_products(db, store.id, path)
    assert "external_id" in raised.value.problems[0].reason and "price" in raised.value.problems[0].reason
    with pytest.raises(Invalid):
        import_products(db, store.id, tmp_path / "missing.csv")
    assert products(db, store) == {}


def test_the_products_command(
    monkeypatch: pytest.MonkeyPatch, database_url: str, db: Database, store: StoreHandle, tmp_path: Path
) -> None:
    from loyaldesk.cli import app
    from loyaldesk.settings import get_settings

    path = tmp_path / "catalogue.csv"
    path.write_text(CSV)
    monkeypatch.setenv("LOYALDESK_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["import", "products", str(path), "--store", store.slug])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2, result.output  # rows were left out
    assert "products created" in result.output
    assert "line 4: price is required; left out" in result.output
    assert "Columns not used: colour" in result.output
    assert set(products(db, store)) == {"007", "p-2", "p-7"}
