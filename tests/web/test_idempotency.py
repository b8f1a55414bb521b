"""The Idempotency-Key header on API writes, with Stripe's semantics."""

from __future__ import annotations

import threading
from datetime import timedelta

from fastapi.testclient import TestClient

from loyaldesk.kernel import idempotency
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from tests.factories import StoreHandle, order_payload, table_counts


def test_same_key_same_body_returns_the_stored_response_and_runs_once(
    client: TestClient, db: Database, store: StoreHandle
) -> None:
    headers = {**store.auth, "Idempotency-Key": "order-1001-attempt"}
    first = client.post("/api/v1/orders", headers=headers, json=order_payload())
    assert first.status_code == 201
    counts = table_counts(db, "orders", "domain_events")
    second = client.post("/api/v1/orders", headers=headers, json=order_payload())
    assert second.status_code == 201  # not 200 "unchanged": the very same response again
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert table_counts(db, "orders", "domain_events") == counts


def test_same_key_different_body_is_refused(client: TestClient, db: Database, store: StoreHandle) -> None:
    headers = {**store.auth, "Idempotency-Key": "k1"}
    assert client.post("/api/v1/customers", headers=headers, json={"external_id": "a"}).status_code == 201
    counts = table_counts(db, "customers")
    other = client.post("/api/v1/customers", headers=headers, json={"external_id": "b"})
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert other.json()["error"]["fields"][0]["field"] == "Idempotency-Key"
    other_path = client.put("/api/v1/customers/by-external-id/a", headers=headers, json={})
    assert other_path.status_code == 422
    assert table_counts(db, "customers") == counts


def test_a_request_still_running_gets_409(client: TestClient, db: Database, store: StoreHandle) -> None:
    body = b'{"external_id": "slow"}'
    scope = idempotency.scope_for_credential(store.auth["Authorization"])
    fingerprint = idempotency.fingerprint("POST", "/api/v1/customers", "", body)
    assert isinstance(db.write(idempotency.begin, scope, "busy", fingerprint), idempotency.Proceed)
    response = client.post(
        "/api/v1/customers",
        headers={**store.auth, "Idempotency-Key": "busy", "Content-Type": "application/json"},
        content=body,
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_in_use"
    assert table_counts(db, "customers")["customers"] == 0


def test_a_dead_request_is_taken_over_after_its_lock(
    client: TestClient, db: Database, clock: FakeClock, store: StoreHandle
) -> None:
    body = b'{"external_id": "crashed"}'
    scope = idempotency.scope_for_credential(store.auth["Authorization"])
    fingerprint = idempotency.fingerprint("POST", "/api/v1/customers", "", body)
    db.write(idempotency.begin, scope, "crash", fingerprint)
    clock.advance(timedelta(seconds=idempotency.RUNNING_LOCK_SECONDS + 1))
    response = client.post(
        "/api/v1/customers",
        headers={**store.auth, "Idempotency-Key": "crash", "Content-Type": "application/json"},
        content=body,
    )
    assert response.status_code == 201


def test_a_refused_request_does_not_use_up_the_key(client: TestClient, store: StoreHandle) -> None:
    headers = {**store.auth, "Idempotency-Key": "fix-and-retry"}
    bad = client.post("/api/v1/customers", headers=headers, json={"email": "nope"})
    assert bad.status_code == 422
    good = client.post("/api/v1/customers", headers=headers, json={"email": "fixed@example.com"})
    assert good.status_code == 201


def test_keys_belong_to_one_credential(
    client: TestClient, store: StoreHandle, other_store: StoreHandle
) -> None:
    key = {"Idempotency-Key": "shared-key"}
    mine = client.post("/api/v1/customers", headers={**store.auth, **key}, json={"external_id": "x"})
    theirs = client.post("/api/v1/customers", headers={**other_store.auth, **key}, json={"external_id": "x"})
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]


def test_parallel_retries_with_one_key_create_one_order(
    client: TestClient, db: Database, store: StoreHandle
) -> None:
    headers = {**store.auth, "Idempotency-Key": "parallel"}
    statuses: list[int] = []

    def send() -> None:
        statuses.append(client.post("/api/v1/orders", headers=headers, json=order_payload()).status_code)

    threads = [threading.Thread(target=send) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(statuses) <= {201, 409}
    assert 201 in statuses
    assert table_counts(db, "orders")["orders"] == 1


def test_invalid_keys_are_refused(client: TestClient, store: StoreHandle) -> None:
    response = client.post("/api/v1/customers", headers={**store.auth, "Idempotency-Key": "x" * 300}, json={})
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "Idempotency-Key"


def test_expired_keys_are_purged(db: Database, clock: FakeClock) -> None:
    db.write(idempotency.begin, "scope", "old", "f")
    clock.advance(timedelta(hours=25))
    assert db.write(idempotency.purge_expired, timedelta(hours=24)) == 1
