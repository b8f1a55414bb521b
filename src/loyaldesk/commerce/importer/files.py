"""Reading import files: each format's columns, the file as a table, its format, amounts in minor units,
and a category guessed from a product's description."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from loyaldesk.kernel.errors import Invalid
from loyaldesk.kernel.money import exponent

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
    """A category for a product that has none, from keywords of its description ("Gifts" otherwise)."""
    text = (description or "").upper()
    for category, keywords in CATEGORY_KEYWORDS:
        if any(keyword in text for keyword in keywords):
            return category
    return "Gifts"


def read_table(path: Path) -> pa.Table:
    """A file as an Arrow table; Parquet by suffix, CSV otherwise."""
    if not path.exists():
        raise Invalid.field("files", f"{path} does not exist")
    if path.suffix.lower() in (".parquet", ".pq"):
        return pq.read_table(path)
    return pa_csv.read_csv(path)


def detect_format(table: pa.Table) -> str:
    """``uci`` or ``orders``, by the table's columns; ``Invalid`` when they fit neither."""
    names = set(table.column_names)
    if {"StockCode", "Quantity", "InvoiceDate"} <= names:
        return "uci"
    if names >= ORDER_COLUMNS:
        return "orders"
    raise Invalid.field("format", f"cannot tell the file's format from its columns {sorted(names)}")


def to_minor(value: Any, currency: str) -> int:
    """Decimal amount to minor units, rounding half-even: source data has sub-penny prices (0.001)."""
    amount = Decimal(str(value)).scaleb(exponent(currency))
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
