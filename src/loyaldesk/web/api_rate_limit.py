"""Requests per API key on ``/api/``: over the limit, 429 with ``Retry-After`` and the JSON error shape.

A pure ASGI middleware placed outside the idempotency middleware, so that a client over its limit costs
no database work at all (not even the look-up of its key): it counts by the SHA-256 of the
``Authorization`` header, which for a real key is the key. Requests without a credential are not counted
here; they fail authentication anyway.
"""

from __future__ import annotations

import hashlib

from starlette.types import ASGIApp, Receive, Scope, Send

from loyaldesk.kernel.errors import RateLimited
from loyaldesk.kernel.rate_limits import API_REQUESTS_PER_KEY
from loyaldesk.web.errors import json_error


class ApiRateLimitMiddleware:
    def __init__(self, app: ASGIApp, prefix: str = "/api/") -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        credential = next(
            (value for name, value in scope["headers"] if name.lower() == b"authorization"), None
        )
        if credential:
            try:
                scope["app"].state.runtime.rate_limits.hit(
                    API_REQUESTS_PER_KEY, hashlib.sha256(credential).hexdigest()[:32]
                )
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
