"""The store's event stream: polled over HTTP, and announced on the broker after each commit."""

from __future__ import annotations

import asyncio
import json

from fastapi.testclient import TestClient

from loyaldesk.runtime import Runtime, store_events_channel
from tests.factories import StoreHandle, make_api_key, order_payload


def test_events_after_an_id_oldest_first_only_own_store(
    client: TestClient,
    db,
    store: StoreHandle,  # type: ignore[no-untyped-def]
    other_store: StoreHandle,
) -> None:
    client.post("/api/v1/orders", headers=store.auth, json=order_payload("1"))
    client.post("/api/v1/orders", headers=other_store.auth, json=order_payload("1"))
    page = client.get("/api/v1/events", headers=store.auth, params={"limit": 500}).json()
    types = [event["type"] for event in page["data"]]
    assert "order.placed" in types and "customer.created" in types
    assert {event["store_id"] for event in page["data"]} == {store.id}
    ids = [event["id"] for event in page["data"]]
    assert ids == sorted(ids)
    later = client.get("/api/v1/events", headers=store.auth, params={"after": ids[1]}).json()["data"]
    assert [event["id"] for event in later] == ids[2:]
    only = client.get("/api/v1/events", headers=store.auth, params={"type": "order.paid"}).json()["data"]
    assert [event["type"] for event in only] == ["order.paid"]
    assert only[0]["subject"]["type"] == "order" and only[0]["data"]["total"] > 0
    assert client.get("/api/v1/events", headers=make_api_key(db, store, ["orders:read"])).status_code == 403


def test_committed_events_are_announced_on_the_broker(runtime: Runtime, store: StoreHandle) -> None:
    from loyaldesk.web.app import create_app

    async def listen() -> list[dict]:
        await runtime.broker.start()
        subscription = await runtime.broker.subscribe(store_events_channel(store.id))
        runtime.database.add_commit_listener(runtime._announce)
        client = TestClient(create_app(runtime=runtime), base_url="https://testserver")
        await asyncio.to_thread(client.post, "/api/v1/orders", headers=store.auth, json=order_payload())
        return [json.loads(await asyncio.wait_for(subscription.get(), 5)) for _ in range(3)]

    messages = asyncio.run(listen())
    assert [message["type"] for message in messages] == ["customer.created", "order.placed", "order.paid"]
