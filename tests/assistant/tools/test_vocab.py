"""The tools' vocabularies have one spelling: the API offers exactly the enum's values, the column that
stores it is wide enough, and every member has its label."""

from __future__ import annotations

from loyaldesk.assistant.tools.models import ReturnRequest
from loyaldesk.assistant.tools.vocab import (
    ORDER_CHANGE_KIND_LABELS,
    RETURN_STATUS_LABELS,
    OrderChangeKind,
    ReturnStatus,
)
from loyaldesk.web.api.return_requests import ReturnRequestOut
from tests.vocab_checks import assert_column_holds, assert_labelled, schema_choices, values


def test_return_statuses_are_spelled_once() -> None:
    assert schema_choices(ReturnRequestOut, "status") == values(ReturnStatus)
    assert_column_holds(ReturnRequest.status, ReturnStatus)
    assert_labelled(ReturnStatus, RETURN_STATUS_LABELS)
    assert_labelled(OrderChangeKind, ORDER_CHANGE_KIND_LABELS)
