"""Rate limits (kernel/rate_limits.py over the ``limits`` library), each exceeded the way a client would:
widget messages per contact, per address and per store (an error frame on the socket, 429 over HTTP); new
anonymous contacts per address (the socket closes with 4429); offline-form messages per address; API
requests per key (429 with ``Retry-After`` and the JSON error shape). Whatever is refused stores nothing."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from loyaldesk.kernel import rate_limits
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.errors import RateLimited
from loyaldesk.runtime import Runtime
from loyaldesk.settings import Settings
from loyaldesk.web.app import create_app
from tests.factories import StoreHandle, table_counts
from tests.support.desk import hello, receive_until, send_message

CHAT_TABLES = ("support_messages", "support_conversations", "support_contacts", "domain_events")
LOOSE = "1000/minute"


@pytest.fixture
def limited(settings: Settings, db: Database) -> Iterator[Callable[..., TestClient]]:
    """A client of an app whose limits are the given rates (``LOOSE`` for the others)."""
    opened: list[TestClient] = []

    def open_client(**rates: str) -> TestClient:
        values = {f"rate_limit_{spec.name}": LOOSE for spec in rate_limits.ALL_LIMITS}
        values |= {f"rate_limit_{name}": rate for name, rate in rates.items()}
        runtime = Runtime(Settings(**(settings.model_dump() | values)), database=db)
        client = TestClient(create_app(runtime=runtime), base_url="https://testserver")
        client.__enter__()
        opened.append(client)
        return client

    yield open_client
    for client in opened:
        client.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def server_work_done(db: Database) -> Iterator[None]:
    """After the test, wait until the server has given back every database connection: a socket's
    handler may still be reading (replaying a new conversation's events after its ack) when the client
    has already left, and the database is closed next."""
    yield
    deadline = time.monotonic() + 10
    engines = {db.engine, db.read_engine}
    while any(engine.pool.checkedout() for engine in engines) and time.monotonic() < deadline:  # type: ignore[attr-defined]
        time.sleep(0.01)


def refused_frame(answer: dict[str, Any]) -> None:
    assert answer["type"] == "error" and answer["code"] == "rate_limited", answer
    assert answer["retry_after"] >= 1 and "try again" in answer["message"]


def test_widget_messages_per_contact(limited: Callable[..., TestClient], db: Database, store: StoreHandle):
    client = limited(widget_messages_per_contact="3/minute")
    with client.websocket_connect(f"/ws/widget/{store.slug}") as widget:
        hello(widget)
        for number in range(3):
            assert send_message(widget, f"Message {number}", f"c-{number}")["type"] == "ack"
        before = table_counts(db, *CHAT_TABLES)
        refused_frame(send_message(widget, "One too many", "c-3"))
        assert table_counts(db, *CHAT_TABLES) == before
        widget.send_text(json.dumps({"type": "ping"}))  # the chat itself goes on
        assert receive_until(widget, lambda f: f.get("type") == "pong")
    # Another visitor is not held back by this one's count.
    with client.websocket_connect(f"/ws/widget/{store.slug}") as other:
        hello(other)
        assert send_message(other, "Hello", "o-1")["type"] == "ack"


def test_widget_messages_per_address(limited: Callable[..., TestClient], db: Database, store: StoreHandle):
    client = limited(widget_messages_per_address="3/minute")
    with (
        client.websocket_connect(f"/ws/widget/{store.slug}") as first,
        client.websocket_connect(f"/ws/widget/{store.slug}") as second,
    ):
        hello(first)
        hello(second)
        assert send_message(first, "A", "a-1")["type"] == "ack"
        assert send_message(second, "B", "b-1")["type"] == "ack"
        assert send_message(first, "C", "a-2")["type"] == "ack"
        before = table_counts(db, *CHAT_TABLES)
        refused_frame(send_message(second, "D", "b-2"))  # the same address: the fourth is one too many
        assert table_counts(db, *CHAT_TABLES) == before


def test_widget_messages_per_store(
    limited: Callable[..., TestClient], db: Database, store: StoreHandle, other_store: StoreHandle
):
    client = limited(widget_messages_per_store="2/minute")
    with client.websocket_connect(f"/ws/widget/{store.slug}") as widget:
        hello(widget)
        assert send_message(widget, "A", "a-1")["type"] == "ack"
        assert send_message(widget, "B", "a-2")["type"] == "ack"
        before = table_counts(db, *CHAT_TABLES)
        refused_frame(send_message(widget, "C", "a-3"))
        assert table_counts(db, *CHAT_TABLES) == before
    with client.websocket_connect(f"/ws/widget/{other_store.slug}") as elsewhere:
        hello(elsewhere)
        assert send_message(elsewhere, "Hi", "g-1")["type"] == "ack"  # another store's count


def test_widget_uploads_count_as_messages(
    limited: Callable[..., TestClient], db: Database, store: StoreHandle
):
    client = limited(widget_messages_per_contact="1/minute")
    with client.websocket_connect(f"/ws/widget/{store.slug}") as widget:
        ticket = hello(widget)["ticket"]
        assert send_message(widget, "First", "c-1")["type"] == "ack"
        before = table_counts(db, *CHAT_TABLES, "support_attachments")
        response = client.post(
            f"/widget-api/v1/{store.slug}/messages",
            data={"ticket": ticket, "client_message_id": "f-1"},
            files=[("files", ("note.txt", b"hello", "text/plain"))],
        )
        assert response.status_code == 429, response.text
        assert int(response.headers["retry-after"]) >= 1
        assert response.json()["error"]["code"] == "rate_limited"
        assert table_counts(db, *CHAT_TABLES, "support_attachments") == before


def test_new_anonymous_contacts_per_address(
    limited: Callable[..., TestClient], db: Database, store: StoreHandle
):
    client = limited(new_contacts_per_address="2/10 minutes")
    tokens = []
    for _ in range(2):
        with client.websocket_connect(f"/ws/widget/{store.slug}") as widget:
            tokens.append(hello(widget)["visitor_token"])
    before = table_counts(db, *CHAT_TABLES)
    with client.websocket_connect(f"/ws/widget/{store.slug}") as widget:
        refused = hello(widget)
        assert refused["type"] == "error" and refused["code"] == 4429
        assert "new chats from your network address" in refused["message"]
        with pytest.raises(WebSocketDisconnect) as closed:
            widget.receive_text()
    assert closed.value.code == 4429
    assert table_counts(db, *CHAT_TABLES) == before
    # Visitors who come back with their token are not new: they still get in.
    with client.websocket_connect(f"/ws/widget/{store.slug}") as widget:
        assert hello(widget, visitor_token=tokens[0])["type"] == "welcome"


def test_offline_messages_per_address(limited: Callable[..., TestClient], db: Database, store: StoreHandle):
    client = limited(offline_messages_per_address="2/hour")
    body = {"name": "Mia", "email": "mia@example.org", "body": "Do you ship to Italy?"}
    for _ in range(2):
        assert client.post(f"/widget-api/v1/{store.slug}/offline-messages", json=body).status_code == 201
    before = table_counts(db, *CHAT_TABLES)
    refused = client.post(f"/widget-api/v1/{store.slug}/offline-messages", json=body)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 3600
    assert refused.json()["error"]["code"] == "rate_limited"
    assert table_counts(db, *CHAT_TABLES) == before


def test_offline_messages_from_new_visitors_count_as_new_contacts(
    limited: Callable[..., TestClient], db: Database, store: StoreHandle
):
    client = limited(new_contacts_per_address="1/10 minutes")
    body = {"name": "Mia", "email": "mia@example.org", "body": "Hello?"}
    first = client.post(f"/widget-api/v1/{store.slug}/offline-messages", json=body)
    assert first.status_code == 201
    assert client.post(f"/widget-api/v1/{store.slug}/offline-messages", json=body).status_code == 429
    again = {**body, "visitor_token": first.json()["visitor_token"]}  # the same visitor: not new
    assert client.post(f"/widget-api/v1/{store.slug}/offline-messages", json=again).status_code == 201


def test_api_requests_per_key(
    limited: Callable[..., TestClient], db: Database, store: StoreHandle, other_store: StoreHandle
):
    client = limited(api_requests_per_key="3/minute")
    for _ in range(3):
        assert client.get("/api/v1/customers", headers=store.auth).status_code == 200
    before = table_counts(db, "customers", "idempotency_keys", "domain_events")
    for response in (
        client.get("/api/v1/customers", headers=store.auth),
        client.post(
            "/api/v1/customers",
            headers={**store.auth, "Idempotency-Key": "k-1"},
            json={"external_id": "c-1"},
        ),
    ):
        assert response.status_code == 429
        assert 1 <= int(response.headers["retry-after"]) <= 60
        error = response.json()["error"]
        assert error["code"] == "rate_limited" and "API requests" in error["message"]
    assert table_counts(db, "customers", "idempotency_keys", "domain_events") == before
    assert client.get("/api/v1/customers", headers=other_store.auth).status_code == 200  # per key


def test_rates_are_checked_when_the_install_starts(settings: Settings) -> None:
    with pytest.raises(ValueError, match="not a rate"):
        Settings(**(settings.model_dump() | {"rate_limit_api_requests_per_key": "lots"}))


@pytest.mark.skipif(not os.environ.get("LOYALDESK_TEST_REDIS_URL"), reason="needs LOYALDESK_TEST_REDIS_URL")
def test_processes_share_their_counts_through_redis() -> None:
    url = os.environ["LOYALDESK_TEST_REDIS_URL"]
    rates = {rate_limits.API_REQUESTS_PER_KEY.name: "2/minute"}
    first, second = rate_limits.RateLimits(rates, redis_url=url), rate_limits.RateLimits(rates, redis_url=url)
    first.reset()
    try:
        first.hit(rate_limits.API_REQUESTS_PER_KEY, "key")
        second.hit(rate_limits.API_REQUESTS_PER_KEY, "key")
        with pytest.raises(RateLimited):
            first.hit(rate_limits.API_REQUESTS_PER_KEY, "key")
    finally:
        first.reset()


def test_widget_actions_per_contact(
    limited: Callable[..., TestClient], db: Database, store: StoreHandle
) -> None:
    """Dismissing notices and (un)subscribing to web push count per widget contact: over the limit, 429
    and nothing is written."""
    from loyaldesk.channels.widget import WidgetNotice
    from loyaldesk.customers import CustomerProfile, upsert_customer
    from loyaldesk.stores import shopper_signature, store_by_id

    client = limited(widget_actions_per_contact="2/minute")
    with db.read() as session:
        secret = store_by_id(session, store.id).identity_secret
    db.write(upsert_customer, store.actor, store.id, "C-1", CustomerProfile())
    with client.websocket_connect(f"/ws/widget/{store.slug}") as widget:
        welcome = hello(widget, customer=("C-1", shopper_signature(secret, "C-1")))

    import datetime as _dt

    def add(uow):  # type: ignore[no-untyped-def]
        from loyaldesk.support import Contact

        contact = uow.session.query(Contact).filter_by(store_id=store.id).one()
        ids = []
        for number in range(3):
            row = WidgetNotice(
                store_id=store.id,
                customer_id=contact.customer_id,
                contact_id=contact.id,
                title=f"Notice {number}",
                text="",
                created_at=uow.now(),
                expires_at=uow.now() + _dt.timedelta(days=7),
            )
            uow.session.add(row)
            uow.session.flush()
            ids.append(row.id)
        return ids

    ids = db.write(add)
    url = f"/widget-api/v1/{store.slug}/notices/{{}}/dismiss"
    body = {"ticket": welcome["ticket"]}
    assert client.post(url.format(ids[0]), json=body).status_code == 200
    assert client.post(url.format(ids[1]), json=body).status_code == 200
    refused = client.post(url.format(ids[2]), json=body)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert refused.json()["error"]["code"] == "rate_limited"
    with db.read() as session:
        assert session.get(WidgetNotice, ids[2]).dismissed_at is None  # type: ignore[union-attr]
