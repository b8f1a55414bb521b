"""The webhooks API as a developer uses it (create, read, change, delete, the log), its 422s naming the
field, its scopes; private addresses refused unless the install allows them (when the endpoint is
saved and again when it is called); and the fan-out waiting at an id that is not committed yet."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from loyaldesk.channels.webhooks.fan_out import GAP_GRACE, fan_out
from loyaldesk.channels.webhooks.models import WebhookDelivery, WebhookFanOutCursor
from loyaldesk.channels.webhooks.sender import SenderConfig, send_due
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.events import EventRecord
from loyaldesk.kernel.outbound import OutboundPolicy
from loyaldesk.runtime import Runtime
from loyaldesk.settings import Settings
from loyaldesk.stores import AccountMailSettings
from loyaldesk.web.app import create_app
from tests.channels.webhooks.conftest import Receiver, add_endpoint
from tests.factories import StoreHandle, make_api_key


def fields_of(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 422, response.text
    return {item["field"]: item["reason"] for item in response.json()["error"]["fields"]}


def test_crud_through_the_api(client: TestClient, store: StoreHandle, receiver: Receiver) -> None:
    created = add_endpoint(client, store, receiver.url, ["order.paid", "customer.created", "order.paid"])
    assert created["event_types"] == ["customer.created", "order.paid"]
    assert created["enabled"] is True
    endpoint_id = created["id"]

    listed = client.get("/api/v1/webhooks", headers=store.auth).json()
    assert [item["id"] for item in listed] == [endpoint_id]
    assert "secret" not in listed[0]  # shown once, at creation
    one = client.get(f"/api/v1/webhooks/{endpoint_id}", headers=store.auth).json()
    assert "secret" not in one and one["url"] == receiver.url

    changed = client.patch(
        f"/api/v1/webhooks/{endpoint_id}",
        headers=store.auth,
        json={"event_types": ["*"], "description": "ERP sync", "enabled": False},
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["event_types"], body["description"], body["enabled"]) == (["*"], "ERP sync", False)
    assert body["disabled_reason"]

    assert client.delete(f"/api/v1/webhooks/{endpoint_id}", headers=store.auth).status_code == 204
    assert client.get(f"/api/v1/webhooks/{endpoint_id}", headers=store.auth).status_code == 404
    assert client.get("/api/v1/webhooks", headers=store.auth).json() == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://example.com/x", "event_types": ["*"]}, "url"),
        ({"url": "not a url", "event_types": ["*"]}, "url"),
        ({"url": "https://user:pw@example.com/x", "event_types": ["*"]}, "url"),
        ({"url": "https://example.com/" + "x" * 600, "event_types": ["*"]}, "url"),
        (
            {"url": "https://example.com/x", "event_types": ["order.paid", "order.teleported"]},
            "event_types.1",
        ),
        ({"url": "https://example.com/x", "event_types": []}, "event_types"),
        ({"url": "https://example.com/x", "event_types": ["*", "order.paid"]}, "event_types"),
        ({"url": "https://example.com/x"}, "event_types"),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    client: TestClient, store: StoreHandle, body: dict[str, object], field: str
) -> None:
    assert field in fields_of(client.post("/api/v1/webhooks", headers=store.auth, json=body))
    assert client.get("/api/v1/webhooks", headers=store.auth).json() == []


def test_scopes_and_other_stores(
    client: TestClient, db: Database, store: StoreHandle, other_store: StoreHandle, receiver: Receiver
) -> None:
    endpoint_id = add_endpoint(client, store, receiver.url)["id"]
    reader = make_api_key(db, store, ["webhooks:read"])
    assert client.get("/api/v1/webhooks", headers=reader).status_code == 200
    refused = client.post(
        "/api/v1/webhooks", headers=reader, json={"url": receiver.url, "event_types": ["*"]}
    )
    assert refused.status_code == 403
    assert client.get(f"/api/v1/webhooks/{endpoint_id}", headers=other_store.auth).status_code == 404
    assert (
        client.patch(f"/api/v1/webhooks/{endpoint_id}", headers=other_store.auth, json={"enabled": False})
    ).status_code == 404
    assert client.get(f"/api/v1/webhooks/{endpoint_id}", headers=store.auth).json()["enabled"] is True


def test_private_addresses_are_refused_unless_the_install_allows_them(
    settings: Settings, db: Database, store: StoreHandle, clock: FakeClock, receiver: Receiver
) -> None:
    strict = settings.model_copy(update={"allow_private_network": False})
    with TestClient(
        create_app(runtime=Runtime(strict, database=db)), base_url="https://testserver"
    ) as client:
        for url in (
            receiver.url,
            "https://10.0.0.7/hooks",
            "https://169.254.169.254/latest",
            "https://[::1]/x",
        ):
            response = client.post(
                "/api/v1/webhooks", headers=store.auth, json={"url": url, "event_types": ["*"]}
            )
            assert "url" in fields_of(response), url
        # A name is checked when it is called, against what it resolves to then.
        created = client.post(
            "/api/v1/webhooks",
            headers=store.auth,
            json={"url": "https://hooks.example.com/in", "event_types": ["*"]},
        )
        assert created.status_code == 201, created.text
        client.post("/api/v1/customers", headers=store.auth, json={"external_id": "c-1"})
    db.write(fan_out)
    rebinding = OutboundPolicy(resolver=lambda host, port: ["127.0.0.1"])
    mail = AccountMailSettings.from_settings(settings)
    send_due(db, SenderConfig(policy=rebinding, disable_after=timedelta(days=5), mail=mail))
    with db.read() as session:
        [row] = session.scalars(select(WebhookDelivery))
    assert row.status == "failed"
    assert row.last_error and row.last_error.startswith("refused: hooks.example.com resolves to a loopback")
    assert receiver.received == []


def test_the_fan_out_waits_at_an_id_not_committed_yet(
    client: TestClient, db: Database, store: StoreHandle, clock: FakeClock, receiver: Receiver, tmp_path: Path
) -> None:
    add_endpoint(client, store, receiver.url)
    client.post("/api/v1/customers", headers=store.auth, json={"external_id": "c-1"})
    with db.read() as session:
        newest = session.scalar(select(EventRecord.id).order_by(EventRecord.id.desc()).limit(1))
    assert newest is not None

    def leave_a_gap(uow) -> None:  # type: ignore[no-untyped-def]
        # A committed event two ids ahead: the id between is a transaction still committing.
        uow.session.add(
            EventRecord(
                id=newest + 2,
                store_id=store.id,
                event_type="customer.updated",
                payload={},
                occurred_at=clock.now(),
                dispatched_at=clock.now(),
                subject_type="customer",
            )
        )

    db.write(leave_a_gap)
    db.write(fan_out)
    with db.read() as session:
        cursor = session.get(WebhookFanOutCursor, 1)
        assert cursor is not None and cursor.last_event_id == newest
        types = [row.event_type for row in session.scalars(select(WebhookDelivery))]
    assert types == ["customer.created"]  # what comes before the gap goes

    clock.advance(GAP_GRACE + timedelta(seconds=1))
    db.write(fan_out)  # still missing after the grace: a rolled-back id, passed over
    with db.read() as session:
        cursor = session.get(WebhookFanOutCursor, 1)
        assert cursor is not None and cursor.last_event_id == newest + 2
        assert cursor.gap_event_id is None
        types = [
            row.event_type for row in session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id))
        ]
    assert types == ["customer.created", "customer.updated"]
