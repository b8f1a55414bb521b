"""The order tools on real orders sent through the API: status and tracking quoted from the order, in
the asker's language; delivery options; cancel and change of address before fulfilment only; returns
within the window (seen by the team on the console and through the API); refunds."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from loyaldesk.assistant.tools.registry import ToolStatus
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.errors import Invalid
from tests.assistant.tools.conftest import open_chat
from tests.factories import StoreHandle, login, make_api_key, make_staff
from tests.loyalty.shop import Shop


def _shipped(shop: Shop, external_id: str = "1001", customer: str = "emma") -> dict:  # type: ignore[type-arg]
    order = shop.order(customer, external_id=external_id, status="paid", email=f"{customer}@example.com")
    shop.ok(
        "POST",
        f"/api/v1/orders/{order['id']}/status",
        json={
            "status": "fulfilled",
            "occurred_at": "2026-03-03T09:00:00+00:00",
            "carrier": "DHL",
            "tracking_number": "JJD000390007",
            "tracking_url": "https://track.example.com/JJD000390007",
        },
    )
    return order


def test_a_signed_in_shopper_reads_the_status_and_tracking_of_their_order(shop: Shop, db: Database) -> None:
    order = _shipped(shop)
    chat = open_chat(db, shop.store.id, shop.customer_id("emma"))
    result = chat.ask("order_status", "where is my order 1001", order_number="1001")
    assert result.status is ToolStatus.ANSWERED
    assert result.text.startswith("Order #1001 was shipped on 3 Mar 2026 with DHL.")
    assert "Tracking number: JJD000390007." in result.text
    assert "https://track.example.com/JJD000390007" in result.text
    assert "1 x TEE" in result.text
    assert result.order_ids == (order["id"],)
    assert result.facts["carrier"] == "DHL" and result.facts["tracking_number"] == "JJD000390007"
    # "track my order" is the same tool; without a number it is the latest order.
    assert chat.ask("track_order").text == result.text
    # The store's backend sees the shipment on the order too.
    assert shop.ok("GET", f"/api/v1/orders/{order['id']}")["carrier"] == "DHL"


def test_the_answer_is_in_the_askers_language(shop: Shop, db: Database) -> None:
    _shipped(shop)
    chat = open_chat(db, shop.store.id, shop.customer_id("emma"), language="de")
    result = chat.ask("order_status", order_number="#1001")
    assert result.text.startswith("Bestellung #1001 wurde am 3. März 2026 mit DHL verschickt."), result.text
    assert "Sendungsnummer: JJD000390007." in result.text


def test_delivery_options_quote_the_store_or_say_not_found(
    shop: Shop, db: Database, store: StoreHandle
) -> None:
    chat = open_chat(db, store.id, None)
    assert chat.ask("delivery_options").status is ToolStatus.NOT_FOUND

    def set_info(uow):  # type: ignore[no-untyped-def]
        from loyaldesk.support import update_settings

        update_settings(uow, store.actor, store.id, {"shipping_info": "Free delivery in 2-3 days with DHL."})

    db.write(set_info)
    result = chat.ask("delivery_options")
    assert result.status is ToolStatus.ANSWERED and result.text == "Free delivery in 2-3 days with DHL."


def test_cancel_before_fulfilment_makes_one_task_and_after_fulfilment_is_refused(
    shop: Shop, db: Database
) -> None:
    shop.order("emma", external_id="2001", status="paid")
    _shipped(shop, "2002")
    chat = open_chat(db, shop.store.id, shop.customer_id("emma"))
    done = chat.ask("cancel_order", key="k-1", order_number="2001")
    assert done.status is ToolStatus.DONE and "cancel order #2001" in done.text
    again = chat.ask("cancel_order", key="k-1", order_number="2001")
    assert again.facts["team_task_id"] == done.facts["team_task_id"]
    with db.read() as session:
        from loyaldesk.journeys import TeamTask

        tasks = list(session.query(TeamTask).filter(TeamTask.store_id == shop.store.id))
    assert [task.title for task in tasks] == ["Cancel the order: order #2001"]
    assert tasks[0].details.startswith("Order #2001")
    # The store's backend hears of it through its outgoing webhooks (an event it may subscribe to).
    events = shop.ok("GET", "/api/v1/events?type=assistant.order_change_requested")["data"]
    assert [event["data"]["kind"] for event in events] == ["cancel"]
    refused = chat.ask("cancel_order", order_number="2002")
    assert refused.status is ToolStatus.REFUSED and "already been shipped" in refused.text


def test_change_address_asks_for_the_address_then_makes_a_task(shop: Shop, db: Database) -> None:
    shop.order("emma", external_id="3001", status="placed")
    chat = open_chat(db, shop.store.id, shop.customer_id("emma"))
    asked = chat.ask("change_address", order_number="3001")
    assert asked.status is ToolStatus.NEEDS_SLOT and asked.missing == "address"
    done = chat.ask("change_address", key="a-1", order_number="3001", address="Hauptstr. 1, 10115 Berlin")
    assert done.status is ToolStatus.DONE
    with db.read() as session:
        from loyaldesk.journeys import TeamTask

        task = session.get(TeamTask, done.facts["team_task_id"])
        assert task is not None and "Hauptstr. 1, 10115 Berlin" in task.details


def test_a_return_within_the_window_is_seen_by_the_team(
    shop: Shop, db: Database, client: TestClient, store: StoreHandle, password_hash: str
) -> None:
    order = _shipped(shop, "4001")
    chat = open_chat(db, shop.store.id, shop.customer_id("emma"))
    result = chat.ask("return_item", key="r-1", order_number="4001", reason="too small")
    assert result.status is ToolStatus.DONE, result.text
    assert "returns are open until 2 Apr 2026" in result.text  # 30 days after it was shipped
    assert (
        chat.ask("return_item", key="r-1", order_number="4001").facts["return_request_id"]
        == (result.facts["return_request_id"])
    )
    # The team's page lists it with links to the order and the conversation.
    login(client, make_staff(db, store, "agent", password_hash))
    page = client.get(f"/console/{store.slug}/returns")
    assert page.status_code == 200
    assert f"R-{result.facts['return_request_id']}" in page.text
    assert f'href="/console/{store.slug}/orders/{order["id"]}">#4001</a>' in page.text
    assert f"/inbox?c={chat.conversation_id}" in page.text and "too small" in page.text
    assert "Requested" in page.text
    # The store's backend reads the same through the API.
    listed = client.get("/api/v1/return-requests", headers=make_api_key(db, store, ["orders:read"]))
    assert listed.status_code == 200
    [row] = listed.json()["data"]
    assert row["order_number"] == "#4001" and row["status"] == "requested"
    assert row["conversation_id"] == chat.conversation_id
    bad = client.get("/api/v1/return-requests?status=lost", headers=store.auth)
    assert bad.status_code == 422 and "status" in bad.text


def test_a_return_outside_the_window_or_before_shipping_is_refused(shop: Shop, db: Database) -> None:
    _shipped(shop, "5001")
    shop.order("emma", external_id="5002", status="paid")
    chat = open_chat(db, shop.store.id, shop.customer_id("emma"))
    assert chat.ask("return_item", order_number="5002").status is ToolStatus.REFUSED
    shop.later(days=31)
    late = chat.ask("return_item", order_number="5001")
    assert late.status is ToolStatus.REFUSED
    assert "ended on 2 Apr 2026" in late.text and late.facts["reason"] == "window_ended"


def test_refund_status_quotes_the_refunds(shop: Shop, db: Database) -> None:
    order = shop.order("emma", external_id="6001", lines=[("TEE", "Apparel", 2, 2_500)])
    chat = open_chat(db, shop.store.id, shop.customer_id("emma"))
    assert (
        "No refund has been recorded for order #6001 yet."
        in chat.ask("refund_status", order_number="6001").text
    )
    shop.refund(order, {1: 1}, external_id="rf-1")
    result = chat.ask("refund_status", order_number="6001")
    assert result.status is ToolStatus.ANSWERED
    assert result.text.startswith("Order #6001: €25.00 of €50.00 has been refunded. €25.00 was refunded on")
    assert result.facts["refunded_total"] == 2500


def test_the_return_window_is_a_desk_setting(shop: Shop, db: Database) -> None:
    _shipped(shop, "7001")

    def narrow(uow):  # type: ignore[no-untyped-def]
        from loyaldesk.support import update_settings

        update_settings(uow, shop.store.actor, shop.store.id, {"return_window_days": 1})

    db.write(narrow)
    shop.later(days=2)
    chat = open_chat(db, shop.store.id, shop.customer_id("emma"))
    assert chat.ask("return_item", order_number="7001").status is ToolStatus.REFUSED

    def too_long(uow):  # type: ignore[no-untyped-def]
        from loyaldesk.support import update_settings

        update_settings(uow, shop.store.actor, shop.store.id, {"return_window_days": 400})

    with pytest.raises(Invalid) as refused:
        db.write(too_long)
    assert [problem.field for problem in refused.value.problems] == ["return_window_days"]


def test_erasing_the_customer_blanks_the_words_of_their_requests(shop: Shop, db: Database) -> None:
    _shipped(shop, "8001")
    shop.order("emma", external_id="8002", status="paid")
    chat = open_chat(db, shop.store.id, shop.customer_id("emma"))
    chat.ask("return_item", order_number="8001", reason="the seam is torn, call me on 0151 123")
    chat.ask("change_address", order_number="8002", address="Hauptstr. 1, 10115 Berlin")
    customer_id = shop.customer_id("emma")
    assert shop.call("POST", f"/api/v1/customers/{customer_id}/erase").status_code == 200
    [row] = shop.ok("GET", "/api/v1/return-requests")["data"]
    assert row["reason"] == ""
    with db.read() as session:
        from loyaldesk.journeys import TeamTask

        assert [task.details for task in session.query(TeamTask)] == ["(erased)"]


def test_the_team_accepts_then_closes_a_return(
    shop: Shop, db: Database, client: TestClient, store: StoreHandle, password_hash: str
) -> None:
    _shipped(shop, "9001")
    chat = open_chat(db, shop.store.id, shop.customer_id("emma"))
    return_id = chat.ask("return_item", order_number="9001").facts["return_request_id"]
    login(client, make_staff(db, store, "agent", password_hash))
    page = client.get(f"/console/{store.slug}/returns")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    url = f"/console/{store.slug}/returns/{return_id}/status"
    closed_too_early = client.post(url, data={"status": "closed", "csrf_token": token})
    assert closed_too_early.status_code == 200 and "cannot become closed" in closed_too_early.text
    accepted = client.post(url, data={"status": "accepted", "csrf_token": token})
    assert f"Return request R-{return_id} is now accepted." in accepted.text
    bad = client.post(url, data={"status": "lost", "csrf_token": token})
    assert bad.status_code == 422 and "status" in bad.text
    client.post(url, data={"status": "closed", "csrf_token": token})
    [row] = shop.ok("GET", "/api/v1/return-requests?status=closed")["data"]
    assert row["id"] == return_id
    events = shop.ok("GET", "/api/v1/events?type=assistant.return_status_changed")["data"]
    assert [event["data"]["status"] for event in events] == ["accepted", "closed"]
    # Another store's staff or a wrong id: not found, nothing changed.
    assert client.post(f"/console/{store.slug}/returns/999999/status", data={"status": "accepted",
                       "csrf_token": token}).status_code == 404  # fmt: skip


def test_a_shopify_fulfillment_carries_the_tracking_the_assistant_quotes() -> None:
    import json
    from pathlib import Path

    from loyaldesk.commerce.shopify import order_from_payload

    data = Path(__file__).resolve().parents[2] / "data" / "shopify" / "paid_order.json"
    payload = json.loads(data.read_text())
    payload["fulfillment_status"] = "fulfilled"
    payload["fulfillments"] = [
        {"created_at": "2026-03-02T09:00:00+01:00", "tracking_company": "DHL", "tracking_number": "JJD1",
         "tracking_url": "https://www.dhl.de/track?id=JJD1"},
    ]  # fmt: skip
    order = order_from_payload(payload).value
    assert (order.carrier, order.tracking_number, str(order.tracking_url)) == (
        "DHL", "JJD1", "https://www.dhl.de/track?id=JJD1"
    )  # fmt: skip
    payload["fulfillments"][0]["tracking_url"] = "javascript:alert(1)"
    assert order_from_payload(payload).value.tracking_url is None
