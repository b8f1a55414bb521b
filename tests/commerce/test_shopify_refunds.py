"""Refunds from Shopify are applied, never lost: partial refunds take back their share of the points, a
refund asking for more than is left is cut down to what is left with a warning on the order, an older
refund line without ``subtotal`` is priced from its line, a malformed timestamp gives way to the time of
delivery."""

from __future__ import annotations

from datetime import timedelta

import pytest

from loyaldesk.kernel.db import Database
from tests.commerce.conftest import ShopifyStore
from tests.commerce.shopify_payloads import VERSIONS, ShopifyOrder
from tests.factories import table_counts


def garden_order(version: str) -> tuple[ShopifyOrder, int, int]:
    order = ShopifyOrder(version)
    apron = order.line("Linen apron", 4500, 2, tax_rate="0.19")
    pot = order.line("Terracotta pot", 1990, 1, tax_rate="0.19")
    order.shipping("DHL Paket", 495)
    order.discount_code("SPRING20", percent="20")
    return order, apron, pot


def notes_of(order: dict[str, object], kind: str) -> list[str]:
    return [note["message"] for note in order["notes"] if note["kind"] == kind]  # type: ignore[attr-defined, index]


@pytest.mark.parametrize("version", VERSIONS)
def test_partial_refunds_take_back_their_share_and_the_order_follows(
    shopify: ShopifyStore, version: str
) -> None:
    order, apron, _pot = garden_order(version)
    shopify.deliver("orders/create", order.payload(), version=version)
    assert shopify.points(order.customer_id) == (0, 87)  # 72 for the aprons, 15 for the pot

    refund = order.refund({apron: 1}, at=shopify.clock.now())
    # 36.00 for the apron (after its discount) and its 6.84 VAT.
    assert refund["transactions"][0]["amount"] == "42.84"
    assert refund["refund_line_items"][0]["subtotal"] == 36.0
    response = shopify.deliver("refunds/create", refund, version=version)
    assert response.json()["detail"].startswith("refund recorded")

    stored = shopify.order_by_shopify_id(order.id)
    assert (stored["refunded_total"], stored["refund_status"]) == (4284, "partial")
    assert [(line["refunded_quantity"], line["refunded_amount"]) for line in stored["lines"]] == [
        (1, 3600),
        (0, 0),
    ]
    assert stored["refunds"][0]["kind"] == "return" and stored["notes"] == []
    assert shopify.points(order.customer_id) == (0, 51)  # half the aprons' 72 points taken back

    # orders/updated carries the refund too (and, in 2024-10, current_quantity 1): nothing twice.
    shopify.deliver("orders/updated", order.payload(), version=version)
    again = shopify.order_by_shopify_id(order.id)
    assert again["refunded_total"] == 4284 and len(again["refunds"]) == 1 and again["revision"] == 0
    assert shopify.points(order.customer_id) == (0, 51)
    shopify.assert_ledger_clean()


def test_a_refund_asking_for_more_than_is_left_is_clamped_with_a_warning(
    shopify: ShopifyStore, db: Database
) -> None:
    order, apron, _pot = garden_order("2024-10")
    shopify.deliver("orders/create", order.payload())
    shopify.deliver("refunds/create", order.refund({apron: 1}, at=shopify.clock.now()))

    # A second refund for two more aprons (one is left) and more money than is left on the order.
    second = order.refund({apron: 1}, at=shopify.clock.now())
    second["refund_line_items"][0]["quantity"] = 2
    second["refund_line_items"][0]["subtotal"] = 72.0
    second["transactions"][0]["amount"] = "100.00"
    response = shopify.deliver("refunds/create", second)
    body = response.json()
    assert body["outcome"] == "processed" and body["detail"].startswith("refund recorded")
    assert "line 1: asked 2 units, only 1 of 2 are left to refund; 1 unit refunded" in body["notes"]

    stored = shopify.order_by_shopify_id(order.id)
    assert stored["lines"][0]["refunded_quantity"] == 2 and stored["lines"][0]["refunded_amount"] == 7200
    assert stored["refunded_total"] == 10957 and stored["refund_status"] == "full"
    [warning] = notes_of(stored, "warning")
    assert warning.startswith(f"Refund {second['id']} asked for more than was left (recorded): ")
    assert "line 1: asked €72.00, only €36.00 is left to refund on this line; €36.00 refunded" in warning
    assert "asked €100.00, only €66.73 of the order's €109.57 is left to refund; €66.73 refunded" in warning
    assert shopify.points(order.customer_id) == (0, 0)  # fully refunded: every point taken back

    # Nothing is left: a third refund records nothing, says why, and the delivery still succeeds.
    before = table_counts(db, "refunds", "refund_lines", "loyalty_entries")
    third = order.refund({apron: 1}, at=shopify.clock.now())
    response = shopify.deliver("refunds/create", third)
    assert "nothing was left to refund" in response.json()["detail"]
    assert table_counts(db, "refunds", "refund_lines", "loyalty_entries") == before
    stored = shopify.order_by_shopify_id(order.id)
    assert any(f"Refund {third['id']}" in warning for warning in notes_of(stored, "warning"))
    shopify.assert_ledger_clean()


def test_an_older_refund_line_without_subtotal_is_priced_from_its_line(shopify: ShopifyStore) -> None:
    order, _apron, pot = garden_order("2023-01")
    shopify.deliver("orders/create", order.payload(), version="2023-01")
    refund = order.refund({pot: 1}, at=shopify.clock.now())
    for item in refund["refund_line_items"]:
        del item["subtotal"], item["subtotal_set"]
    refund["transactions"] = []  # no money moved in this payload: the lines say what was given back
    response = shopify.deliver("refunds/create", refund, version="2023-01")
    assert (
        "refund_line_items.0.subtotal missing: derived from the line (price x quantity - discounts)"
        in (response.json()["notes"])
    )
    stored = shopify.order_by_shopify_id(order.id)
    # The pot: 19.90 less its 3.98 discount.
    assert stored["lines"][1]["refunded_amount"] == 1592 and stored["refunded_total"] == 1592
    assert notes_of(stored, "note") == [
        f"Refund {refund['id']}: a refunded line has no subtotal (an older payload); its amount is the "
        "line's price times the quantity less the line's discounts, pro rata."
    ]
    assert shopify.points(order.customer_id) == (0, 72)  # the pot's 15 points taken back


def test_a_malformed_refund_timestamp_falls_back_to_the_time_of_delivery(shopify: ShopifyStore) -> None:
    order, apron, _pot = garden_order("2024-10")
    shopify.deliver("orders/create", order.payload())
    shopify.clock.advance(timedelta(days=3))
    refund = order.refund({apron: 1}, at=shopify.clock.now() - timedelta(days=1))
    refund["processed_at"] = "2026-13-45T99:00:00+01:00"
    refund["created_at"] = "yesterday"
    response = shopify.deliver("refunds/create", refund)
    assert response.status_code == 200
    stored = shopify.order_by_shopify_id(order.id)
    assert stored["refunds"][0]["occurred_at"] == shopify.clock.now().isoformat().replace("+00:00", "Z")
    assert any(
        "processed_at '2026-13-45T99:00:00+01:00' is not a valid timestamp" in note
        for note in notes_of(stored, "note")
    )
    assert shopify.points(order.customer_id) == (0, 51)


def test_strict_refunds_through_the_api_say_what_was_asked_and_what_is_left(shopify: ShopifyStore) -> None:
    """The REST API still refuses (the store can fix and resend), naming what was asked and what is left."""
    order, apron, _pot = garden_order("2024-10")
    shopify.deliver("orders/create", order.payload())
    stored = shopify.order_by_shopify_id(order.id)
    path = f"/api/v1/orders/{stored['id']}/refunds"
    line = {"line_external_id": str(apron)}
    cases = [
        (
            {"lines": [{**line, "quantity": 3}]},
            "lines.0.quantity",
            "asked 3 units, only 2 of 2 are left to refund",
        ),
        (
            {"lines": [{**line, "quantity": 1, "amount": 9000}]},
            "lines.0.amount",
            "asked €90.00, only €72.00 is left to refund on this line",
        ),
        ({"amount": 20000}, "amount", "asked €200.00, only €109.57 of the order's €109.57 is left to refund"),
    ]
    for body, field, reason in cases:
        response = shopify.call("POST", path, json={"external_id": "r-strict", **body})
        assert response.status_code == 422, response.text
        assert response.json()["error"]["fields"] == [{"field": field, "reason": reason}]
    assert shopify.order_by_shopify_id(order.id)["refunded_total"] == 0
