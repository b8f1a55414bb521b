"""What a Shopify order is worth, exactly: its lines, discounts, shipping, tax and total, checked to add up.
Pure functions, no I/O.

How Shopify's REST order (API versions 2023-01 to 2024-10) is read:

- **Lines.** ``price`` is the unit price before discounts. A line's discount is the sum of its
  ``discount_allocations`` (discount codes, automatic and manual discounts, each allocated to the lines
  by Shopify); the deprecated line ``total_discount`` is read only when the line has no allocations,
  because Shopify leaves it at 0 for discount codes and some apps fill both. A discount larger than
  its line is cut to the line (Shopify's own test notification has one).
- **Edits.** From 2024-01 a line has ``current_quantity``: its units after removals, refunded units
  included. loyaldesk keeps refunds apart (a refunded unit stays on its line, with its refund), so a line
  counts ``current_quantity`` plus the units the payload's refunds gave back, and its discount in
  proportion. A line with nothing left is not counted.
- **Shipping** is what was charged: each shipping line's ``discounted_price`` (else its price less its
  discount allocations); lines an edit removed (``is_removed``) are not counted.
- **Order-level discounts.** ``total_discounts`` is every discount of the order. What it holds beyond the
  discounts allocated to lines and shipping (older payloads, some apps) is spread over the lines in
  proportion to their value, so that no line is stored at full price when the customer paid less.
- **The check.** The lines less their discounts, plus shipping, plus tax (unless prices include it), plus
  tips, duties and additional fees, must equal Shopify's ``total_price`` (for an edited order, also
  accepted: ``current_total_price`` plus what its refunds gave back). When it does not, the order is kept
  with a warning that shows the sum; when the customer paid less than the lines say, the shortfall is
  taken off the lines, because points are earned on what was paid. Shopify's total is always kept as sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from loyaldesk.commerce.order_notes import NoteIn
from loyaldesk.commerce.shopify_fields import identifier, money, money_field, text, whole_number
from loyaldesk.commerce.vocab import OrderNoteKind
from loyaldesk.kernel.errors import Invalid
from loyaldesk.kernel.money import format_money


@dataclass
class OrderAmounts:
    """The amounts of an order as ``OrderIn`` takes them, and what was noticed on the way."""

    lines: list[dict[str, Any]]
    order_discount: int
    shipping_total: int
    tax_total: int
    taxes_included: bool
    total: int
    order_notes: list[NoteIn] = field(default_factory=list)


@dataclass
class _Line:
    fields: dict[str, Any]
    title: str
    quantity: int  # as ordered
    counted: int  # units loyaldesk counts (after edits' removals)
    gross: int  # unit price x counted
    allocated: int  # Shopify's discounts on the whole line (all units)
    discount: int  # the counted units' share, cut to the line
    unit_price: int = 0


def refunded_units(payload: dict[str, Any]) -> dict[str, int]:
    """Units given back per Shopify line id, over the refunds an order payload carries."""
    units: dict[str, int] = {}
    for refund in payload.get("refunds") or []:
        if not isinstance(refund, dict):
            continue
        for item in refund.get("refund_line_items") or []:
            if not isinstance(item, dict) or item.get("line_item_id") is None:
                continue
            quantity = whole_number(item.get("quantity"))
            if quantity is not None and quantity > 0:
                key = str(item["line_item_id"]).strip()
                units[key] = units.get(key, 0) + quantity
    return units


def refunded_money(payload: dict[str, Any], currency: str) -> int:
    """Money the refunds of an order payload gave back (their successful refund transactions)."""
    total = 0
    for index, refund in enumerate(payload.get("refunds") or []):
        if not isinstance(refund, dict):
            continue
        for position, transaction in enumerate(refund.get("transactions") or []):
            if (
                isinstance(transaction, dict)
                and transaction.get("kind") == "refund"
                and transaction.get("status") in (None, "success")
            ):
                total += money(
                    transaction.get("amount"), currency, f"refunds.{index}.transactions.{position}.amount"
                )
    return total


def line_discount(item: dict[str, Any], where: str, currency: str) -> int:
    """The discounts Shopify allocated to a whole line (see the module's docstring)."""
    allocations = item.get("discount_allocations")
    if isinstance(allocations, list) and allocations:
        total = 0
        for position, allocation in enumerate(allocations):
            if not isinstance(allocation, dict):
                continue
            amount = allocation.get("amount")
            if amount in (None, ""):
                amount = allocation.get("amount_set")
            total += money(amount, currency, f"{where}.discount_allocations.{position}.amount")
        return total
    return money(item.get("total_discount"), currency, f"{where}.total_discount")


def _read_line(
    item: Any, index: int, currency: str, refunded: dict[str, int], notes: list[str], kept: list[NoteIn]
) -> _Line | None:
    where = f"line_items.{index}"
    if not isinstance(item, dict):
        raise Invalid.field(where, "must be an object")
    quantity = whole_number(item.get("quantity"))
    if quantity is None:
        raise Invalid.field(f"{where}.quantity", "must be a whole number")
    if quantity <= 0:
        notes.append(f"{where} skipped: quantity {quantity}")
        return None
    external_id = identifier(item["id"], f"{where}.id") if item.get("id") is not None else None
    title = text(item.get("title") or item.get("name"), 500) or "Untitled item"
    price = item.get("price")
    unit_price = money(
        price if price not in (None, "") else item.get("price_set"), currency, f"{where}.price"
    )
    if unit_price < 0:
        raise Invalid.field(f"{where}.price", "must not be negative")
    counted = quantity
    current = whole_number(item.get("current_quantity"))
    if current is not None and 0 <= current < quantity:
        counted = min(quantity, current + refunded.get(external_id or "", 0))
        if counted < quantity:
            removed = quantity - counted
            kept.append(
                NoteIn(
                    OrderNoteKind.NOTE,
                    "edit",
                    f"{title}: {removed} of {quantity} units were removed by an edit "
                    f"(Shopify's current_quantity); {counted} counted.",
                )
            )
    allocated = line_discount(item, where, currency)
    if counted == 0:
        # Not counted, but its discounts stay in Shopify's total_discounts: they must not be spread.
        notes.append(f"{where} skipped: every unit was removed by an edit")
        return _Line({}, title, quantity, 0, 0, allocated, 0, unit_price)
    discount = allocated * counted // quantity
    gross = unit_price * counted
    if discount > gross:
        notes.append(f"{where} discount clamped to the line's price")
        kept.append(
            NoteIn(
                OrderNoteKind.NOTE,
                "discounts",
                f"{title}: the discount of {format_money(discount, currency)} is more than the line's "
                f"{format_money(gross, currency)}; counted as {format_money(gross, currency)}.",
            )
        )
        discount = gross
    if discount < 0:
        notes.append(f"{where} negative discount ignored")
        discount = 0
    fields = {
        "external_id": external_id,
        "sku": text(item.get("sku"), 255),
        "product_id": text(item.get("product_id"), 255),
        "title": title,
        "category": text(item.get("product_type"), 200),
        "quantity": counted,
        "unit_price": unit_price,
        "discount": discount,
    }
    return _Line(fields, title, quantity, counted, gross, allocated, discount, unit_price)


def _shipping(payload: dict[str, Any], currency: str) -> tuple[int, int]:
    """(what was charged for shipping, the shipping discounts), over the lines not removed."""
    charged = discounts = 0
    for index, line in enumerate(payload.get("shipping_lines") or []):
        if not isinstance(line, dict) or line.get("is_removed") is True:
            continue
        where = f"shipping_lines.{index}"
        price_value = line.get("price")
        price = money(
            price_value if price_value not in (None, "") else line.get("price_set"), currency, where
        )
        discounted_value = line.get("discounted_price")
        if discounted_value in (None, ""):
            discounted_value = line.get("discounted_price_set")
        if discounted_value not in (None, "", {}):
            discounted = money(discounted_value, currency, f"{where}.discounted_price")
        else:
            allocated = line_discount(
                {"discount_allocations": line.get("discount_allocations") or []}, where, currency
            )
            discounted = price - allocated
        discounted = min(max(discounted, 0), max(price, 0)) if price >= 0 else max(discounted, 0)
        charged += discounted
        discounts += max(price - discounted, 0)
    return charged, discounts


def _other_charges(payload: dict[str, Any], currency: str, edited: bool) -> list[tuple[str, int]]:
    """Tips, duties and additional fees: in Shopify's total, not in the lines."""
    charges: list[tuple[str, int]] = []
    tip = money_field(payload, "total_tip_received", currency)
    if tip:
        charges.append(("tip", tip))
    for label, name in (("duties", "total_duties"), ("additional fees", "total_additional_fees")):
        first = ("current" if edited else "original") + f"_{name}_set"
        second = ("original" if edited else "current") + f"_{name}_set"
        value = payload.get(first) if isinstance(payload.get(first), dict) else payload.get(second)
        amount = money(value, currency, first) if isinstance(value, dict) else 0
        if amount:
            charges.append((label, amount))
    return charges


def read_order_amounts(payload: dict[str, Any], currency: str, notes: list[str]) -> OrderAmounts:
    """The order's amounts (see the module's docstring); ``notes`` collects what the response says."""
    kept: list[NoteIn] = []

    def show(minor: int) -> str:
        return format_money(minor, currency)

    refunded = refunded_units(payload)
    read = [
        line
        for index, item in enumerate(payload.get("line_items") or [])
        if (line := _read_line(item, index, currency, refunded, notes, kept)) is not None
    ]
    lines = [line for line in read if line.counted > 0]
    edited = any(line.counted < line.quantity for line in read)
    shipping_total, shipping_discounts = _shipping(payload, currency)
    tax_total = max(money_field(payload, "total_tax", currency) or 0, 0)
    taxes_included = bool(payload.get("taxes_included"))
    charges = _other_charges(payload, currency, edited)
    gross = sum(line.gross for line in lines)
    line_discounts = sum(line.discount for line in lines)

    # Order-level discounts that no line or shipping line carries: spread over the lines.
    order_discount = 0
    total_discounts = money_field(payload, "total_discounts", currency)
    allocated = sum(line.allocated for line in read) + shipping_discounts
    unallocated = (total_discounts or 0) - allocated
    if unallocated > 0 and lines:
        original_gross = sum(line.unit_price * line.quantity for line in read)
        share = unallocated * gross // original_gross if original_gross and edited else unallocated
        order_discount = min(share, gross - line_discounts)
        if order_discount > 0:
            kept.append(
                NoteIn(
                    OrderNoteKind.NOTE,
                    "discounts",
                    f"{show(unallocated)} of the order's discounts ({show(total_discounts or 0)}) was not "
                    f"allocated to its lines by Shopify; {show(order_discount)} is spread over the lines "
                    "in proportion to their value.",
                )
            )

    lines_net = gross - line_discounts - order_discount
    added_tax = 0 if taxes_included else tax_total
    expected = lines_net + shipping_total + added_tax + sum(amount for _, amount in charges)
    total_price = money_field(payload, "total_price", currency)
    candidates = [total_price] if total_price is not None else []
    current_total = money_field(payload, "current_total_price", currency)
    if edited and current_total is not None:
        candidates.append(current_total + refunded_money(payload, currency))
    total = next((candidate for candidate in candidates if candidate == expected), None)
    if total is None and not candidates:
        notes.append("total_price missing: the order's parts are taken as its total")
        total = expected
    if total is None:
        total = candidates[0]
        assert total is not None
        sum_words = f"lines {show(gross)}"
        if line_discounts + order_discount:
            sum_words += f" \N{MINUS SIGN} discounts {show(line_discounts + order_discount)}"
        sum_words += f" + shipping {show(shipping_total)}"
        sum_words += f" + tax {show(added_tax)}" if not taxes_included else " (tax included in prices)"
        for label, amount in charges:
            sum_words += f" + {label} {show(amount)}"
        message = (
            f"The amounts do not add up: {sum_words} = {show(expected)}, but Shopify's total is {show(total)}"
        )
        shortfall = expected - total
        if shortfall > 0:
            taken = min(shortfall, lines_net)
            order_discount += taken
            message += f", {show(shortfall)} less."
            if taken:
                message += (
                    f" {show(taken)} is taken off the lines, so that points are earned on what was paid."
                )
            if taken < shortfall:
                message += f" The other {show(shortfall - taken)} could not be placed on any line."
        else:
            message += (
                f", {show(-shortfall)} more. The total is kept as sent; points are earned on the lines."
            )
        kept.append(NoteIn(OrderNoteKind.WARNING, "amounts", message))
    for label, amount in charges:
        what = (
            f"a tip of {show(amount)}, which earns"
            if label == "tip"
            else f"{label} of {show(amount)}, which earn"
        )
        kept.append(NoteIn(OrderNoteKind.NOTE, "amounts", f"Shopify's total includes {what} no points."))
    if not lines:
        notes.append("no line items: recorded as one line worth nothing")
    if order_discount:
        # The spread cannot exceed what the lines are worth after their own discounts.
        order_discount = min(order_discount, gross - line_discounts)
    return OrderAmounts(
        lines=[line.fields for line in lines],
        order_discount=max(order_discount, 0),
        shipping_total=shipping_total,
        tax_total=tax_total,
        taxes_included=taxes_included,
        total=max(total, 0),
        order_notes=kept,
    )
