"""Agents' replies go to an app's callback only at public addresses (unless the install allows private
networks), and to the address that was checked: a resolver that answers a public address and then a
private one cannot make us connect to either; a name resolved once is connected to by its checked address
with the name in the Host header and, over HTTPS, as the TLS server name (the certificate is verified for
the name). NAT64, IPv4-mapped and IPv4-compatible literals of private addresses are refused by the form."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import ThreadingHTTPServer

import httpx
import pytest
import trustme
from fastapi.testclient import TestClient
from sqlalchemy import select

from loyaldesk.channels.api import adapter as api_channel
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.dispatcher import dispatch_until_idle
from loyaldesk.kernel.outbound import OutboundPolicy
from loyaldesk.support.models import Conversation, OutboundCallback
from tests.channels.test_api_channel import CHANNELS, Callbacks, connect, post, sms
from tests.factories import StoreHandle, csrf_of, login, make_staff, table_counts
from tests.support.desk import agent_reply, console_csrf

NAME = "hooks.shop.test"


@pytest.fixture
def admin(client: TestClient, db: Database, store: StoreHandle, password_hash: str) -> str:
    email = make_staff(db, store, "admin", password_hash)
    login(client, email)
    return email


def serve(tls: ssl.SSLContext | None = None) -> tuple[Callbacks, ThreadingHTTPServer]:
    callbacks = Callbacks()
    server = ThreadingHTTPServer(("127.0.0.1", 0), callbacks.handler())
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return callbacks, server


@pytest.fixture
def app_server() -> Iterator[tuple[Callbacks, int]]:
    callbacks, server = serve()
    try:
        yield callbacks, server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def reply_waiting(client: TestClient, db: Database, store: StoreHandle, clock: FakeClock, url: str) -> None:
    """A channel calling back at ``url``, and an agent's reply to one of its conversations, due now."""
    channel = connect(client, db, callback_url=url)
    post(client, channel, sms("m-1", "Where is my parcel?"), at=int(clock.now().timestamp()))
    with db.read() as session:
        conversation_id = session.scalars(select(Conversation.id)).one()
    csrf = console_csrf(client, store.slug)
    assert agent_reply(client, store.slug, conversation_id, "Tomorrow.", csrf=csrf).status_code == 201
    dispatch_until_idle(db)


def last_error(db: Database) -> str:
    with db.read() as session:
        return session.scalars(select(OutboundCallback.last_error)).one() or ""


def test_a_public_then_private_answer_reaches_neither(
    client: TestClient, db: Database, store: StoreHandle, admin: str, clock: FakeClock, app_server
) -> None:
    callbacks, port = app_server
    reply_waiting(client, db, store, clock, f"http://{NAME}:{port}/hook")
    for answer in (["93.184.216.34", "127.0.0.1"], ["::ffff:127.0.0.1"], ["64:ff9b::7f00:1"]):
        policy = OutboundPolicy(resolver=lambda host, _port, answer=answer: answer if host == NAME else [])
        with httpx.Client() as http:
            assert api_channel.send_due(db, http, policy=policy) == 0
        assert "only public addresses" in last_error(db), answer
        clock.advance(timedelta(hours=1))  # past the retry's back-off
    assert callbacks.received == []


def test_the_checked_address_is_connected_to_with_the_name_as_host(
    client: TestClient, db: Database, store: StoreHandle, admin: str, clock: FakeClock, app_server
) -> None:
    callbacks, port = app_server
    reply_waiting(client, db, store, clock, f"http://{NAME}:{port}/hook?from=loyaldesk")
    lookups: list[str] = []

    def resolver(host: str, _port: int) -> list[str]:
        lookups.append(host)
        return ["127.0.0.1"] if host == NAME and len(lookups) == 1 else ["93.184.216.34"]

    policy = OutboundPolicy(allow_private_network=True, resolver=resolver)
    with httpx.Client() as http:
        assert api_channel.send_due(db, http, policy=policy) == 1
    assert lookups == [NAME]  # resolved once; a second answer could never be used
    [(headers, _body)] = callbacks.received
    assert headers["host"] == f"{NAME}:{port}"


def test_https_callbacks_verify_the_certificate_for_the_name(
    client: TestClient, db: Database, store: StoreHandle, admin: str, clock: FakeClock
) -> None:
    ca = trustme.CA()
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(NAME).configure_cert(server_tls)
    client_tls = ssl.create_default_context()
    ca.configure_trust(client_tls)
    callbacks, server = serve(server_tls)
    try:
        port = server.server_address[1]
        reply_waiting(client, db, store, clock, f"https://{NAME}:{port}/hook")
        policy = OutboundPolicy(allow_private_network=True, resolver=lambda host, _port: ["127.0.0.1"])
        with httpx.Client(verify=client_tls) as http:
            assert api_channel.send_due(db, http, policy=policy) == 1
        assert len(callbacks.received) == 1
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[::ffff:a01:203]/hook",  # ::ffff:10.1.2.3
        "http://[64:ff9b::a01:203]/hook",  # NAT64 of 10.1.2.3
        "http://[64:ff9b:1::1]/hook",
        "http://[::7f00:1]/hook",  # IPv4-compatible 127.0.0.1
        "http://localhost:8080/hook",
        "http://0.0.0.0/hook",
    ],
)
def test_the_form_refuses_callbacks_to_addresses_that_are_not_public(
    client: TestClient, db: Database, admin: str, url: str
) -> None:
    before = table_counts(db, "support_api_channels", "audit_log")
    response = client.post(
        CHANNELS,
        data={"name": "Bridge", "callback_url": url, "csrf_token": csrf_of(client.get(CHANNELS).text)},
        headers={"accept": "application/json"},
        follow_redirects=False,
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["fields"][0]["field"] == "callback_url"
    assert table_counts(db, "support_api_channels", "audit_log") == before
