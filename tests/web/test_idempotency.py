"""The Idempotency-Key header on API writes, with Stripe's semantics."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, text

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
    headers = {**store.auth, "Idempotency-Key": "busy", "Content-Type": "application/json"}
    # Running in this process: the key is in flight here.
    assert idempotency.hold(scope, "busy")
    try:
        response = client.post("/api/v1/customers", headers=headers, content=body)
    finally:
        idempotency.let_go(scope, "busy")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_in_use"
    assert response.headers["retry-after"] == "1"
    if db.backend == "postgresql":
        # Running in another process: its transaction holds the key's advisory lock.
        other = db.shared_transaction()
        try:
            assert isinstance(other.run(idempotency.begin, scope, "busy", fingerprint), idempotency.Proceed)
            response = client.post("/api/v1/customers", headers=headers, content=body)
            assert response.status_code == 409
        finally:
            other.rollback()
    assert table_counts(db, "customers", "idempotency_keys")["customers"] == 0
    assert client.post("/api/v1/customers", headers=headers, content=body).status_code == 201


def test_a_request_whose_process_died_is_retried_at_once(
    client: TestClient, db: Database, store: StoreHandle
) -> None:
    body = b'{"external_id": "crashed"}'
    scope = idempotency.scope_for_credential(store.auth["Authorization"])
    fingerprint = idempotency.fingerprint("POST", "/api/v1/customers", "", body)
    # A request claimed the key and wrote its effect, then its process died before the commit: the
    # database ends that transaction, and with it the claim and the half-done effect.
    dead = db.shared_transaction()
    dead.run(idempotency.begin, scope, "crash", fingerprint)
    dead.run(lambda uow: uow.session.execute(text("UPDATE stores SET name = 'half done'")))
    dead.session.connection().invalidate()  # the connection is gone, as with a killed process
    dead.rollback()
    response = client.post(
        "/api/v1/customers",
        headers={**store.auth, "Idempotency-Key": "crash", "Content-Type": "application/json"},
        content=body,
    )
    assert response.status_code == 201
    assert table_counts(db, "customers")["customers"] == 1
    with db.read() as session:
        assert "half done" not in session.scalars(text("SELECT name FROM stores")).all()


def test_a_claim_left_running_by_an_earlier_version_is_taken_over(
    client: TestClient, db: Database, store: StoreHandle
) -> None:
    body = b'{"external_id": "legacy"}'
    scope = idempotency.scope_for_credential(store.auth["Authorization"])
    fingerprint = idempotency.fingerprint("POST", "/api/v1/customers", "", body)
    db.write(
        lambda uow: uow.session.add(
            idempotency.IdempotencyRecord(
                scope=scope, key="legacy", fingerprint=fingerprint, state="running", created_at=uow.now()
            )
        )
    )
    response = client.post(
        "/api/v1/customers",
        headers={**store.auth, "Idempotency-Key": "legacy", "Content-Type": "application/json"},
        content=body,
    )
    assert response.status_code == 201
    assert table_counts(db, "customers", "idempotency_keys") == {"customers": 1, "idempotency_keys": 1}


def test_the_response_is_stored_with_the_effect_or_not_at_all(
    client: TestClient, db: Database, store: StoreHandle
) -> None:
    headers = {**store.auth, "Idempotency-Key": "together"}
    before = table_counts(db, "customers", "idempotency_keys", "domain_events")
    conflict = client.post("/api/v1/customers", headers=headers, json={"external_id": "x", "email": "no"})
    assert conflict.status_code == 422
    assert table_counts(db, "customers", "idempotency_keys", "domain_events") == before
    created = client.post("/api/v1/customers", headers=headers, json={"external_id": "x"})
    assert created.status_code == 201
    after = table_counts(db, "customers", "idempotency_keys", "domain_events")
    assert after["customers"] == 1 and after["idempotency_keys"] == 1 and after["domain_events"] > 0
    with db.read() as session:
        stored = session.scalars(select(idempotency.IdempotencyRecord)).one()
        assert json.loads(stored.response_body or b"") == created.json()


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
    db.write(idempotency.finish, "scope", "old", "f", 201, "application/json", b"{}")
    clock.advance(timedelta(hours=25))
    assert db.write(idempotency.purge_expired, timedelta(hours=24)) == 1
