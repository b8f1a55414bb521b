"""The ``Idempotency-Key`` header on API writes (Stripe's semantics; see ``kernel/idempotency.py``).

A pure ASGI middleware: it must see the raw body (to fingerprint the request) and the whole response
(to keep it), which a route dependency cannot.
"""

from __future__ import annotations

from typing import Any

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from loyaldesk.kernel import idempotency
from loyaldesk.web.errors import json_error

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_KEY_LENGTH = 255
MAX_KEPT_BODY = 1_000_000


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, prefix: str = "/api/") -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in WRITE_METHODS
            or not scope["path"].startswith(self.prefix)
        ):
            await self.app(scope, receive, send)
            return
        headers = {name.decode().lower(): value.decode("latin-1") for name, value in scope["headers"]}
        key = headers.get("idempotency-key")
        if key is None:
            await self.app(scope, receive, send)
            return
        if not key.strip() or len(key) > MAX_KEY_LENGTH:
            response = json_error(
                422,
                "invalid",
                "the Idempotency-Key header is not valid",
                [{"field": "Idempotency-Key", "reason": f"use 1-{MAX_KEY_LENGTH} characters"}],
            )
            await response(scope, receive, send)
            return
        credential = headers.get("authorization", "")
        if not credential:
            # Without a credential the request fails authentication anyway; nothing to remember.
            await self.app(scope, receive, send)
            return

        body = await _read_body(receive)
        database = scope["app"].state.runtime.database
        key_scope = idempotency.scope_for_credential(credential)
        fingerprint = idempotency.fingerprint(
            scope["method"], scope["path"], scope.get("query_string", b"").decode("latin-1"), body
        )
        decision = await anyio.to_thread.run_sync(
            lambda: database.write(idempotency.begin, key_scope, key, fingerprint)
        )
        if isinstance(decision, idempotency.KeyReused):
            response = json_error(
                422,
                "idempotency_key_reused",
                "this Idempotency-Key was already used for a different request",
                [{"field": "Idempotency-Key", "reason": "was used with another method, path or body"}],
            )
            await response(scope, receive, send)
            return
        if isinstance(decision, idempotency.StillRunning):
            response = json_error(
                409,
                "idempotency_key_in_use",
                "a request with this Idempotency-Key is still being processed; retry shortly",
                headers={"Retry-After": "1"},
            )
            await response(scope, receive, send)
            return
        if isinstance(decision, idempotency.Replay):
            await _send_replay(send, decision)
            return

        captured: dict[str, Any] = {"status": 500, "content_type": "application/json", "body": bytearray()}

        async def replay_body() -> Message:
            nonlocal body
            if body is None:
                return await receive()
            chunk, body = body, None  # type: ignore[assignment]
            return {"type": "http.request", "body": chunk, "more_body": False}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                for name, value in message.get("headers", []):
                    if name.lower() == b"content-type":
                        captured["content_type"] = value.decode("latin-1")
            elif message["type"] == "http.response.body" and len(captured["body"]) <= MAX_KEPT_BODY:
                captured["body"].extend(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replay_body, capture)
        except BaseException:
            await anyio.to_thread.run_sync(lambda: database.write(idempotency.release, key_scope, key))
            raise
        status = captured["status"] if len(captured["body"]) <= MAX_KEPT_BODY else 500
        await anyio.to_thread.run_sync(
            lambda: database.write(
                idempotency.finish, key_scope, key, status, captured["content_type"], bytes(captured["body"])
            )
        )


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _send_replay(send: Send, replay: idempotency.Replay) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": replay.status,
            "headers": [
                (b"content-type", replay.content_type.encode("latin-1")),
                (b"content-length", str(len(replay.body)).encode()),
                (b"idempotent-replayed", b"true"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": replay.body})
