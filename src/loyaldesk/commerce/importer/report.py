"""What an import did, for its summary, and the reasons rows are left out."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

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
