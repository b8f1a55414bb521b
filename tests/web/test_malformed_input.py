"""Malformed input of every kind gets a 4xx naming the problem; never a 500, never a half-write."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from loyaldesk.kernel.db import Database
from tests.factories import StoreHandle, order_payload, table_counts

WRITES = [
    ("POST", "/api/v1/customers"),
    ("PATCH", "/api/v1/customers/1"),
    ("PUT", "/api/v1/customers/by-external-id/abc"),
    ("POST", "/api/v1/orders"),
    ("POST", "/api/v1/orders/batch"),
    ("POST", "/api/v1/orders/1/status"),
    ("POST", "/api/v1/orders/1/refunds"),
    ("POST", "/api/v1/products"),
    ("POST", "/api/v1/products/batch"),
]

BODIES = {
    "not json": b"{this is not json",
    "truncated json": b'{"external_id": "x", ',
    "a json array": b"[1, 2, 3]",
    "a json string": b'"hello"',
    "null": b"null",
    "empty": b"",
    "nul escape": b'{"external_id": "a\\u0000b", "first_name": "x\\u0000"}',
    "invalid utf-8": b'{"external_id": "\xff\xfe"}',
    "huge number": b'{"external_id": "x", "quantity": 1e400, "customer_id": 99999999999999999999999999}',
    "deep nesting": b"[" * 5000 + b"]" * 5000,
}

ALL_TABLES = (
    "customers",
    "orders",
    "order_lines",
    "refunds",
    "products",
    "domain_events",
    "idempotency_keys",
)


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_malformed_bodies_are_refused_with_a_reason(
    client: TestClient, db: Database, store: StoreHandle, method: str, path: str
) -> None:
    client.post("/api/v1/orders", headers=store.auth, json=order_payload("1"))
    before = table_counts(db, *ALL_TABLES)
    for name, body in BODIES.items():
        response = client.request(
            method, path, content=body, headers={**store.auth, "Content-Type": "application/json"}
        )
        assert 400 <= response.status_code < 500, (name, response.status_code, response.text)
        error = response.json()["error"]
        assert error["message"], name
        if response.status_code == 422:
            assert error["fields"] and all(f["field"] and f["reason"] for f in error["fields"]), (name, error)
    assert table_counts(db, *ALL_TABLES) == before


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=100000",
        "limit=abc",
        "cursor=!!!",
        "cursor=eyJiZWZvcmUiOiAiYSJ9",
        "customer_id=-1",
        "status=lost",
        "placed_from=yesterday",
        "placed_from=2026-01-01T00:00:00",
        "q=" + "x" * 500,
        "q=%00",
    ],
)
def test_malformed_query_parameters(client: TestClient, store: StoreHandle, query: str) -> None:
    for path in ("/api/v1/customers", "/api/v1/orders"):
        response = client.get(f"{path}?{query}", headers=store.auth)
        assert response.status_code in (200, 422), (path, query, response.text)
        if response.status_code == 422:
            assert response.json()["error"]["fields"][0]["field"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/customers/0",
        "/api/v1/customers/-5",
        "/api/v1/customers/99999999999999999999999",
        "/api/v1/customers/1.5",
        "/api/v1/orders/abc",
        "/api/v1/customers/by-external-id/%00",
        "/api/v1/nothing-here",
    ],
)
def test_malformed_paths(client: TestClient, store: StoreHandle, path: str) -> None:
    response = client.get(path, headers=store.auth)
    assert response.status_code in (404, 422), (path, response.text)
    assert response.json()["error"]["code"]


def test_wrong_method_and_wrong_content_type(client: TestClient, store: StoreHandle) -> None:
    assert client.delete("/api/v1/orders", headers=store.auth).status_code == 405
    response = client.post(
        "/api/v1/customers", headers={**store.auth, "Content-Type": "text/plain"}, content=b"external_id=x"
    )
    assert response.status_code == 422


def test_oversized_body_is_refused(client: TestClient, store: StoreHandle) -> None:
    response = client.post(
        "/api/v1/orders/batch",
        headers={**store.auth, "Content-Type": "application/json"},
        content=b" " * 10_000_001,
    )
    assert response.status_code == 413


def test_too_big_a_batch_is_refused(client: TestClient, store: StoreHandle) -> None:
    orders = [order_payload(f"o{i}") for i in range(1001)]
    response = client.post("/api/v1/orders/batch", headers=store.auth, json={"orders": orders})
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "orders"


def test_amounts_that_would_overflow_are_refused(
    client: TestClient, db: Database, store: StoreHandle
) -> None:
    huge = order_payload(lines=[{"title": "x", "quantity": 1_000_000, "unit_price": 10**15}])
    response = client.post("/api/v1/orders", headers=store.auth, json=huge)
    assert response.status_code == 422 and response.json()["error"]["fields"][0]["field"] == "lines"
    assert table_counts(db, "orders")["orders"] == 0
