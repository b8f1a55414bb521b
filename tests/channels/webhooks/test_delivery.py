"""Outgoing webhooks as a store's developer meets them: a real event reaches a real HTTP endpoint on
127.0.0.1, signed so that the reference ``standardwebhooks`` library verifies it; the fan-out delivers
each event once however often it runs; failures are retried with backoff and the same ``webhook-id``;
a replay keeps it too; an endpoint failing for days is disabled and its store's admins mailed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from standardwebhooks import Webhook

from loyaldesk.channels.webhooks import sender
from loyaldesk.channels.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookFanOutCursor
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.stores.models import AccountEmail
from tests.channels.webhooks.conftest import Receiver, add_endpoint, deliver, run_job
from tests.factories import StoreHandle, make_staff


def new_customer(client: TestClient, store: StoreHandle, external_id: str = "c-1") -> int:
    response = client.post(
        "/api/v1/customers", headers=store.auth, json={"external_id": external_id, "first_name": "Ada"}
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def deliveries(db: Database) -> list[WebhookDelivery]:
    with db.read() as session:
        return list(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def test_a_real_event_is_received_and_its_signature_verified(
    client: TestClient, db: Database, store: StoreHandle, receiver: Receiver
) -> None:
    created = add_endpoint(client, store, receiver.url)
    receiver.secret = created["secret"]
    assert created["secret"].startswith("whsec_")
    customer_id = new_customer(client, store)

    assert deliver(db) == 1

    assert len(receiver.received) == 1
    got = receiver.received[0]
    assert not isinstance(got.verified, Exception), got.verified
    feed = client.get("/api/v1/events", headers=store.auth).json()["data"]
    event = next(item for item in feed if item["type"] == "customer.created")
    assert got.verified == event  # the same JSON as the events feed
    assert event["customer_id"] == customer_id
    assert got.headers["webhook-id"] == f"msg_{event['id']}"
    assert got.headers["webhook-signature"].startswith("v1,")
    assert got.headers["content-type"] == "application/json"
    assert got.headers["user-agent"] == "loyaldesk-webhooks"
    log = client.get(f"/api/v1/webhooks/{created['id']}/deliveries", headers=store.auth).json()["data"]
    assert [(row["status"], row["attempts"], row["last_status_code"]) for row in log] == [
        ("delivered", 1, 200)
    ]
    assert log[0]["last_response_excerpt"] == '{"ok": true}'


def test_only_subscribed_types_after_the_endpoint_was_added(
    client: TestClient, db: Database, store: StoreHandle, other_store: StoreHandle, receiver: Receiver
) -> None:
    new_customer(client, store, "before")  # before the endpoint: never sent
    add_endpoint(client, store, receiver.url, ["customer.updated"])
    customer_id = new_customer(client, store, "after")  # customer.created: not subscribed
    new_customer(client, other_store, "elsewhere")  # another store's event
    patched = client.patch(f"/api/v1/customers/{customer_id}", headers=store.auth, json={"first_name": "Bo"})
    assert patched.status_code == 200, patched.text

    deliver(db)

    assert [row.event_type for row in deliveries(db)] == ["customer.updated"]
    assert len(receiver.received) == 1


def test_running_the_fan_out_again_delivers_each_event_once(
    client: TestClient, db: Database, store: StoreHandle, receiver: Receiver
) -> None:
    add_endpoint(client, store, receiver.url)
    new_customer(client, store)
    run_job("webhooks.fan_out", db)
    run_job("webhooks.fan_out", db)
    # Even a cursor sent back to the start (two workers, a crash before the cursor moved) adds nothing.
    db.write(lambda uow: uow.session.execute(update(WebhookFanOutCursor).values(last_event_id=0)))
    run_job("webhooks.fan_out", db)
    run_job("webhooks.send_due", db)
    run_job("webhooks.send_due", db)

    assert len(deliveries(db)) == 1
    assert len(receiver.received) == 1


def test_failures_are_retried_with_backoff_then_delivered_with_the_same_id(
    client: TestClient,
    db: Database,
    store: StoreHandle,
    receiver: Receiver,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sender, "TIMEOUT_SECONDS", 0.5)
    receiver.slow_seconds = 1.5
    created = add_endpoint(client, store, receiver.url)
    receiver.secret = created["secret"]
    receiver.answers = [500, "slow"]
    new_customer(client, store)

    deliver(db)  # 500
    [row] = deliveries(db)
    assert (row.status, row.attempts, row.last_status_code) == ("failed", 1, 500)
    assert row.last_error == "the endpoint answered HTTP 500"
    assert row.last_response_excerpt == "upstream exploded"
    assert timedelta(seconds=4.5) <= row.next_attempt_at - clock.now() <= timedelta(seconds=5.5)
    with db.read() as session:
        assert session.get(WebhookEndpoint, created["id"]).failing_since == clock.now()  # type: ignore[union-attr]

    assert run_job("webhooks.send_due", db) == 0  # not due yet: nothing sent
    assert len(receiver.received) == 1

    clock.advance(timedelta(seconds=6))
    run_job("webhooks.send_due", db)  # no answer in time
    [row] = deliveries(db)
    assert (row.status, row.attempts, row.last_status_code) == ("failed", 2, None)
    assert row.last_error == "no answer within 0.5 seconds"
    assert timedelta(minutes=4.5) <= row.next_attempt_at - clock.now() <= timedelta(minutes=5.5)

    clock.advance(timedelta(minutes=6))
    assert run_job("webhooks.send_due", db) == 1
    [row] = deliveries(db)
    assert (row.status, row.attempts, row.last_status_code) == ("delivered", 3, 200)
    with db.read() as session:
        assert session.get(WebhookEndpoint, created["id"]).failing_since is None  # type: ignore[union-attr]
    assert len({got.headers["webhook-id"] for got in receiver.received}) == 1
    assert len(receiver.received) == 3
    # Each attempt is signed at its own time (the library refuses the fake clock's future as "too new",
    # so its signer checks the signature itself).
    last = receiver.received[-1]
    sent_at = datetime.fromtimestamp(int(last.headers["webhook-timestamp"]), UTC)
    assert sent_at == clock.now()
    expected = Webhook(created["secret"]).sign(last.headers["webhook-id"], sent_at, last.body)
    assert last.headers["webhook-signature"] == expected


def test_a_replay_is_sent_again_with_the_same_webhook_id(
    client: TestClient, db: Database, store: StoreHandle, receiver: Receiver
) -> None:
    created = add_endpoint(client, store, receiver.url)
    receiver.secret = created["secret"]
    new_customer(client, store)
    deliver(db)
    [original] = deliveries(db)

    replayed = client.post(
        f"/api/v1/webhooks/{created['id']}/deliveries/{original.id}/replay", headers=store.auth
    )
    assert replayed.status_code == 202, replayed.text
    assert replayed.json()["replay_of_id"] == original.id
    deliver(db)

    assert len(receiver.received) == 2
    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == original.message_id
    assert first.body == second.body
    assert not isinstance(second.verified, Exception), second.verified
    assert [row.status for row in deliveries(db)] == ["delivered", "delivered"]


def test_an_endpoint_failing_for_days_is_disabled_and_its_admins_mailed(
    client: TestClient,
    db: Database,
    store: StoreHandle,
    receiver: Receiver,
    clock: FakeClock,
    password_hash: str,
) -> None:
    owner = make_staff(db, store, "owner", password_hash)
    admin = make_staff(db, store, "admin", password_hash)
    make_staff(db, store, "agent", password_hash)
    created = add_endpoint(client, store, receiver.url)
    receiver.answers = [500] * 1000
    new_customer(client, store, "one")
    new_customer(client, store, "two")
    started = clock.now()

    deliver(db)
    attempts = 0
    while True:
        with db.read() as session:
            endpoint = session.get(WebhookEndpoint, created["id"])
            assert endpoint is not None
            due = session.scalar(select(func.min(WebhookDelivery.next_attempt_at)))
        if not endpoint.enabled:
            break
        assert due is not None
        clock.set(due)
        run_job("webhooks.send_due", db)
        attempts += 1
        assert attempts < 60, "never disabled"

    assert clock.now() - started >= timedelta(days=5)
    assert clock.now() - started < timedelta(days=5, hours=11)  # at the first attempt after five days
    assert endpoint.disabled_reason and "failed for 5 days" in endpoint.disabled_reason
    assert {row.status for row in deliveries(db)} == {"given_up"}
    with db.read() as session:
        mails = list(session.scalars(select(AccountEmail).where(AccountEmail.kind == "webhook_disabled")))
    assert sorted(mail.recipient for mail in mails) == sorted([owner, admin])
    text = mails[0].raw.decode()  # type: ignore[union-attr]
    assert receiver.url in text
    assert f"https://desk.example.com/console/{store.slug}/webhooks/{created['id']}" in text
    sent_before = len(receiver.received)
    clock.advance(timedelta(days=1))
    run_job("webhooks.send_due", db)
    assert len(receiver.received) == sent_before  # nothing more goes to a disabled endpoint

    enabled = client.patch(f"/api/v1/webhooks/{created['id']}", headers=store.auth, json={"enabled": True})
    assert enabled.status_code == 200, enabled.text
    assert enabled.json()["enabled"] is True
    assert enabled.json()["disabled_reason"] is None
    assert enabled.json()["failing_since"] is None
