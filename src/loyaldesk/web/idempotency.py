"""The ``Idempotency-Key`` header on API writes (Stripe's semantics, exactly once; see
``kernel/idempotency.py``).

A pure ASGI middleware: it must see the raw body (to fingerprint the request) and the whole response
(to keep it), which a route dependency cannot. It runs the request in one shared transaction that the
route's writes join, stores the response in it, commits, and only then sends the response.
"""

from __future__ import annotations

from typing import Any

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from loyaldesk.kernel import idempotency
from loyaldesk.kernel.db import Database
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
        if not idempotency.hold(key_scope, key):
            await _still_running(scope, receive, send)
            return
        try:
            await self._run_once(scope, receive, send, database, key_scope, key, fingerprint, body)
        finally:
            idempotency.let_go(key_scope, key)

    async def _run_once(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        database: Database,
        key_scope: str,
        key: str,
        fingerprint: str,
        body: bytes,
    ) -> None:
        """Run the request in one shared transaction with its stored response (see kernel/idempotency)."""
        shared = await anyio.to_thread.run_sync(database.shared_transaction)
        try:
            decision = await anyio.to_thread.run_sync(
                shared.run, idempotency.begin, key_scope, key, fingerprint
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
                await _still_running(scope, receive, send)
                return
            if isinstance(decision, idempotency.Replay):
                await _send_replay(send, decision)
                return

            request_body: bytes | None = body
            # The response is held back until the transaction has committed: nothing is acknowledged
            # that a crash could still undo.
            held: list[Message] = []
            captured: dict[str, Any] = {
                "status": 500,
                "content_type": "application/json",
                "body": bytearray(),
            }

            async def replay_body() -> Message:
                nonlocal request_body
                if request_body is None:
                    return await receive()
                chunk, request_body = request_body, None
                return {"type": "http.request", "body": chunk, "more_body": False}

            async def capture(message: Message) -> None:
                if message["type"] == "http.response.start":
                    captured["status"] = message["status"]
                    for name, value in message.get("headers", []):
                        if name.lower() == b"content-type":
                            captured["content_type"] = value.decode("latin-1")
                elif message["type"] == "http.response.body":
                    captured["body"].extend(message.get("body", b""))
                held.append(message)

            with database.joined(shared):
                await self.app(scope, replay_body, capture)
            status = captured["status"]
            if idempotency.kept(status) and len(captured["body"]) <= MAX_KEPT_BODY:
                await anyio.to_thread.run_sync(
                    shared.run,
                    idempotency.finish,
                    key_scope,
                    key,
                    fingerprint,
                    status,
                    captured["content_type"],
                    bytes(captured["body"]),
                )
                await anyio.to_thread.run_sync(shared.commit)
            elif idempotency.kept(status):
                await anyio.to_thread.run_sync(shared.commit)  # too large to keep: done, not remembered
            else:
                await anyio.to_thread.run_sync(shared.rollback)  # refused: nothing of it stays
            for message in held:
                await send(message)
        finally:
            if not shared.closed:
                await anyio.to_thread.run_sync(shared.rollback)


async def _still_running(scope: Scope, receive: Receive, send: Send) -> None:
    response = json_error(
        409,
        "idempotency_key_in_use",
        "a request with this Idempotency-Key is still being processed; retry shortly",
        headers={"Retry-After": "1"},
    )
    await response(scope, receive, send)


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
