"""Shopify's money, exactly: discounts as Shopify allocates them, totals that add up (or a visible warning),
points earned on what the customer paid. Deliveries are built from Shopify's documented shapes, in API
versions 2023-01 and 2024-10, and sent over HTTP with Shopify's headers and signature."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from loyaldesk.kernel.db import Database
from loyaldesk.loyalty.actions import reconcile_orders as loyalty_orders
from tests.commerce.conftest import SHOPIFY_SECRET, ShopifyStore
from tests.commerce.shopify_payloads import VERSIONS, ShopifyOrder, envelope
from tests.factories import StoreHandle, login, make_staff, make_store

DATA = Path(__file__).resolve().parent.parent / "data" / "shopify"


def spring_order(version: str) -> tuple[ShopifyOrder, int, int]:
    """Two aprons and a pot with the code SPRING20 (20% off every line), 19% VAT on top, DHL shipping."""
    order = ShopifyOrder(version)
    apron = order.line("Linen apron", 4500, 2, tax_rate="0.19")
    pot = order.line("Terracotta pot", 1990, 1, tax_rate="0.19")
    order.shipping("DHL Paket", 495)
    order.discount_code("SPRING20", percent="20")
    return order, apron, pot


def warnings(order: dict[str, Any]) -> list[str]:
    return [note["message"] for note in order["notes"] if note["kind"] == "warning"]


@pytest.mark.parametrize("version", VERSIONS)
def test_a_discount_code_is_read_from_its_allocations_and_points_are_earned_on_what_was_paid(
    shopify: ShopifyStore, version: str
) -> None:
    order, _apron, _pot = spring_order(version)
    body = order.payload()
    # What Shopify sends: the code's 20% sits in the lines' discount_allocations, total_discount stays 0.
    assert [item["total_discount"] for item in body["line_items"]] == ["0.00", "0.00"]
    assert [item["discount_allocations"][0]["amount"] for item in body["line_items"]] == ["18.00", "3.98"]
    assert (body["total_discounts"], body["total_tax"], body["total_price"]) == ("21.98", "16.70", "109.57")

    response = shopify.deliver("orders/create", body, version=version)
    assert response.json()["outcome"] == "processed"

    stored = shopify.order_by_shopify_id(order.id)
    assert [(line["unit_price"], line["discount"], line["total"]) for line in stored["lines"]] == [
        (4500, 1800, 7200),
        (1990, 398, 1592),
    ]
    assert (stored["subtotal"], stored["discount_total"], stored["shipping_total"]) == (8792, 2198, 495)
    assert (stored["tax_total"], stored["total"]) == (1670, 10957)
    assert stored["discount_codes"] == ["SPRING20"] and stored["notes"] == []
    # 1 point per euro paid for the goods (87.92), not per euro of their list price (109.90).
    assert shopify.points(order.customer_id) == (0, 87)


@pytest.mark.parametrize("version", VERSIONS)
def test_automatic_manual_and_shipping_discounts_with_taxes_included_and_a_tip_add_up(
    shopify: ShopifyStore, version: str
) -> None:
    order = ShopifyOrder(version, taxes_included=True)
    seeds = order.line("Tomato seeds", 350, 4, tax_rate="0.07")
    shears = order.line("Pruning shears", 2990, 1, tax_rate="0.19")
    order.shipping("DHL Paket", 495)
    order.automatic_discount("Spring sale", percent="10", lines=[seeds])
    order.manual_discount("Scratched box", shears, "5.00")
    order.free_shipping("FREESHIP")
    order.tip = 300
    body = order.payload()
    assert [application["type"] for application in body["discount_applications"]] == [
        "automatic",
        "manual",
        "discount_code",
    ]
    assert body["shipping_lines"][0]["discounted_price"] == "0.00"
    assert (body["total_discounts"], body["total_price"]) == ("11.35", "40.50")

    shopify.deliver("orders/create", body, version=version)

    stored = shopify.order_by_shopify_id(order.id)
    assert [line["discount"] for line in stored["lines"]] == [140, 500]
    assert (stored["subtotal"], stored["shipping_total"], stored["total"]) == (3750, 0, 4050)
    assert stored["taxes_included"] is True and stored["discount_codes"] == ["FREESHIP"]
    assert warnings(stored) == []
    assert [note["message"] for note in stored["notes"]] == [
        "Shopify's total includes a tip of €3.00, which earns no points."
    ]
    assert shopify.points(order.customer_id) == (0, 37)  # the goods: 12.60 + 24.90


def test_a_line_discount_sent_twice_by_an_app_is_counted_once(shopify: ShopifyStore) -> None:
    """Some apps fill both the deprecated total_discount and the allocations: the allocations win."""
    order, _, _ = spring_order("2023-01")
    body = order.payload()
    for item in body["line_items"]:
        item["total_discount"] = item["discount_allocations"][0]["amount"]
    shopify.deliver("orders/create", body, version="2023-01")
    stored = shopify.order_by_shopify_id(order.id)
    assert [line["discount"] for line in stored["lines"]] == [1800, 398] and stored["notes"] == []


def test_a_line_discount_only_in_total_discount_stays_on_its_line(shopify: ShopifyStore) -> None:
    """An app that writes the line's total_discount and no allocation: the discount is that line's."""
    order = ShopifyOrder("2023-01")
    order.line("Linen apron", 4500, 2)
    order.line("Terracotta pot", 1990, 1)
    body = order.payload()
    body["line_items"][1]["total_discount"] = "5.00"
    body["total_discounts"], body["total_price"] = "5.00", "104.90"
    shopify.deliver("orders/create", body, version="2023-01")
    stored = shopify.order_by_shopify_id(order.id)
    assert [line["discount"] for line in stored["lines"]] == [0, 500] and stored["notes"] == []


def test_order_discounts_no_line_carries_are_spread_over_the_lines(shopify: ShopifyStore) -> None:
    """An older (or app-made) payload: the code's 21.98 is in total_discounts only."""
    order, _, _ = spring_order("2023-01")
    body = order.payload()
    for item in body["line_items"]:
        del item["discount_allocations"]
    shopify.deliver("orders/create", body, version="2023-01")

    stored = shopify.order_by_shopify_id(order.id)
    # 21.98 spread in proportion to 90.00 and 19.90: 18.00 and 3.98, the lines as Shopify had them.
    assert [line["discount"] for line in stored["lines"]] == [1800, 398]
    assert stored["total"] == 10957 and warnings(stored) == []
    assert [note["message"] for note in stored["notes"]] == [
        "€21.98 of the order's discounts (€21.98) was not allocated to its lines by Shopify; "
        "€21.98 is spread over the lines in proportion to their value."
    ]
    assert shopify.points(order.customer_id) == (0, 87)


def test_an_order_that_does_not_add_up_is_kept_with_a_warning_and_earns_on_what_was_paid(
    shopify: ShopifyStore, db: Database, store: StoreHandle, password_hash: str
) -> None:
    order, _, _ = spring_order("2024-10")
    body = order.payload()
    body["total_price"] = "99.57"  # 10.00 less than its parts, and no discount says why
    shopify.deliver("orders/create", body)

    stored = shopify.order_by_shopify_id(order.id)
    assert stored["total"] == 9957 and stored["subtotal"] == 7792
    assert warnings(stored) == [
        "The amounts do not add up: lines €109.90 \N{MINUS SIGN} discounts €21.98 + shipping €4.95 + tax "
        "€16.70 = €109.57, but Shopify's total is €99.57, €10.00 less. €10.00 is taken off the lines, so "
        "that points are earned on what was paid."
    ]
    assert shopify.points(order.customer_id) == (0, 77)

    # Shopify later sends the order as it should be (orders/updated): the warning is settled, the lines
    # and the points are the order's again.
    order.updated_at = order.placed_at + timedelta(hours=2)
    shopify.deliver("orders/updated", order.payload())
    settled = shopify.order_by_shopify_id(order.id)
    assert (settled["total"], settled["subtotal"], settled["revision"]) == (10957, 8792, 1)
    assert warnings(settled) == []
    assert settled["notes"][0]["message"].endswith(
        "Settled: the order as the store sent it on 02 Mar 2026 10:00 UTC adds up."
    )
    assert shopify.points(order.customer_id) == (0, 87)

    # Paid more than the parts say: the total is kept, the lines earn as they are.
    more, _, _ = spring_order("2024-10")
    more.id, more.number = more.id + 1, more.number + 1
    body = more.payload()
    body["total_price"] = "114.57"
    shopify.deliver("orders/create", body)
    stored_more = shopify.order_by_shopify_id(more.id)
    assert stored_more["total"] == 11457 and stored_more["subtotal"] == 8792
    assert warnings(stored_more)[0].endswith(
        "but Shopify's total is €114.57, €5.00 more. "
        "The total is kept as sent; points are earned on the lines."
    )

    # A warning is on the order's page in the console; a settled one is among the notes.
    login(shopify.client, make_staff(db, store, "agent", password_hash))
    page = shopify.client.get(f"/console/{store.slug}/orders/{stored_more['id']}")
    assert page.status_code == 200
    assert 'role="alert"' in page.text and "This order needs a look" in page.text
    assert "The amounts do not add up" in page.text and "€5.00 more" in page.text
    page = shopify.client.get(f"/console/{store.slug}/orders/{stored['id']}")
    assert 'role="alert"' not in page.text and "Notes on the amounts" in page.text
    assert (
        "€10.00 is taken off the lines" in page.text
        and "Settled: the order as the store sent it" in page.text
    )


def test_shopify_test_notification_keeps_its_total_with_a_warning(shopify: ShopifyStore) -> None:
    """Shopify's own test notification: a 5.00 discount on a free line, a negative subtotal."""
    shopify.deliver("orders/create", (DATA / "orders_create_test_notification.json").read_bytes())
    stored = shopify.order_by_shopify_id(820982911946154509)
    assert stored["total"] == 500 and [line["total"] for line in stored["lines"]] == [0, 0]
    [warning] = warnings(stored)
    assert "but Shopify's total is $5.00, $5.00 less" in warning
    assert "could not be placed on any line" in warning


def test_both_earning_lanes_earn_the_same_on_a_discounted_order(
    client: TestClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fast lane (orders that simply earn, in bulk) and the general path earn on the same amounts."""
    from loyaldesk.kernel.dispatcher import dispatch_until_idle
    from loyaldesk.stores import actions as store_actions

    def earned(slug: str) -> list[tuple[Any, ...]]:
        store = make_store(db, slug)
        db.write(store_actions.set_shopify_webhook_secret, store.actor, store.id, SHOPIFY_SECRET)
        started = {"starts_at": "2020-01-01T00:00:00+00:00"}  # the order is older than the test store
        assert client.patch("/api/v1/loyalty/program", headers=store.auth, json=started).status_code == 200
        order, _, _ = spring_order("2024-10")
        raw, headers = envelope("orders/create", order.payload(), secret=SHOPIFY_SECRET)
        assert client.post(f"/webhooks/shopify/{slug}", content=raw, headers=headers).status_code == 200
        dispatch_until_idle(db)
        from sqlalchemy import select

        from loyaldesk.loyalty.models import LedgerEntry, PointLot

        with db.read() as session:
            entries = session.execute(
                select(LedgerEntry.kind, LedgerEntry.points, LedgerEntry.description, LedgerEntry.details)
                .where(LedgerEntry.store_id == store.id)
                .order_by(LedgerEntry.id)
            ).all()
            lots = session.execute(
                select(PointLot.points, PointLot.status).where(PointLot.store_id == store.id)
            ).all()
        return [tuple(row) for row in entries] + [tuple(row) for row in lots]

    fast = earned("fast-lane")
    monkeypatch.setattr(loyalty_orders, "fast_lane_refusal", lambda *args: "forced")
    general = earned("general-path")
    assert fast == general
    assert (87, "pending") in fast


def test_the_saved_samples_are_what_the_builder_makes(shopify: ShopifyStore) -> None:
    """tests/data/shopify keeps two full bodies (2024-10) made by the builder; both are accepted."""
    sample = json.loads((DATA / "orders_create_2024_10_discount_code.json").read_text())
    order, apron, _ = spring_order("2024-10")
    assert sample == json.loads(json.dumps(order.payload(), ensure_ascii=False))
    shopify.deliver("orders/create", sample)
    edit = json.loads((DATA / "orders_edited_2024_10.json").read_text())
    assert edit["order_edit"]["line_items"]["removals"] == [{"id": apron, "delta": 1}]
    result = shopify.deliver("orders/edited", edit).json()
    assert result["detail"].startswith("revision 1: Linen apron: 2 → 1 unit")


def test_malformed_order_timestamps_give_way_to_other_times_with_a_note(shopify: ShopifyStore) -> None:
    order, _, _ = spring_order("2024-10")
    body = order.payload()
    body["created_at"] = "not a date"
    body["processed_at"] = "2026-02-30T10:00:00+01:00"  # there is no 30 February
    response = shopify.deliver("orders/create", body)
    told = "created_at 'not a date' is not a valid timestamp with a time zone: not used"
    assert told in response.json()["notes"]
    stored = shopify.order_by_shopify_id(order.id)
    now = shopify.clock.now().isoformat().replace("+00:00", "Z")
    assert (stored["placed_at"], stored["paid_at"], stored["status"]) == (now, now, "paid")
    assert [note["message"] for note in stored["notes"] if note["topic"] == "timestamps"] == [
        f"Order #1042: {told}; the order's other dates stand in (or the time it was received).",
        "Order #1042: processed_at '2026-02-30T10:00:00+01:00' is not a valid timestamp with a time zone: "
        "not used; the order's other dates stand in (or the time it was received).",
    ]
    assert shopify.points(order.customer_id) == (0, 87)
