"""Order edits at Shopify reach the order and its points: ``orders/edited`` applies what it can price (units
of known lines) and says on the order what it cannot; ``orders/updated`` with changed lines restates them.
Nothing is ignored silently, nothing is applied twice, an older statement never undoes a newer one."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from loyaldesk.kernel.db import Database
from tests.commerce.conftest import SHOPIFY_SECRET, ShopifyStore
from tests.commerce.shopify_payloads import ShopifyOrder, envelope
from tests.factories import table_counts

TABLES = ("orders", "order_lines", "order_notes", "webhook_receipts", "loyalty_entries", "domain_events")


def garden_order(version: str, order_id: int = 5_501_218_045_978) -> tuple[ShopifyOrder, int, int]:
    order = ShopifyOrder(version, order_id=order_id, number=1042 + order_id % 100)
    apron = order.line("Linen apron", 4500, 2, tax_rate="0.19")
    pot = order.line("Terracotta pot", 1990, 1, tax_rate="0.19")
    order.shipping("DHL Paket", 495)
    order.discount_code("SPRING20", percent="20")
    return order, apron, pot


def notes_of(order: dict[str, Any], kind: str) -> list[str]:
    return [note["message"] for note in order["notes"] if note["kind"] == kind]


def history(shopify: ShopifyStore, order: ShopifyOrder) -> list[str]:
    return [entry["description"] for entry in shopify.history(str(order.customer_id))]


def test_an_edit_removing_units_updates_the_order_and_takes_back_their_points(shopify: ShopifyStore) -> None:
    order, apron, _pot = garden_order("2024-10")
    as_placed = order.payload()
    shopify.deliver("orders/create", as_placed)
    assert shopify.points(order.customer_id) == (0, 87)

    edited_at = shopify.clock.now() + timedelta(hours=1)
    edit = order.edit(at=edited_at, remove={apron: 1})
    response = shopify.deliver("orders/edited", edit)
    assert response.json()["detail"] == "revision 1: Linen apron: 2 → 1 unit"

    stored = shopify.order_by_shopify_id(order.id)
    assert stored["revision"] == 1
    assert [(line["quantity"], line["discount"], line["total"]) for line in stored["lines"]] == [
        (1, 900, 3600),
        (1, 398, 1592),
    ]
    assert stored["total"] == 7357  # 109.57 less the apron's 36.00; tax follows with the updated order
    assert notes_of(stored, "note") == [
        f"Edit {edit['order_edit']['id']} applied (revision 1): Linen apron: 2 → 1 unit. "
        "Total €109.57 → €73.57."
    ]
    assert shopify.points(order.customer_id) == (0, 51)
    assert history(shopify, order)[0] == f"Order #{order.number} was edited: 36 points taken back"

    # Shopify then sends the whole order (orders/updated): tax and total follow, the points stay.
    response = shopify.deliver("orders/updated", order.payload())
    assert "revision 2: shipping, tax or total changed" in response.json()["detail"]
    stored = shopify.order_by_shopify_id(order.id)
    assert (stored["revision"], stored["total"], stored["tax_total"]) == (2, 6673, 986)
    assert [line["quantity"] for line in stored["lines"]] == [1, 1]
    assert shopify.points(order.customer_id) == (0, 51)

    # The same edit again (a re-delivery under a new webhook id) and the order as placed (an older
    # statement, arriving late) change nothing.
    again = shopify.deliver("orders/edited", edit)
    assert again.json()["detail"] == f"edit {edit['order_edit']['id']} was already applied"
    late = shopify.deliver("orders/updated", as_placed)
    assert any("older than the stored one" in note for note in late.json()["notes"])
    stored = shopify.order_by_shopify_id(order.id)
    assert (stored["revision"], [line["quantity"] for line in stored["lines"]]) == (2, [1, 1])
    assert shopify.points(order.customer_id) == (0, 51)
    shopify.assert_ledger_clean()


def test_a_new_line_is_announced_by_the_edit_and_counted_with_the_updated_order(
    shopify: ShopifyStore,
) -> None:
    order, _apron, _pot = garden_order("2024-10")
    shopify.deliver("orders/create", order.payload())
    edit = order.edit(at=shopify.clock.now() + timedelta(hours=1), new_lines=[("Watering can", 2490, 1)])
    new_line = edit["order_edit"]["line_items"]["additions"][0]["id"]

    response = shopify.deliver("orders/edited", edit)
    assert response.json()["detail"] == f"edit {edit['order_edit']['id']}: nothing this notice prices"
    stored = shopify.order_by_shopify_id(order.id)
    assert stored["revision"] == 0 and len(stored["lines"]) == 2
    assert notes_of(stored, "warning") == [
        f"Edit {edit['order_edit']['id']} also changed what this notice does not price: 1 unit(s) of line "
        f"{new_line} added, a line the order does not have yet. It is counted when the store sends the "
        "updated order (Shopify's orders/updated)."
    ]
    assert shopify.points(order.customer_id) == (0, 87)

    response = shopify.deliver("orders/updated", order.payload())
    assert "revision 1: added 1 \N{MULTIPLICATION SIGN} Watering can (€24.90)" in response.json()["detail"]
    stored = shopify.order_by_shopify_id(order.id)
    assert [line["title"] for line in stored["lines"]] == ["Linen apron", "Terracotta pot", "Watering can"]
    assert stored["total"] == 10957 + 2490  # the can (no tax on it)
    assert shopify.points(order.customer_id) == (0, 87 + 24)
    assert history(shopify, order)[0] == f"Order #{order.number} was edited: 24 more points"
    # The warning is settled: what it waited for has come.
    assert notes_of(stored, "warning") == []
    assert any(
        note.startswith(f"Edit {edit['order_edit']['id']} also changed")
        and note.endswith("Settled: counted with the updated order received 02 Mar 2026 10:00 UTC.")
        for note in notes_of(stored, "note")
    )
    shopify.assert_ledger_clean()


def test_an_edit_that_arrives_after_the_updated_order_is_not_applied_twice(shopify: ShopifyStore) -> None:
    order, apron, _pot = garden_order("2024-10")
    shopify.deliver("orders/create", order.payload())
    edit = order.edit(at=shopify.clock.now() + timedelta(hours=1), remove={apron: 1})
    shopify.deliver("orders/updated", order.payload())  # webhooks arrive out of order
    assert shopify.points(order.customer_id) == (0, 51)

    response = shopify.deliver("orders/edited", edit)
    assert response.json()["detail"] == f"edit {edit['order_edit']['id']} is already in the order"
    stored = shopify.order_by_shopify_id(order.id)
    assert stored["revision"] == 1 and stored["lines"][0]["quantity"] == 1
    assert f"Edit {edit['order_edit']['id']} is already in the order as the store last sent it." in notes_of(
        stored, "note"
    )
    assert shopify.points(order.customer_id) == (0, 51)


def test_edits_in_api_version_2023_01(shopify: ShopifyStore) -> None:
    """2023-01 has no committed_at (the edit's created_at stands in) and no current_quantity."""
    order, _apron, pot = garden_order("2023-01")
    shopify.deliver("orders/create", order.payload(), version="2023-01")
    edit = order.edit(at=shopify.clock.now() + timedelta(hours=1), add={pot: 1})
    assert "committed_at" not in edit["order_edit"]
    response = shopify.deliver("orders/edited", edit, version="2023-01")
    assert response.json()["detail"] == "revision 1: Terracotta pot: 1 → 2 units"
    stored = shopify.order_by_shopify_id(order.id)
    # The unit added comes at its price; the code's discount stays what Shopify allocated.
    assert (stored["lines"][1]["quantity"], stored["lines"][1]["discount"], stored["lines"][1]["total"]) == (
        2,
        398,
        3582,
    )
    assert shopify.points(order.customer_id) == (0, 87 + 20)

    response = shopify.deliver("orders/updated", order.payload(), version="2023-01")
    stored = shopify.order_by_shopify_id(order.id)
    assert stored["total"] == 10957 + 1990 + 379 and stored["revision"] == 2  # the pot, its VAT grown
    assert shopify.points(order.customer_id) == (0, 107)
    shopify.assert_ledger_clean()


def test_an_edit_that_would_undo_a_refund_is_not_applied_and_says_why(
    shopify: ShopifyStore, db: Database
) -> None:
    order, apron, _pot = garden_order("2024-10")
    shopify.deliver("orders/create", order.payload())
    shopify.deliver("refunds/create", order.refund({apron: 1}, at=shopify.clock.now()))
    assert shopify.points(order.customer_id) == (0, 51)
    before = table_counts(db, "order_lines", "loyalty_entries")
    edit = {
        "order_edit": {
            "id": 99_001,
            "order_id": order.id,
            "created_at": "2026-03-02T12:00:00+01:00",
            "committed_at": "2026-03-02T12:01:00+01:00",
            "line_items": {"additions": [], "removals": [{"id": apron, "delta": 2}]},
            "discounts": {"line_item": {"additions": [], "removals": []}},
            "shipping_lines": {"additions": [], "removals": []},
        }
    }
    response = shopify.deliver("orders/edited", edit)
    assert "not applied: Linen apron would be removed, but it was refunded" in response.json()["detail"]
    stored = shopify.order_by_shopify_id(order.id)
    assert notes_of(stored, "warning") == [
        "Edit 99001 was not applied: Linen apron would be removed, but it was refunded; the total would be "
        "€37.57, but €42.84 was refunded. The order and its points stay as they were."
    ]
    assert stored["revision"] == 0 and stored["lines"][0]["quantity"] == 2
    assert table_counts(db, "order_lines", "loyalty_entries") == before
    assert shopify.points(order.customer_id) == (0, 51)


def test_edits_for_unknown_orders_bad_edits_and_forged_ones_change_nothing(
    shopify: ShopifyStore, db: Database
) -> None:
    order, apron, _pot = garden_order("2024-10")
    as_placed = order.payload()
    edit = order.edit(at=shopify.clock.now(), remove={apron: 1})
    before = table_counts(db, *TABLES)
    early = shopify.deliver("orders/edited", edit, status=409)
    assert "has not been received yet" in early.json()["error"]["message"]

    bad = json.loads(json.dumps(edit))
    bad["order_edit"]["line_items"]["removals"][0]["delta"] = 0
    refused = shopify.deliver("orders/edited", bad, status=422)
    assert refused.json()["error"]["fields"] == [
        {
            "field": "order_edit.line_items.removals.0.delta",
            "reason": "must be a whole number of units, at least 1",
        }
    ]
    assert table_counts(db, *TABLES) == before

    shopify.deliver("orders/create", as_placed)
    counted = table_counts(db, *TABLES)
    raw, headers = envelope("orders/edited", edit, secret="not-the-secret")
    forged = shopify.client.post(f"/webhooks/shopify/{shopify.store.slug}", content=raw, headers=headers)
    assert forged.status_code == 401
    assert table_counts(db, *TABLES) == counted
    # The real one, later, is applied (the refusals left no receipt behind).
    raw, headers = envelope("orders/edited", edit, secret=SHOPIFY_SECRET)
    assert (
        shopify.client.post(f"/webhooks/shopify/{shopify.store.slug}", content=raw, headers=headers)
        .json()["detail"]
        .startswith("revision 1")
    )


def test_a_cancellation_is_not_an_edit_the_order_keeps_its_lines(shopify: ShopifyStore) -> None:
    order, _apron, _pot = garden_order("2024-10")
    shopify.deliver("orders/create", order.payload())
    cancelled = order.payload()
    cancelled.update(
        cancelled_at="2026-03-02T11:00:00+01:00", cancel_reason="customer", financial_status="voided"
    )
    for item in cancelled["line_items"]:
        item["current_quantity"] = 0  # nothing left to ship
    shopify.deliver("orders/cancelled", cancelled)
    stored = shopify.order_by_shopify_id(order.id)
    assert (stored["status"], stored["revision"]) == ("cancelled", 0)
    assert [line["quantity"] for line in stored["lines"]] == [2, 1] and stored["total"] == 10957
    assert shopify.points(order.customer_id) == (0, 0)


def test_a_refund_after_an_edit_takes_back_what_the_line_still_holds(shopify: ShopifyStore) -> None:
    order, apron, _pot = garden_order("2024-10")
    shopify.deliver("orders/create", order.payload())
    shopify.deliver(
        "orders/edited", order.edit(at=shopify.clock.now() + timedelta(hours=1), remove={apron: 1})
    )
    assert shopify.points(order.customer_id) == (0, 51)  # the apron line now holds 36 of its 72 points
    response = shopify.deliver("refunds/create", order.refund({apron: 1}, at=shopify.clock.now()))
    assert response.json()["notes"] == []  # 36.00 was left on the line: nothing to cut down
    stored = shopify.order_by_shopify_id(order.id)
    assert (stored["lines"][0]["refunded_quantity"], stored["lines"][0]["refunded_amount"]) == (1, 3600)
    assert shopify.points(order.customer_id) == (0, 15)  # 36, not 72: the edit took the rest already
    shopify.assert_ledger_clean()


def test_a_line_an_edit_removed_keeps_its_discount_out_of_the_others(shopify: ShopifyStore) -> None:
    """Whether or not Shopify's total_discounts still counts a removed line's discount, that discount is
    the removed line's: it is not spread over the lines that stay."""
    order, _apron, pot = garden_order("2024-10")
    shopify.deliver("orders/create", order.payload())
    order.edit(at=shopify.clock.now() + timedelta(hours=1), remove={pot: 1})
    body = order.payload()
    assert body["line_items"][1]["current_quantity"] == 0
    body["total_discounts"] = "21.98"  # as placed, the pot's 3.98 included
    response = shopify.deliver("orders/updated", body)
    assert "line_items.1 skipped: every unit was removed by an edit" in response.json()["notes"]
    stored = shopify.order_by_shopify_id(order.id)
    assert [(line["title"], line["discount"]) for line in stored["lines"]] == [("Linen apron", 1800)]
    assert not any("not allocated" in note["message"] for note in stored["notes"])
    assert notes_of(stored, "warning") == []
    assert shopify.points(order.customer_id) == (0, 72)  # the pot's 15 points taken back
