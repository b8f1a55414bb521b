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

``loyaldesk import products FILE`` reads the catalogue (``importer.products``): one product per row, bad
rows reported by line and left out.
"""

from loyaldesk.commerce.importer.files import category_for, detect_format, read_table
from loyaldesk.commerce.importer.products import ProductImportReport, import_products
from loyaldesk.commerce.importer.report import ImportReport
from loyaldesk.commerce.importer.writing import import_orders

__all__ = [
    "ImportReport",
    "ProductImportReport",
    "category_for",
    "detect_format",
    "import_orders",
    "import_products",
    "read_table",
]
