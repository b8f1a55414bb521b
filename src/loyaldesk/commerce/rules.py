"""Pure rules of commerce: the order lifecycle, line and order totals, refund allocation. No I/O.

Money is integer minor units throughout; every split is exact (the parts always add up to the whole).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from loyaldesk.commerce.vocab import OrderStatus, RefundStatus
from loyaldesk.kernel.errors import FieldProblem, Invalid

# The forward path of an order; cancelled sits beside it.
PATH: tuple[OrderStatus, ...] = (
    OrderStatus.PLACED,
    OrderStatus.PAID,
    OrderStatus.FULFILLED,
    OrderStatus.DELIVERED,
)
CANCELLABLE = frozenset({OrderStatus.PLACED, OrderStatus.PAID, OrderStatus.FULFILLED})

# No order is worth more than this many minor units (ten trillion in major units); it keeps every sum
# far inside a 64-bit integer on both databases.
MAX_AMOUNT = 10**15


class TransitionKind(StrEnum):
    NOOP = "noop"  # already there
    ADVANCE = "advance"  # moves forward (or cancels); ``stages`` lists each stage reached, in order
    STALE = "stale"  # an older state than the current one: ignore (webhooks arrive out of order)
    REFUSED = "refused"  # impossible: a delivered order cannot be cancelled, a cancelled one not shipped


@dataclass(frozen=True)
class Transition:
    kind: TransitionKind
    stages: tuple[OrderStatus, ...] = ()
    reason: str = ""


def transition(current: OrderStatus, target: OrderStatus) -> Transition:
    """What moving an order from ``current`` to ``target`` means.

    Moving forward passes every stage between: an order that goes from placed to delivered was paid and
    fulfilled on the way, and each of those stages is reported so that its event is emitted.
    """
    if current == target:
        return Transition(TransitionKind.NOOP)
    if target == OrderStatus.CANCELLED:
        if current in CANCELLABLE:
            return Transition(TransitionKind.ADVANCE, (OrderStatus.CANCELLED,))
        return Transition(
            TransitionKind.REFUSED, reason="a delivered order is returned or refunded, not cancelled"
        )
    if current == OrderStatus.CANCELLED:
        return Transition(TransitionKind.REFUSED, reason="the order was cancelled")
    here, there = PATH.index(current), PATH.index(target)
    if there < here:
        return Transition(TransitionKind.STALE, reason=f"the order is already {current.value}")
    return Transition(TransitionKind.ADVANCE, PATH[here + 1 : there + 1])


def stages_reached(target: OrderStatus) -> tuple[OrderStatus, ...]:
    """Every stage a new order has passed to be created in ``target`` (placed first)."""
    if target == OrderStatus.CANCELLED:
        return (OrderStatus.PLACED, OrderStatus.CANCELLED)
    return PATH[: PATH.index(target) + 1]


@dataclass(frozen=True)
class LineAmounts:
    quantity: int
    unit_price: int
    discount: int

    @property
    def gross(self) -> int:
        return self.quantity * self.unit_price

    @property
    def total(self) -> int:
        return self.gross - self.discount


def allocate(amount: int, weights: Sequence[int]) -> list[int]:
    """Split ``amount`` in proportion to ``weights`` by largest remainder; the parts sum to ``amount``.

    Zero total weight splits evenly. Ties in the remainder go to the earliest position, so the result is
    deterministic.
    """
    if amount < 0:
        raise ValueError("amount must not be negative")
    if not weights:
        if amount:
            raise ValueError("cannot allocate a non-zero amount over nothing")
        return []
    total_weight = sum(weights)
    if total_weight == 0:
        weights = [1] * len(weights)
        total_weight = len(weights)
    shares = [amount * weight // total_weight for weight in weights]
    remainders = [amount * weight % total_weight for weight in weights]
    leftover = amount - sum(shares)
    for position in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:leftover]:
        shares[position] += 1
    return shares


@dataclass(frozen=True)
class OrderTotals:
    line_discounts: tuple[int, ...]
    line_totals: tuple[int, ...]
    subtotal: int
    discount_total: int
    shipping_total: int
    tax_total: int
    total: int


def order_totals(
    lines: Sequence[LineAmounts],
    *,
    order_discount: int = 0,
    shipping_total: int = 0,
    tax_total: int = 0,
    taxes_included: bool = False,
    total: int | None = None,
) -> OrderTotals:
    """Totals of an order in minor units. ``Invalid`` names each inconsistent field.

    An order-level discount is spread over the lines in proportion to what is left of each, so that
    every discount belongs to a line and a refund of a line gives back exactly what was paid for it.
    ``total`` defaults to subtotal + shipping + tax (tax not added again when prices include it); a store
    may send its own total (duties, tips), which must not be negative.
    """
    problems: list[FieldProblem] = []
    for index, line in enumerate(lines):
        if line.quantity <= 0:
            problems.append(FieldProblem(f"lines.{index}.quantity", "must be at least 1"))
        if line.unit_price < 0:
            problems.append(FieldProblem(f"lines.{index}.unit_price", "must not be negative"))
        if line.discount < 0:
            problems.append(FieldProblem(f"lines.{index}.discount", "must not be negative"))
        elif line.quantity > 0 and line.unit_price >= 0 and line.discount > line.gross:
            problems.append(FieldProblem(f"lines.{index}.discount", "is more than the line's price"))
    for name, value in (
        ("order_discount", order_discount),
        ("shipping_total", shipping_total),
        ("tax_total", tax_total),
    ):
        if value < 0:
            problems.append(FieldProblem(name, "must not be negative"))
    if total is not None and total < 0:
        problems.append(FieldProblem("total", "must not be negative"))
    if problems:
        raise Invalid("the order's amounts are not consistent", problems)
    left = [line.total for line in lines]
    if order_discount > sum(left):
        raise Invalid.field("order_discount", "is more than the lines are worth")
    if any(line.gross > MAX_AMOUNT for line in lines) or sum(left) > MAX_AMOUNT:
        raise Invalid.field("lines", f"the order is worth more than {MAX_AMOUNT} minor units")
    extra = allocate(order_discount, left) if lines else []
    discounts = tuple(line.discount + share for line, share in zip(lines, extra, strict=True))
    line_totals = tuple(line.gross - discount for line, discount in zip(lines, discounts, strict=True))
    subtotal = sum(line_totals)
    computed_total = subtotal + shipping_total + (0 if taxes_included else tax_total)
    return OrderTotals(
        line_discounts=discounts,
        line_totals=line_totals,
        subtotal=subtotal,
        discount_total=sum(discounts),
        shipping_total=shipping_total,
        tax_total=tax_total,
        total=computed_total if total is None else total,
    )


@dataclass(frozen=True)
class LineRefundState:
    """What a line was and what has been given back on it already."""

    quantity: int
    total: int
    refunded_quantity: int
    refunded_amount: int


@dataclass(frozen=True)
class LineRefundRequest:
    line_index: int
    quantity: int
    amount: int | None = None  # default: the line's own price for those units, pro rata


@dataclass(frozen=True)
class RefundAllocation:
    line_amounts: tuple[tuple[int, int, int], ...]  # (line_index, quantity, amount)
    lines_amount: int
    amount: int
    # In clamp mode, what was cut down to what was left, in words (empty otherwise).
    clamped: tuple[str, ...] = ()

    @property
    def gives_back_anything(self) -> bool:
        return self.amount > 0 or any(quantity > 0 for _, quantity, _ in self.line_amounts)


def pro_rata_line_amount(line: LineRefundState, quantity: int) -> int:
    """What ``quantity`` more units of the line are worth, so that refunding every unit, in any number of
    steps, gives back exactly the line's total."""
    before = line.total * line.refunded_quantity // line.quantity
    after = line.total * (line.refunded_quantity + quantity) // line.quantity
    return after - before


def _units(count: int) -> str:
    return f"{count} unit" if count == 1 else f"{count} units"


def allocate_refund(
    lines: Sequence[LineRefundState],
    requests: Sequence[LineRefundRequest],
    *,
    order_total: int,
    order_refunded: int,
    amount: int | None = None,
    clamp: bool = False,
    money: Callable[[int], str] = str,
) -> RefundAllocation:
    """Check a refund against what is left to refund, and work out each line's share.

    ``amount`` is the money given back in all; it defaults to the lines' amounts and may be more (a
    refunded shipping fee) or less (a partial goodwill refund on returned goods) but never more than what
    is left of the order's total.

    Strict (the default): asking for more than is left is ``Invalid``, each problem naming what was asked
    and what is left. With ``clamp`` (a store that has already given the money back, such as Shopify,
    whose refund must not be lost): each part is cut down to what is left and ``clamped`` says how, in
    words; the result may then give back nothing (``gives_back_anything``), which the caller reports.
    Requests that name no line of the order, or a line twice, are refused either way. ``money`` formats
    an amount of minor units for the messages.
    """
    problems: list[FieldProblem] = []
    clamped: list[str] = []
    seen: set[int] = set()
    line_amounts: list[tuple[int, int, int]] = []
    for position, request in enumerate(requests):
        where = f"lines.{position}"
        if not (0 <= request.line_index < len(lines)):
            problems.append(FieldProblem(where, "names no line of this order"))
            continue
        if request.line_index in seen:
            problems.append(FieldProblem(where, "names the same line twice"))
            continue
        seen.add(request.line_index)
        line = lines[request.line_index]
        left_quantity = line.quantity - line.refunded_quantity
        quantity = request.quantity
        if quantity < 0 or (quantity == 0 and request.amount is None):
            problems.append(FieldProblem(f"{where}.quantity", "must be at least 1"))
            continue
        if quantity > left_quantity:
            told = f"asked {_units(quantity)}, only {left_quantity} of {line.quantity} are left to refund"
            if not clamp:
                problems.append(FieldProblem(f"{where}.quantity", told))
                continue
            clamped.append(f"line {request.line_index + 1}: {told}; {_units(left_quantity)} refunded")
            quantity = left_quantity
        left_amount = line.total - line.refunded_amount
        line_amount = pro_rata_line_amount(line, quantity) if request.amount is None else request.amount
        if line_amount < 0:
            problems.append(FieldProblem(f"{where}.amount", "must not be negative"))
            continue
        if line_amount > left_amount:
            told = f"asked {money(line_amount)}, only {money(left_amount)} is left to refund on this line"
            if not clamp:
                problems.append(FieldProblem(f"{where}.amount", told))
                continue
            clamped.append(f"line {request.line_index + 1}: {told}; {money(left_amount)} refunded")
            line_amount = left_amount
        if quantity > 0 or line_amount > 0:
            line_amounts.append((request.line_index, quantity, line_amount))
    if problems:
        raise Invalid("the refund does not fit the order", problems)
    lines_amount = sum(part for _, _, part in line_amounts)
    refund_amount = lines_amount if amount is None else amount
    left = order_total - order_refunded
    if refund_amount < 0:
        raise Invalid.field("amount", "must not be negative")
    if refund_amount > left:
        told = (
            f"asked {money(refund_amount)}, only {money(left)} of the order's {money(order_total)}"
            " is left to refund"
        )
        if not clamp:
            raise Invalid.field("amount", told)
        clamped.append(f"{told}; {money(max(left, 0))} refunded")
        refund_amount = max(left, 0)
    if refund_amount == 0 and not line_amounts and not clamp:
        raise Invalid.field("amount", "a refund gives back something: an amount or some lines")
    return RefundAllocation(tuple(line_amounts), lines_amount, refund_amount, tuple(clamped))


def refund_status(total: int, refunded_total: int) -> RefundStatus:
    """How much of an order of ``total`` is refunded once ``refunded_total`` has been given back."""
    if refunded_total <= 0:
        return RefundStatus.NONE
    if refunded_total >= total:
        return RefundStatus.FULL
    return RefundStatus.PARTIAL
