"""Frames no client should send get a clean error frame, never a traceback: JSON nested 10,000 deep (which
makes the standard library's parser raise RecursionError), too deep to walk, too large, not an object.
The chat stays open afterwards and nothing is stored; a bad hello is refused with a policy close code."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from loyaldesk.kernel.db import Database
from loyaldesk.kernel.json_limits import JsonRefused, depth_exceeds, loads_limited
from tests.factories import StoreHandle, login, make_staff, table_counts
from tests.support.desk import console_socket, hello, receive_until, send_message

DEEP = "[" * 10_000 + "]" * 10_000
DEEP_OBJECT = '{"a":' * 10_000 + "1" + "}" * 10_000


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


def test_a_deeply_nested_frame_gets_an_error_and_the_chat_goes_on(
    client: TestClient, db: Database, store: StoreHandle
) -> None:
    with client.websocket_connect(f"/ws/widget/{store.slug}") as widget:
        hello(widget)
        before = table_counts(db, "support_messages", "support_conversations")
        bad_frames = [
            DEEP,
            DEEP_OBJECT,
            json.dumps({"type": "message", "client_message_id": "c-1", "body": [[[[[[[[[["hi"]]]]]]]]]]}),
            "x" * 70_000,
            "{not json",
            "[1, 2, 3]",
        ]
        for frame in bad_frames:
            widget.send_text(frame)
            error = receive_until(widget, lambda f: f.get("type") == "error")
            assert error["code"] == "bad_frame" and error["message"], frame[:40]
        widget.send_bytes(b"\x00\x01 binary")  # Starlette's receive_text would raise KeyError on it
        error = receive_until(widget, lambda f: f.get("type") == "error")
        assert error == {"type": "error", "code": "bad_frame", "message": "frames are JSON text"}
        assert table_counts(db, "support_messages", "support_conversations") == before
        widget.send_text(json.dumps({"type": "ping"}))
        assert receive_until(widget, lambda f: f.get("type") == "pong") == {"type": "pong"}
        assert send_message(widget, "Still here", "c-2")["type"] == "ack"


def test_a_deeply_nested_hello_is_refused_with_a_policy_close(client: TestClient, store: StoreHandle) -> None:
    with client.websocket_connect(f"/ws/widget/{store.slug}") as widget:
        widget.send_text(DEEP)
        refused = json.loads(widget.receive_text())
        assert refused["type"] == "error" and refused["code"] == 4400
        assert "nested" in refused["message"]
        with pytest.raises(WebSocketDisconnect) as closed:
            widget.receive_text()
    assert closed.value.code == 4400


def test_the_console_socket_answers_a_deep_frame_with_an_error(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    login(client, make_staff(db, store, "agent", password_hash))
    with console_socket(client, store.slug) as console:
        console.send_text(DEEP)  # taken as the (refused) resume request: starts from now
        assert receive_until(console, lambda f: f.get("type") == "ready")
        console.send_text(DEEP_OBJECT)
        error = receive_until(console, lambda f: f.get("type") == "error")
        assert error["code"] == "bad_frame"
        console.send_text(json.dumps({"type": "ping"}))
        assert receive_until(console, lambda f: f.get("type") == "pong")


def test_loads_limited_measures_depth_without_recursion() -> None:
    assert loads_limited('{"a": [1, {"b": 2}]}', max_bytes=100, max_depth=3) == {"a": [1, {"b": 2}]}
    for text in ('{"a": [1, {"b": [2]}]}', DEEP, DEEP_OBJECT):
        with pytest.raises(JsonRefused, match="nested"):
            loads_limited(text, max_bytes=100_000, max_depth=3)
    with pytest.raises(JsonRefused, match="bytes"):
        loads_limited("[1]", max_bytes=2)
    nested: list[object] = []
    for _ in range(50_000):  # deeper than any recursive walk could go
        nested = [nested]
    assert depth_exceeds(nested, 49_999) and not depth_exceeds(nested, 50_001)
