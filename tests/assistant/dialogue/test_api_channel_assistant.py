"""The assistant on the API channel: a connected app's message is answered by the assistant, and its
reply reaches the app's callback like an agent's, under the assistant's name."""

from __future__ import annotations

import json
import threading

import httpx
from fastapi.testclient import TestClient

from loyaldesk.channels.api import adapter as api_channel
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.dispatcher import dispatch_until_idle
from loyaldesk.kernel.outbound import OutboundPolicy
from tests.assistant.dialogue.helpers import ASSISTANT_NAME, FakeTool, enable_assistant
from tests.channels.test_api_channel import Callbacks, connect, post, sms
from tests.factories import StoreHandle, login, make_staff


def test_the_assistant_answers_a_connected_apps_customer_through_the_callback(
    client: TestClient,
    db: Database,
    store: StoreHandle,
    clock: FakeClock,
    password_hash: str,
    assistant_world: dict[str, FakeTool],
):
    from http.server import ThreadingHTTPServer

    login(client, make_staff(db, store, "admin", password_hash))
    callbacks = Callbacks()
    server = ThreadingHTTPServer(("127.0.0.1", 0), callbacks.handler())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://localhost.shop.test:{server.server_address[1]}/hook"
        policy = OutboundPolicy(
            allow_private_network=True,
            resolver=lambda host, _port: ["127.0.0.1"] if "shop.test" in host else [],
        )
        enable_assistant(db, store)
        channel = connect(client, db, callback_url=url)
        received = post(client, channel, sms("m-1", "hello"), at=int(clock.now().timestamp()))
        assert received.status_code == 202
        dispatch_until_idle(db)
        with httpx.Client() as http:
            assert api_channel.send_due(db, http, policy=policy) == 1
    finally:
        server.shutdown()
        server.server_close()
    [(_, body)] = callbacks.received
    message = json.loads(body)["message"]
    assert message["author_name"] == ASSISTANT_NAME and "I'm Juno" in message["text"]
