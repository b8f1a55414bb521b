"""Requests per API key on ``/api/``, and requests without any credential per network address: over a
limit, 429 with ``Retry-After`` and the JSON error shape.

A pure ASGI middleware placed outside the idempotency middleware, so that a client over its limit costs
no database work at all (not even the look-up of its key):

* a request to ``/api/`` with an ``Authorization`` header counts against ``api_requests_per_key``, by the
  SHA-256 of the header (for a real key, the key);
* a request that carries no credential at all (no ``Authorization`` header and no logged-in console
  session: a stranger's) counts against ``anonymous_requests_per_address``, whatever its path: the login
  page, the widget's files and API, the member page, rating links, webhooks from an unknown sender.
  Routes with limits of their own (logins, chat messages, offline messages) count there as well.

Logged-in staff and callers with a key are not counted per address: an office behind one address is many
people. The session cookie is signed (``SessionMiddleware``, which runs outside this one), so a stranger
cannot pass for logged in. WebSocket handshakes are left to the sockets' own limits.
"""

from __future__ import annotations

import hashlib

from starlette.types import ASGIApp, Receive, Scope, Send

from loyaldesk.kernel.errors import RateLimited
from loyaldesk.kernel.rate_limits import ANONYMOUS_REQUESTS_PER_ADDRESS, API_REQUESTS_PER_KEY, LimitSpec
from loyaldesk.web.errors import json_error

SESSION_TOKEN_KEY = "sid"  # as web/console/session.py keeps the console login in the session


class ApiRateLimitMiddleware:
    def __init__(self, app: ASGIApp, prefix: str = "/api/") -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        credential = next(
            (value for name, value in scope["headers"] if name.lower() == b"authorization"), None
        )
        has_session = bool(scope.get("session", {}).get(SESSION_TOKEN_KEY))
        check: tuple[LimitSpec, str] | None = None
        if credential:
            if scope["path"].startswith(self.prefix):
                check = (API_REQUESTS_PER_KEY, hashlib.sha256(credential).hexdigest()[:32])
        elif not has_session:
            client = scope.get("client")
            check = (ANONYMOUS_REQUESTS_PER_ADDRESS, client[0] if client else "unknown")
        if check is not None:
            try:
                scope["app"].state.runtime.rate_limits.hit(*check)
            except RateLimited as refused:
                response = json_error(
                    429,
                    refused.code,
                    refused.message,
                    headers={"Retry-After": str(refused.retry_after_seconds)},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
