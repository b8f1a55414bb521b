"""Test helpers that drive the desk the way its users do: a shopper's widget over its WebSocket, an
agent's console over its WebSocket and its forms."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession

from loyaldesk.stores.credentials import shopper_signature
from tests.factories import csrf_of


def receive_until(ws: WebSocketTestSession, predicate: Any, limit: int = 50) -> dict[str, Any]:
    """Frames until one matches ``predicate`` (pings and other frames in between are skipped)."""
    for _ in range(limit):
        frame = json.loads(ws.receive_text())
        if predicate(frame):
            return frame  # type: ignore[no-any-return]
    raise AssertionError("no matching frame arrived")


def event_named(name: str) -> Any:
    return lambda frame: frame.get("type") == "event" and frame.get("event") == name


def hello(
    ws: WebSocketTestSession,
    *,
    visitor_token: str | None = None,
    last_event_id: int | None = None,
    customer: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """Say hello as the widget does; returns the welcome frame."""
    frame: dict[str, Any] = {"type": "hello"}
    if visitor_token:
        frame["visitor_token"] = visitor_token
    if last_event_id is not None:
        frame["last_event_id"] = last_event_id
    if customer:
        frame["customer_id"], frame["signature"] = customer
    ws.send_text(json.dumps(frame))
    return json.loads(ws.receive_text())  # type: ignore[no-any-return]


def send_message(ws: WebSocketTestSession, body: str, client_id: str, **extra: Any) -> dict[str, Any]:
    """Send a chat message and return its ack (or the error frame)."""
    ws.send_text(json.dumps({"type": "message", "client_message_id": client_id, "body": body, **extra}))
    return receive_until(ws, lambda f: f.get("type") in ("ack", "error"))


def signed(secret: str, external_id: str) -> tuple[str, str]:
    return external_id, shopper_signature(secret, external_id)


def console_socket(client: TestClient, slug: str) -> Any:
    return client.websocket_connect(
        f"wss://testserver/ws/console/{slug}", headers={"origin": "https://testserver"}
    )


def console_csrf(client: TestClient, slug: str) -> str:
    return csrf_of(client.get(f"/console/{slug}/inbox").text)


def agent_reply(
    client: TestClient, slug: str, conversation_id: int, body: str, *, internal: bool = False, csrf: str
) -> Any:
    data = {"body": body, "csrf_token": csrf}
    if internal:
        data["internal"] = "true"
    return client.post(
        f"/console/{slug}/inbox/{conversation_id}/messages",
        data=data,
        headers={"accept": "application/json"},
    )
