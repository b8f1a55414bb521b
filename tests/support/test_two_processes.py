"""Two real server processes behind two ports, sharing PostgreSQL and Redis, as a deployment with
several processes behind one address runs: a shopper on process A reaches an agent on process B and
the agent's answer comes back, live, across the processes.

Runs only when LOYALDESK_TEST_DATABASE_URL and LOYALDESK_TEST_REDIS_URL are set (``.ci/run`` sets them).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from loyaldesk.kernel.db import Database
from tests.conftest import POSTGRES_URL, REDIS_URL, _truncate_postgres
from tests.factories import TEST_PASSWORD, csrf_of, make_staff, make_store
from tests.servers import server_processes

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (POSTGRES_URL and REDIS_URL), reason="needs PostgreSQL and Redis"),
]
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def two_servers(postgres_migrated: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    _truncate_postgres(postgres_migrated)
    with server_processes(2, tmp_path, shared_environment(tmp_path)) as (first, second):
        yield first, second


def shared_environment(tmp_path: Path) -> dict[str, str]:
    """What two server processes of one install share: the database, Redis and the secret key."""
    return {
        "LOYALDESK_DATABASE_URL": str(POSTGRES_URL),
        "LOYALDESK_REDIS_URL": str(REDIS_URL),
        "LOYALDESK_SECRET_KEY": "two-processes-share-this-key",
        "LOYALDESK_COOKIE_SECURE": "false",
        "LOYALDESK_DATA_DIR": str(tmp_path / "var"),
    }


def _frames_until(ws: ClientConnection, predicate: Any, timeout: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        frame = json.loads(ws.recv(timeout=left))
        if frame.get("type") == "ping":
            ws.send(json.dumps({"type": "pong"}))
        if predicate(frame):
            return frame  # type: ignore[no-any-return]
    raise AssertionError("no matching frame arrived in time")


def _posted(author_kind: str) -> Any:
    return lambda frame: (
        frame.get("event") == "conversation.message_posted"
        and frame["data"]["message"]["author_kind"] == author_kind
    )


def test_a_shopper_on_process_a_reaches_an_agent_on_process_b(
    two_servers: tuple[str, str], password_hash: str
) -> None:
    process_a, process_b = two_servers
    database = Database(str(POSTGRES_URL))
    try:
        store = make_store(database, "acme")
        email = make_staff(database, store, "agent", password_hash)
    finally:
        database.dispose()

    # The agent logs in on process B and opens the live inbox there.
    agent = httpx.Client(base_url=process_b, follow_redirects=False)
    token = csrf_of(agent.get("/login").text)
    login = agent.post(
        "/login", data={"email": email, "password": TEST_PASSWORD, "csrf_token": token, "next": "/console"}
    )
    assert login.status_code == 303, login.text
    cookie = "; ".join(f"{name}={value}" for name, value in agent.cookies.items())
    console_url = process_b.replace("http", "ws") + "/ws/console/acme"
    with connect(console_url, additional_headers={"Cookie": cookie, "Origin": process_b}) as console:
        assert _frames_until(console, lambda f: f.get("type") == "ready")

        # The shopper's widget talks to process A.
        with connect(process_a.replace("http", "ws") + "/ws/widget/acme") as widget:
            widget.send(json.dumps({"type": "hello"}))
            welcome = _frames_until(widget, lambda f: f.get("type") == "welcome")
            assert welcome["agents_online"] is True  # B's console counts, through the shared database
            widget.send(json.dumps({"type": "message", "client_message_id": "c-1", "body": "Hello from A"}))
            ack = _frames_until(widget, lambda f: f.get("type") == "ack")
            conversation_id = ack["conversation_id"]

            # Process B's agent sees it live, and it was routed to them.
            seen = _frames_until(console, _posted("customer"))
            assert seen["conversation_id"] == conversation_id
            assert seen["data"]["message"]["body_html"] == "<p>Hello from A</p>"
            assigned = _frames_until(console, lambda f: f.get("event") == "conversation.assigned")
            assert assigned["data"]["automatic"] is True

            # The agent answers on B; the shopper on A gets it once.
            csrf = csrf_of(agent.get("/console/acme/inbox").text)
            reply = agent.post(
                f"/console/acme/inbox/{conversation_id}/messages",
                data={"body": "Hi from B", "csrf_token": csrf},
                headers={"accept": "application/json"},
            )
            assert reply.status_code == 201, reply.text
            answer = _frames_until(widget, _posted("agent"))
            assert answer["data"]["message"]["body_html"] == "<p>Hi from B</p>"

            # Typing (never stored, only fanned out through Redis) crosses the processes too.
            widget.send(json.dumps({"type": "typing", "conversation_id": conversation_id, "typing": True}))
            typing = _frames_until(console, lambda f: f.get("type") == "typing")
            assert typing["conversation_id"] == conversation_id and typing["who"] == "customer"

        # A shopper reconnecting to process B resumes from their last event with nothing duplicated.
        with connect(process_b.replace("http", "ws") + "/ws/widget/acme") as again:
            again.send(
                json.dumps(
                    {
                        "type": "hello",
                        "visitor_token": welcome["visitor_token"],
                        "last_event_id": answer["id"],
                    }
                )
            )
            resumed = _frames_until(again, lambda f: f.get("type") == "welcome")
            assert resumed["conversation"]["id"] == conversation_id
            assert resumed["messages"] is None  # resuming: only events after the last one, and there are none
    agent.close()
