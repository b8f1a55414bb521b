"""Pure commerce rules, tested exhaustively: lifecycle transitions, totals, allocation, refunds."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyaldesk.commerce.rules import (
    PATH,
    LineAmounts,
    LineRefundRequest,
    LineRefundState,
    OrderStatus,
    TransitionKind,
    allocate,
    allocate_refund,
    order_totals,
    pro_rata_line_amount,
    refund_status,
    stages_reached,
    transition,
)
from loyaldesk.kernel.errors import Invalid

S = OrderStatus


@pytest.mark.parametrize(("current", "target"), list(itertools.product(OrderStatus, OrderStatus)))
def test_every_transition_has_one_meaning(current: OrderStatus, target: OrderStatus) -> None:
    step = transition(current, target)
    if current == target:
        assert step.kind == TransitionKind.NOOP
    elif target == S.CANCELLED:
        expected = TransitionKind.REFUSED if current == S.DELIVERED else TransitionKind.ADVANCE
        assert step.kind == expected
    elif current == S.CANCELLED:
        assert step.kind == TransitionKind.REFUSED
    elif PATH.index(target) < PATH.index(current):
        assert step.kind == TransitionKind.STALE
    else:
        assert step.kind == TransitionKind.ADVANCE
        # Every stage between is passed, in order, ending at the target.
        assert step.stages == PATH[PATH.index(current) + 1 : PATH.index(target) + 1]
    if step.kind == TransitionKind.REFUSED:
        assert step.reason


def test_a_new_order_has_passed_every_earlier_stage() -> None:
    assert stages_reached(S.PLACED) == (S.PLACED,)
    assert stages_reached(S.DELIVERED) == (S.PLACED, S.PAID, S.FULFILLED, S.DELIVERED)
    assert stages_reached(S.CANCELLED) == (S.PLACED, S.CANCELLED)


@given(st.integers(0, 10**9), st.lists(st.integers(0, 10**6), min_size=1, max_size=30))
def test_allocation_always_adds_up_and_is_proportional(amount: int, weights: list[int]) -> None:
    shares = allocate(amount, weights)
    assert sum(shares) == amount
    assert all(share >= 0 for share in shares)
    total = sum(weights) or len(weights)
    effective = weights if sum(weights) else [1] * len(weights)
    for share, weight in zip(shares, effective, strict=True):
        assert abs(share - amount * weight / total) < 1  # never more than one cent from exact


def test_order_totals_by_hand() -> None:
    totals = order_totals(
        [LineAmounts(2, 2500, 0), LineAmounts(1, 1200, 200)],
        order_discount=600,
        shipping_total=495,
        tax_total=100,
        taxes_included=False,
    )
    # 600 spread over 5000 and 1000: 500 and 100.
    assert totals.line_discounts == (500, 300)
    assert totals.line_totals == (4500, 900)
    assert totals.subtotal == 5400 and totals.discount_total == 800
    assert totals.total == 5400 + 495 + 100
    assert order_totals([LineAmounts(1, 1000, 0)], tax_total=174, taxes_included=True).total == 1000
    assert order_totals([LineAmounts(1, 1000, 0)], total=1234).total == 1234


@pytest.mark.parametrize(
    ("lines", "kwargs", "field"),
    [
        ([LineAmounts(0, 100, 0)], {}, "lines.0.quantity"),
        ([LineAmounts(1, -1, 0)], {}, "lines.0.unit_price"),
        ([LineAmounts(1, 100, 101)], {}, "lines.0.discount"),
        ([LineAmounts(1, 100, 0)], {"shipping_total": -1}, "shipping_total"),
        ([LineAmounts(1, 100, 0)], {"order_discount": 101}, "order_discount"),
        ([LineAmounts(1, 100, 0)], {"total": -1}, "total"),
    ],
)
def test_inconsistent_amounts_name_the_field(lines: list[LineAmounts], kwargs: dict, field: str) -> None:
    with pytest.raises(Invalid) as raised:
        order_totals(lines, **kwargs)
    assert field in [problem.field for problem in raised.value.problems]


@given(st.integers(1, 50), st.integers(0, 10**6), st.lists(st.integers(1, 5), min_size=1, max_size=50))
def test_refunding_every_unit_in_any_steps_gives_back_exactly_the_line(
    quantity: int, total: int, steps: list[int]
) -> None:
    refunded_quantity = refunded_amount = 0
    for step in steps:
        take = min(step, quantity - refunded_quantity)
        if take == 0:
            break
        line = LineRefundState(quantity, total, refunded_quantity, refunded_amount)
        amount = pro_rata_line_amount(line, take)
        assert 0 <= amount <= total - refunded_amount
        refunded_quantity += take
        refunded_amount += amount
    if refunded_quantity < quantity:
        line = LineRefundState(quantity, total, refunded_quantity, refunded_amount)
        refunded_amount += pro_rata_line_amount(line, quantity - refunded_quantity)
    assert refunded_amount == total


def test_refund_allocation_checks_what_is_left() -> None:
    lines = [LineRefundState(2, 5000, 1, 2500), LineRefundState(1, 1000, 0, 0)]
    allocation = allocate_refund(
        lines, [LineRefundRequest(0, 1), LineRefundRequest(1, 1)], order_total=6495, order_refunded=2500
    )
    assert allocation.line_amounts == ((0, 1, 2500), (1, 1, 1000))
    assert allocation.amount == 3500
    with_shipping = allocate_refund(
        lines, [LineRefundRequest(1, 1)], order_total=6495, order_refunded=2500, amount=1495
    )
    assert with_shipping.amount == 1495 and with_shipping.lines_amount == 1000
    problems = [
        ([LineRefundRequest(0, 2)], None, "lines.0.quantity"),
        ([LineRefundRequest(5, 1)], None, "lines.0"),
        ([LineRefundRequest(1, 1), LineRefundRequest(1, 1)], None, "lines.1"),
        ([LineRefundRequest(1, 1, amount=1001)], None, "lines.0.amount"),
        ([], 4000, "amount"),
        ([], 0, "amount"),
    ]
    for requests, amount, field in problems:
        with pytest.raises(Invalid) as raised:
            allocate_refund(lines, requests, order_total=6495, order_refunded=2500, amount=amount)
        assert raised.value.problems[0].field == field


def test_refund_status() -> None:
    assert [refund_status(100, r) for r in (0, 1, 99, 100, 150)] == [
        "none",
        "partial",
        "partial",
        "full",
        "full",
    ]
