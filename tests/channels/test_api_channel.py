"""The API channel as a connected app uses it: signed inbound messages (bad signatures and stale
timestamps refused, retries stored once), the same customer across channels, and agents' replies
delivered to a real HTTP callback on 127.0.0.1: signed, refused to a private address unless the install
allows private networks, retried across a restart with nothing lost."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from loyaldesk.channels.api import adapter as api_channel
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.dispatcher import dispatch_until_idle
from loyaldesk.kernel.outbound import OutboundPolicy
from loyaldesk.support.models import ApiChannel, Conversation, Message, OutboundCallback
from tests.factories import StoreHandle, csrf_of, login, make_staff
from tests.support.desk import agent_reply, console_csrf

CHANNELS = "/console/acme/inbox-settings/channels"


class Callbacks:
    """A connected app's callback endpoint: records each POST, answers with ``statuses`` in turn, then 200."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.statuses: list[int] = []

    def handler(self) -> type[BaseHTTPRequestHandler]:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = outer.statuses.pop(0) if outer.statuses else 200
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


@pytest.fixture
def app_server() -> Iterator[tuple[Callbacks, str]]:
    callbacks = Callbacks()
    server = ThreadingHTTPServer(("127.0.0.1", 0), callbacks.handler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield callbacks, f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


def connect(client: TestClient, db: Database, callback_url: str = "") -> ApiChannel:
    data = {
        "name": "SMS gateway",
        "callback_url": callback_url,
        "csrf_token": csrf_of(client.get(CHANNELS).text),
    }
    response = client.post(CHANNELS, data=data, follow_redirects=False)
    assert response.status_code == 303, response.text
    with db.read() as session:
        return session.scalars(select(ApiChannel).order_by(ApiChannel.id.desc())).first()  # type: ignore[return-value]


def post(
    client: TestClient,
    channel: ApiChannel,
    payload: dict[str, Any],
    *,
    secret: str | None = None,
    at: int | None = None,
):
    body = json.dumps(payload).encode()
    timestamp = str(at if at is not None else int(time.time()))
    return client.post(
        f"/channels/api/{channel.id}/messages",
        content=body,
        headers={
            "content-type": "application/json",
            api_channel.TIMESTAMP_HEADER: timestamp,
            api_channel.SIGNATURE_HEADER: api_channel.signature(secret or channel.secret, timestamp, body),
        },
    )


def sms(message_id: str, text: str, **contact: str) -> dict[str, Any]:
    return {
        "message_id": message_id,
        "thread_id": "sms-+4915100000",
        "contact": {"id": "+4915100000", **contact},
        "text": text,
    }


@pytest.fixture
def admin(client: TestClient, db: Database, store: StoreHandle, password_hash: str) -> str:
    email = make_staff(db, store, "admin", password_hash)
    login(client, email)
    return email


def test_signed_messages_are_stored_once_and_bad_ones_refused(
    client: TestClient, db: Database, store: StoreHandle, admin: str, clock: FakeClock
):
    channel = connect(client, db)
    now = int(clock.now().timestamp())
    first = post(client, channel, sms("m-1", "Is my order shipped?"), at=now)
    assert first.status_code == 202, first.text
    again = post(client, channel, sms("m-1", "Is my order shipped?"), at=now)  # the app retried
    assert again.json() == first.json()
    assert post(client, channel, sms("m-2", "hello"), secret="not-the-secret", at=now).status_code == 401
    stale = post(client, channel, sms("m-3", "hello"), at=now - 3600)
    assert stale.status_code == 401 and "five minutes" in stale.text
    unsigned = client.post(f"/channels/api/{channel.id}/messages", json=sms("m-4", "hi"))
    assert unsigned.status_code == 401
    invalid = post(client, channel, {"message_id": "m-5", "contact": {"id": "x"}, "text": ""}, at=now)
    assert invalid.status_code == 422 and "text" in invalid.text
    assert post(client, channel, sms("m-6", "x"), at=now).status_code == 202
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Message)) == 2
        conversation = session.scalars(select(Conversation)).one()  # the thread id keeps them together
    assert (conversation.channel, conversation.api_channel_id) == ("api", channel.id)
    assert client.post("/channels/api/999/messages", json={}).status_code == 404


def test_the_customer_is_the_same_on_every_channel(
    client: TestClient, db: Database, store: StoreHandle, admin: str, clock: FakeClock
):
    from loyaldesk.customers import CustomerProfile, upsert_customer
    from loyaldesk.kernel.actors import system_for

    db.write(
        upsert_customer,
        system_for(store.id),
        store.id,
        "c-7",
        CustomerProfile(email="ana@example.org"),
        source="api",
    )
    channel = connect(client, db)
    now = int(clock.now().timestamp())
    post(client, channel, sms("m-1", "Hi from SMS", email="ana@example.org"), at=now)
    with client.websocket_connect(f"/ws/widget/{store.slug}") as widget:
        from loyaldesk.stores import store_by_id
        from tests.support.desk import hello, send_message, signed

        with db.read() as session:
            secret = store_by_id(session, store.id).identity_secret
        hello(widget, customer=signed(secret, "c-7"))
        send_message(widget, "And hi from the chat", "c-1")
    with db.read() as session:
        customers = set(session.scalars(select(Conversation.customer_id)))
    assert len(customers) == 1 and None not in customers  # one customer, one history
    conversation_id = max(c.id for c in _conversations(db))
    page = client.get("/console/acme/inbox", params={"c": conversation_id}).text
    assert "api" in page and "webchat" in page  # past conversations list the other channel


def _conversations(db: Database) -> list[Conversation]:
    with db.read() as session:
        return list(session.scalars(select(Conversation)))


def test_replies_reach_the_callback_signed_only_where_allowed_and_survive_a_restart(
    client: TestClient,
    db: Database,
    store: StoreHandle,
    admin: str,
    clock: FakeClock,
    app_server: tuple[Callbacks, str],
    database_url: str,
):
    callbacks, url = app_server
    # The app is on this machine: a host name that resolves to 127.0.0.1 (a literal one would be refused
    # by the form already), delivered where the install allows private networks.
    url = url.replace("127.0.0.1", "localhost.shop.test")
    local = {"localhost.shop.test": ["127.0.0.1"]}
    public_only = OutboundPolicy(resolver=lambda host, _port: local.get(host, []))
    private_allowed = OutboundPolicy(allow_private_network=True, resolver=public_only.resolver)
    channel = connect(client, db, callback_url=url)
    post(client, channel, sms("m-1", "Where is my parcel?"), at=int(clock.now().timestamp()))
    conversation = _conversations(db)[0]
    csrf = console_csrf(client, store.slug)
    assert (
        agent_reply(client, store.slug, conversation.id, "It arrives tomorrow.", csrf=csrf).status_code == 201
    )
    agent_reply(client, store.slug, conversation.id, "internal: check carrier", internal=True, csrf=csrf)
    dispatch_until_idle(db)
    with httpx.Client() as http:
        assert api_channel.send_due(db, http, policy=public_only) == 0
    assert callbacks.received == []  # a private address, refused
    with db.read() as session:
        row = session.scalars(select(OutboundCallback)).one()
        assert "resolves to a loopback address" in (row.last_error or "")

    # The install allows private networks; the app answers 500 once, then the server restarts.
    callbacks.statuses = [500]
    clock.advance(timedelta(minutes=2))
    with httpx.Client() as http:
        assert api_channel.send_due(db, http, policy=private_allowed) == 0
    restarted = Database(database_url, clock=clock)  # a new process: only the database remembers
    try:
        clock.advance(timedelta(minutes=5))
        with httpx.Client() as http:
            assert api_channel.send_due(restarted, http, policy=private_allowed) == 1
            assert api_channel.send_due(restarted, http, policy=private_allowed) == 0  # never again
    finally:
        restarted.dispose()
    assert len(callbacks.received) == 2  # the failed attempt and the delivery, with one delivery id
    (headers, body), (_, second_body) = callbacks.received
    assert json.loads(body)["delivery_id"] == json.loads(second_body)["delivery_id"]
    payload = json.loads(second_body)
    assert payload["message"]["text"] == "It arrives tomorrow." and payload["thread_id"] == "sms-+4915100000"
    expected = api_channel.signature(channel.secret, headers["x-loyaldesk-timestamp"], body)
    assert headers["x-loyaldesk-signature"] == expected


def test_agents_cannot_connect_apps(client: TestClient, db: Database, store: StoreHandle, password_hash: str):
    login(client, make_staff(db, store, "agent", password_hash))
    assert client.get(CHANNELS).status_code == 403
    refused = client.post(
        CHANNELS, data={"name": "x", "csrf_token": csrf_of(client.get("/console/acme/inbox").text)}
    )
    assert refused.status_code == 403


def test_public_addresses_are_told_apart_from_private_ones() -> None:
    assert not api_channel.address_is_public("127.0.0.1")
    assert not api_channel.address_is_public("10.1.2.3")
    assert not api_channel.address_is_public("169.254.169.254")  # cloud metadata
    assert not api_channel.address_is_public("::1")
    assert not api_channel.address_is_public("no-such-host.invalid")
    assert api_channel.address_is_public("8.8.8.8")
