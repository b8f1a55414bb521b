"""Another store's conversation ids answer exactly like ids that do not exist (404, the same body) on every
console route, widget frame and widget HTTP route that takes one, and nothing changes: an id tells
nobody whether some other store has that conversation."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from loyaldesk.kernel.db import Database
from loyaldesk.stores import store_by_id
from loyaldesk.support.actions.csat import csat_link_token
from loyaldesk.support.models import Conversation
from tests.factories import StoreHandle, login, make_staff, table_counts
from tests.support.desk import console_csrf, console_socket, hello, receive_until, send_message

SUPPORT_TABLES = (
    "support_conversations",
    "support_messages",
    "support_tasks",
    "support_goodwill_grants",
    "support_csat_responses",
    "domain_events",
    "audit_log",
)


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


@pytest.fixture
def theirs(client: TestClient, db: Database, other_store: StoreHandle) -> int:
    """A conversation of the other store (globex), started by one of its visitors."""
    with client.websocket_connect(f"/ws/widget/{other_store.slug}") as widget:
        hello(widget)
        return int(send_message(widget, "A Globex question", "g-1")["conversation_id"])


def snapshot(db: Database, conversation_id: int) -> tuple[dict[str, int], tuple[Any, ...]]:
    with db.read() as session:
        row = session.get(Conversation, conversation_id)
        assert row is not None
        state = (row.status, row.assignee_id, row.priority, tuple(row.labels or []), row.message_count)
    return table_counts(db, *SUPPORT_TABLES), state


def test_console_routes_answer_another_stores_id_like_a_missing_one(
    client: TestClient, db: Database, store: StoreHandle, theirs: int, password_hash: str
) -> None:
    login(client, make_staff(db, store, "owner", password_hash))
    csrf = console_csrf(client, store.slug)
    missing = theirs + 10_000
    routes: list[tuple[str, str, dict[str, str] | None]] = [
        ("GET", "/inbox/{id}/messages.json", None),
        ("POST", "/inbox/{id}/messages", {"body": "Hello from Acme"}),
        ("GET", "/inbox/{id}/attachments/1", None),
        ("POST", "/inbox/{id}/goodwill", {"reason": "sorry", "points": "10"}),
        ("POST", "/inbox/{id}/tasks/1/done", {}),
        ("POST", "/inbox/{id}/status", {"status": "resolved"}),
        ("POST", "/inbox/{id}/assign", {"assignee_id": "me"}),
        ("POST", "/inbox/{id}/details", {"priority": "urgent", "labels": "vip"}),
        ("GET", "/inbox/{id}/canned/1", None),
    ]
    before = snapshot(db, theirs)
    for method, template, data in routes:
        answers = []
        for conversation_id in (theirs, missing):
            path = f"/console/{store.slug}" + template.format(id=conversation_id)
            response = client.request(
                method,
                path,
                data=None if data is None else {**data, "csrf_token": csrf},
                headers={"accept": "application/json"},
                follow_redirects=False,
            )
            answers.append((response.status_code, response.json()))
        assert answers[0] == answers[1], (template, answers)
        assert answers[0][0] == 404, (template, answers)
    page = client.get(f"/console/{store.slug}/inbox", params={"c": theirs})
    assert page.status_code == 404 and "Globex question" not in page.text
    assert snapshot(db, theirs) == before


def test_widget_frames_and_routes_answer_another_stores_id_like_a_missing_one(
    client: TestClient, db: Database, store: StoreHandle, other_store: StoreHandle, theirs: int
) -> None:
    missing = theirs + 10_000
    before = snapshot(db, theirs)
    with client.websocket_connect(f"/ws/widget/{store.slug}") as widget:
        welcome = hello(widget)
        ticket = welcome["ticket"]
        answers = []
        for conversation_id in (theirs, missing):
            frames: list[dict[str, Any]] = [
                {"type": "message", "client_message_id": "x-1", "body": "Let me in"},
                {"type": "csat", "rating": 1},
                {"type": "watch"},
                {"type": "typing", "typing": True},
                {"type": "read", "message_id": 1},
            ]
            for frame in frames:
                widget.send_text(json.dumps({**frame, "conversation_id": conversation_id}))
            answers.append([receive_until(widget, lambda f: f.get("type") == "error") for _ in frames])
        assert answers[0] == answers[1]
        assert {answer["message"] for answer in answers[0]} == {"no such conversation"}
        widget.send_text(json.dumps({"type": "ping"}))
        assert receive_until(widget, lambda f: f.get("type") in ("pong", "error")) == {"type": "pong"}

        uploads = []
        for conversation_id in (theirs, missing):
            response = client.post(
                f"/widget-api/v1/{store.slug}/messages",
                data={
                    "ticket": ticket,
                    "client_message_id": f"f-{conversation_id}",
                    "conversation_id": str(conversation_id),
                },
                files=[("files", ("note.txt", b"hello", "text/plain"))],
            )
            uploads.append((response.status_code, response.json()))
        assert uploads[0] == uploads[1] and uploads[0][0] == 404

    with db.read() as session:
        their_secret = store_by_id(session, other_store.id).identity_secret
    ratings = []
    for conversation_id in (theirs, missing):
        # Even with the other store's valid rating token, under this store's address it is not there.
        token = csat_link_token(their_secret, conversation_id)
        response = client.get(f"/csat/{store.slug}/{conversation_id}/{token}")
        ratings.append((response.status_code, response.text))
    assert ratings[0] == ratings[1] and ratings[0][0] == 404
    assert snapshot(db, theirs) == before


def test_the_console_socket_ignores_typing_in_another_stores_conversation(
    client: TestClient,
    db: Database,
    store: StoreHandle,
    other_store: StoreHandle,
    theirs: int,
    password_hash: str,
) -> None:
    login(client, make_staff(db, store, "agent", password_hash))
    with client.websocket_connect(f"/ws/widget/{other_store.slug}") as their_widget:
        hello(their_widget)
        with console_socket(client, store.slug) as console:
            assert receive_until(console, lambda f: f.get("type") == "ready")
            console.send_text(json.dumps({"type": "typing", "conversation_id": theirs, "typing": True}))
            console.send_text(json.dumps({"type": "ping"}))
            assert receive_until(console, lambda f: f.get("type") == "pong")
        their_widget.send_text(json.dumps({"type": "ping"}))
        # The other store's visitor hears no typing from this store's agent, only the answer to its ping.
        assert receive_until(their_widget, lambda f: f.get("type") in ("typing", "pong")) == {"type": "pong"}
    with db.read() as session:
        assert (
            session.scalars(select(Conversation.store_id).where(Conversation.id == theirs)).one()
            == other_store.id
        )
