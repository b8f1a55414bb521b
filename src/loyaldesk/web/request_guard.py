"""Refuse, before anything parses them, requests that no part of loyaldesk can store safely.

* NUL characters (raw, ``%00`` or the JSON escape ``\\u0000``) anywhere in the path, query or body:
  PostgreSQL cannot store them in text, and no legitimate input contains them.
* Bodies larger than ``MAX_BODY_BYTES``.

File uploads (multipart bodies to ``UPLOAD_PATHS``) may be up to ``MAX_UPLOAD_BODY_BYTES`` and carry NUL
bytes (binary files); their handlers clean every text field themselves. Shopify-format webhook bodies
(``NUL_TOLERANT_PATHS``) may carry NULs too: Shopify signs the raw body and a NUL in a field loyaldesk does
not use must not refuse the order; the mapping removes NULs from the text it keeps.

Both get a clear 4xx that names the problem, instead of failing deep inside a query.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from loyaldesk.web.errors import json_error

MAX_BODY_BYTES = 10_000_000
MAX_UPLOAD_BODY_BYTES = 32 * 1024 * 1024
# Routes that take files: a message with attachments, from the widget or the console.
UPLOAD_PATHS = re.compile(r"^/(widget-api/v1/[^/]+/messages|console/[^/]+/inbox/\d+/messages)$")
# Bodies whose handler removes NUL characters from what it keeps (their paths still may not contain any).
NUL_TOLERANT_PATHS = re.compile(r"^/webhooks/shopify/[^/]+$")
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000", re.IGNORECASE)


def _has_nul(data: bytes, *, url_encoded: bool = True) -> bool:
    """A raw NUL, a JSON ``\\u0000`` escape, or (in URL-encoded data) ``%00``."""
    return b"\x00" in data or (url_encoded and b"%00" in data) or bool(_JSON_NUL.search(data))


def _nul_paths(body: bytes) -> list[str]:
    """Where in a JSON body the NUL characters are (``lines.0.title``), or just ``body``."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return ["body"]
    found: list[str] = []

    def walk(value: Any, path: str) -> None:
        if isinstance(value, str) and "\x00" in value:
            found.append(path or "body")
        elif isinstance(value, dict):
            for key, item in value.items():
                where = f"{path}.{key}" if path else str(key)
                if "\x00" in str(key):
                    found.append(where)
                walk(item, where)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, f"{path}.{index}" if path else str(index))

    try:
        walk(document, "")
    except RecursionError:  # nested nearly as deep as the parser allows: name the body as a whole
        return ["body"]
    return found[:20] or ["body"]


class RequestGuardMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw_path = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogateescape")
        if _has_nul(raw_path) or _has_nul(scope.get("query_string", b"")):
            await json_error(
                422,
                "invalid",
                "the request is not valid",
                [{"field": "url", "reason": "must not contain NUL characters"}],
            )(scope, receive, send)
            return
        headers = dict(scope["headers"])
        content_type = headers.get(b"content-type", b"")
        upload = content_type.startswith(b"multipart/form-data") and bool(UPLOAD_PATHS.match(scope["path"]))
        limit = MAX_UPLOAD_BODY_BYTES if upload else MAX_BODY_BYTES
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await json_error(413, "too_large", f"the body is larger than {limit} bytes")(scope, receive, send)
            return
        if scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await json_error(413, "too_large", f"the body is larger than {limit} bytes")(
                    scope, receive, send
                )
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if (
            not upload
            and not NUL_TOLERANT_PATHS.match(scope["path"])
            and _has_nul(body, url_encoded=content_type.startswith(b"application/x-www-form-urlencoded"))
        ):
            fields = [
                {"field": path, "reason": "must not contain NUL characters"} for path in _nul_paths(body)
            ]
            await json_error(422, "invalid", "the request is not valid", fields)(scope, receive, send)
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)
