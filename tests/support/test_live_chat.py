"""Live chat end to end over real WebSockets: a shopper's widget, an agent's console, the desk's forms."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.websockets import WebSocketDisconnect

from loyaldesk.kernel.db import Database
from loyaldesk.stores import store_by_id
from loyaldesk.support.models import Conversation, Message
from tests.factories import StoreHandle, login, make_staff, table_counts
from tests.support.desk import (
    agent_reply,
    console_csrf,
    console_socket,
    event_named,
    hello,
    receive_until,
    send_message,
    signed,
)


@pytest.fixture
def agent(client: TestClient, db: Database, store: StoreHandle, password_hash: str) -> str:
    email = make_staff(db, store, "agent", password_hash)
    login(client, email)
    return email


def secret_of(db: Database, store: StoreHandle) -> str:
    with db.read() as session:
        return store_by_id(session, store.id).identity_secret


def test_a_visitor_chats_and_an_agent_answers_in_real_time(
    client: TestClient, store: StoreHandle, agent: str
):
    csrf = console_csrf(client, store.slug)
    with console_socket(client, store.slug) as console:
        ready = json.loads(console.receive_text())
        assert ready["type"] == "ready"
        with client.websocket_connect(f"/ws/widget/{store.slug}") as widget:
            welcome = hello(widget)
            assert welcome["type"] == "welcome" and welcome["visitor_token"]
            assert welcome["agents_online"] is True  # the agent's console is open
            ack = send_message(widget, "Where is my <b>order</b>?", "c-1")
            assert ack["type"] == "ack" and ack["client_message_id"] == "c-1"
            conversation_id = ack["conversation_id"]

            posted = receive_until(console, event_named("conversation.message_posted"))
            assert posted["conversation_id"] == conversation_id
            assert "&lt;b&gt;order&lt;/b&gt;" in posted["data"]["message"]["body_html"]  # shown as text
            assigned = receive_until(console, event_named("conversation.assigned"))
            assert assigned["data"]["automatic"] is True  # the only online agent got it

            note = agent_reply(client, store.slug, conversation_id, "VIP, be nice", internal=True, csrf=csrf)
            assert note.status_code == 201
            reply = agent_reply(client, store.slug, conversation_id, "It ships **today**.", csrf=csrf)
            assert reply.status_code == 201
            got = receive_until(widget, event_named("conversation.message_posted"))
            # The internal note never reached the widget: the first message it gets is the reply.
            while got["data"]["message"]["author_kind"] == "customer":
                got = receive_until(widget, event_named("conversation.message_posted"))
            assert got["data"]["message"]["body_html"] == "<p>It ships <strong>today</strong>.</p>"
            assert got["data"]["message"]["internal"] is False


def test_reconnecting_resumes_with_nothing_lost_or_duplicated(
    client: TestClient, db: Database, store: StoreHandle, agent: str
):
    csrf = console_csrf(client, store.slug)
    with client.websocket_connect(f"/ws/widget/{store.slug}") as widget:
        token = hello(widget)["visitor_token"]
        ack = send_message(widget, "Hello", "c-1")
        conversation_id = ack["conversation_id"]
        mine = receive_until(widget, event_named("conversation.message_posted"))
        last_seen = mine["id"]
    # While the widget is away, the agent answers twice.
    for text in ("First answer", "Second answer"):
        assert agent_reply(client, store.slug, conversation_id, text, csrf=csrf).status_code == 201
    with client.websocket_connect(f"/ws/widget/{store.slug}") as widget:
        welcome = hello(widget, visitor_token=token, last_event_id=last_seen)
        assert welcome["messages"] is None  # resuming: the missed events follow instead of the history
        assert "visitor_token" not in welcome
        missed = []
        while len(missed) < 2:
            frame = receive_until(widget, lambda f: f.get("type") == "event")
            if frame["event"] == "conversation.message_posted":
                missed.append(frame["data"]["message"]["body_html"])
        assert missed == ["<p>First answer</p>", "<p>Second answer</p>"]
        # A retry of an already delivered message (same client id) is the same message, stored once.
        again = send_message(widget, "Hello", "c-1")
        assert again["message_id"] == ack["message_id"]
    with db.read() as session:
        texts = session.scalars(
            select(Message.body).where(Message.conversation_id == conversation_id).order_by(Message.id)
        ).all()
    assert texts == ["Hello", "First answer", "Second answer"]


def test_history_persists_for_the_same_visitor_and_no_one_else(client: TestClient, store: StoreHandle):
    with client.websocket_connect(f"/ws/widget/{store.slug}") as widget:
        token = hello(widget)["visitor_token"]
        send_message(widget, "My secret question", "c-1")
    with client.websocket_connect(f"/ws/widget/{store.slug}") as widget:
        welcome = hello(widget, visitor_token=token)
        assert [m["body_html"] for m in welcome["messages"]] == ["<p>My secret question</p>"]
    with client.websocket_connect(f"/ws/widget/{store.slug}") as stranger:
        welcome = hello(stranger, visitor_token="made-up-token")
        assert welcome["messages"] == [] and welcome["conversation"] is None


def test_a_visitor_cannot_write_into_someone_elses_conversation(
    client: TestClient, db: Database, store: StoreHandle
):
    with client.websocket_connect(f"/ws/widget/{store.slug}") as owner:
        hello(owner)
        conversation_id = send_message(owner, "Mine", "c-1")["conversation_id"]
    before = table_counts(db, "support_messages", "support_conversations")
    with client.websocket_connect(f"/ws/widget/{store.slug}") as intruder:
        hello(intruder)
        refused = send_message(intruder, "Let me in", "x-1", conversation_id=conversation_id)
        assert refused["type"] == "error" and refused["message"] == "no such conversation"
        intruder.send_text(json.dumps({"type": "csat", "conversation_id": conversation_id, "rating": 1}))
        assert (
            receive_until(intruder, lambda f: f.get("type") == "error")["message"] == "no such conversation"
        )
    assert table_counts(db, "support_messages", "support_conversations") == before


def test_identified_customers_need_the_stores_signature(client: TestClient, db: Database, store: StoreHandle):
    secret = secret_of(db, store)
    with client.websocket_connect(f"/ws/widget/{store.slug}") as widget:
        widget.send_text(json.dumps({"type": "hello", "customer_id": "cust-9", "signature": "0" * 64}))
        refused = json.loads(widget.receive_text())
        assert refused == {
            "type": "error",
            "code": 4401,
            "message": "the signature does not match this customer id",
        }
        with pytest.raises(WebSocketDisconnect):
            widget.receive_text()
    with client.websocket_connect(f"/ws/widget/{store.slug}") as widget:
        welcome = hello(widget, customer=signed(secret, "cust-9"))
        assert welcome["identified"] is True and "visitor_token" not in welcome
        send_message(widget, "I am a customer", "c-1")
    # Anonymous visitors never see the identified customer's history, whatever token they bring.
    with client.websocket_connect(f"/ws/widget/{store.slug}") as widget:
        assert hello(widget)["messages"] == []
    with client.websocket_connect(f"/ws/widget/{store.slug}") as widget:
        welcome = hello(widget, customer=signed(secret, "cust-9"))
        assert [m["body_html"] for m in welcome["messages"]] == ["<p>I am a customer</p>"]
    with db.read() as session:
        conversation = session.scalars(select(Conversation)).one()
    assert conversation.customer_id is not None


def test_the_console_socket_checks_login_origin_and_store(
    client: TestClient, db: Database, store: StoreHandle, other_store: StoreHandle, password_hash: str
):
    with pytest.raises(WebSocketDisconnect) as not_logged_in, console_socket(client, store.slug) as ws:
        ws.receive_text()
    assert not_logged_in.value.code == 4401
    login(client, make_staff(db, store, "agent", password_hash))
    with (
        pytest.raises(WebSocketDisconnect) as foreign,
        client.websocket_connect(
            f"wss://testserver/ws/console/{store.slug}", headers={"origin": "https://evil.example"}
        ) as ws,
    ):
        ws.receive_text()
    assert foreign.value.code == 4403
    with pytest.raises(WebSocketDisconnect) as other, console_socket(client, other_store.slug) as ws:
        ws.receive_text()
    assert other.value.code == 4401
    # A conversation in the other store never reaches this store's console.
    with console_socket(client, store.slug) as console:
        assert json.loads(console.receive_text())["type"] == "ready"
        with client.websocket_connect(f"/ws/widget/{other_store.slug}") as widget:
            hello(widget)
            send_message(widget, "Globex question", "g-1")
        with client.websocket_connect(f"/ws/widget/{store.slug}") as widget:
            hello(widget)
            send_message(widget, "Acme question", "a-1")
        posted = receive_until(console, event_named("conversation.message_posted"))
        assert posted["data"]["message"]["body_html"] == "<p>Acme question</p>"


def test_resolving_asks_for_a_rating_credited_to_the_agent(
    client: TestClient, db: Database, store: StoreHandle, agent: str
):
    csrf = console_csrf(client, store.slug)
    with console_socket(client, store.slug) as console:
        json.loads(console.receive_text())
        with client.websocket_connect(f"/ws/widget/{store.slug}") as widget:
            hello(widget)
            conversation_id = send_message(widget, "Help", "c-1")["conversation_id"]
            assert agent_reply(client, store.slug, conversation_id, "Done!", csrf=csrf).status_code == 201
            bad = client.post(
                f"/console/{store.slug}/inbox/{conversation_id}/status",
                data={"status": "nonsense", "csrf_token": csrf},
                headers={"accept": "application/json"},
            )
            assert bad.status_code == 422 and "status" in bad.text
            resolved = client.post(
                f"/console/{store.slug}/inbox/{conversation_id}/status",
                data={"status": "resolved", "csrf_token": csrf},
                headers={"accept": "application/json"},
            )
            assert resolved.json() == {"status": "resolved"}
            receive_until(widget, event_named("csat.requested"))
            widget.send_text(json.dumps({"type": "csat", "conversation_id": conversation_id, "rating": 9}))
            assert "rating" in receive_until(widget, lambda f: f.get("type") == "error")["fields"][0]["field"]
            widget.send_text(
                json.dumps(
                    {"type": "csat", "conversation_id": conversation_id, "rating": 5, "comment": "Great"}
                )
            )
            assert receive_until(widget, lambda f: f.get("type") == "csat_thanks")
            submitted = receive_until(console, event_named("csat.submitted"))
            assert submitted["data"]["rating"] == 5
            assert submitted["data"]["agent_id"] is not None
            # A new message from the customer reopens the conversation.
            send_message(widget, "One more thing", "c-2", conversation_id=conversation_id)
            reopened = receive_until(console, event_named("conversation.status_changed"))
            assert reopened["data"] == {
                "from_status": "resolved",
                "to_status": "open",
                "snoozed_until": None,
            } or (reopened["data"]["to_status"] == "open")


def test_an_analyst_reads_but_cannot_answer(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
):
    with client.websocket_connect(f"/ws/widget/{store.slug}") as widget:
        hello(widget)
        conversation_id = send_message(widget, "Hi", "c-1")["conversation_id"]
    login(client, make_staff(db, store, "analyst", password_hash))
    page = client.get(f"/console/{store.slug}/inbox?c={conversation_id}")
    assert page.status_code == 200 and "<p>Hi</p>" in page.text
    assert "data-composer" not in page.text
    before = table_counts(db, "support_messages")
    denied = agent_reply(
        client, store.slug, conversation_id, "I should not", csrf=console_csrf(client, store.slug)
    )
    assert denied.status_code == 403
    assert table_counts(db, "support_messages") == before


def test_the_offline_form_opens_a_conversation_answered_by_email(
    client: TestClient, db: Database, store: StoreHandle
):
    bad = client.post(
        f"/widget-api/v1/{store.slug}/offline-messages", json={"name": "", "email": "nope", "body": "Hi"}
    )
    assert bad.status_code == 422
    assert {p["field"] for p in bad.json()["error"]["fields"]} == {"name", "email"}
    made = client.post(
        f"/widget-api/v1/{store.slug}/offline-messages",
        json={"name": "Ada", "email": "ada@example.com", "body": "Call me back"},
        headers={"origin": "https://shop.example"},
    )
    assert made.status_code == 201
    assert made.headers["access-control-allow-origin"] == "*"
    with db.read() as session:
        conversation = session.get(Conversation, made.json()["conversation_id"])
        assert conversation is not None and conversation.reply_by_email and conversation.status == "open"
