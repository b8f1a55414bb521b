"""Commerce vocabularies have one spelling: the API schemas offer exactly the enums' values, the columns
that store them are wide enough, every member has its label, and the rules answer with the enums."""

from __future__ import annotations

import pytest

from loyaldesk.commerce import models, schemas
from loyaldesk.commerce.rules import refund_status
from loyaldesk.commerce.vocab import (
    ORDER_NOTE_KIND_LABELS,
    ORDER_STATUS_LABELS,
    REFUND_KIND_LABELS,
    REFUND_STATUS_LABELS,
    WRITE_OUTCOME_LABELS,
    OrderNoteKind,
    OrderStatus,
    RefundKind,
    RefundStatus,
    WriteOutcome,
)
from tests.vocab_checks import assert_column_holds, assert_labelled, schema_choices, values


@pytest.mark.parametrize(
    ("model", "field", "vocabulary"),
    [
        (schemas.OrderIn, "status", OrderStatus),
        (schemas.OrderOut, "status", OrderStatus),
        (schemas.StatusChangeIn, "status", OrderStatus),
        (schemas.OrderOut, "refund_status", RefundStatus),
        (schemas.RefundIn, "kind", RefundKind),
        (schemas.RefundOut, "kind", RefundKind),
        (schemas.OrderNoteOut, "kind", OrderNoteKind),
        (schemas.BatchItemResult, "outcome", WriteOutcome),
    ],
)
def test_the_api_offers_exactly_the_vocabulary(model, field, vocabulary) -> None:
    assert schema_choices(model, field) == values(vocabulary)


def test_a_single_order_write_offers_every_outcome_but_an_error() -> None:
    # A single write that fails answers with an error status, not an outcome.
    assert schema_choices(schemas.OrderWriteResult, "outcome") == values(WriteOutcome) - {WriteOutcome.ERROR}


@pytest.mark.parametrize(
    ("column", "vocabulary"),
    [
        (models.Order.status, OrderStatus),
        (models.Order.refund_status, RefundStatus),
        (models.Refund.kind, RefundKind),
        (models.OrderNote.kind, OrderNoteKind),
    ],
)
def test_the_columns_hold_every_value(column, vocabulary) -> None:
    assert_column_holds(column, vocabulary)


@pytest.mark.parametrize(
    ("vocabulary", "labels"),
    [
        (OrderStatus, ORDER_STATUS_LABELS),
        (RefundStatus, REFUND_STATUS_LABELS),
        (RefundKind, REFUND_KIND_LABELS),
        (OrderNoteKind, ORDER_NOTE_KIND_LABELS),
        (WriteOutcome, WRITE_OUTCOME_LABELS),
    ],
)
def test_every_value_has_its_label(vocabulary, labels) -> None:
    assert_labelled(vocabulary, labels)


def test_the_refund_status_rule_answers_with_the_vocabulary() -> None:
    answers = {refund_status(1000, refunded) for refunded in (0, 1, 999, 1000, 2000)}
    assert answers == set(RefundStatus)
    assert all(type(answer) is RefundStatus for answer in answers)


def test_new_orders_start_unrefunded_in_the_vocabulary() -> None:
    assert models.Order.refund_status.property.columns[0].default.arg == RefundStatus.NONE
