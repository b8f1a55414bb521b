"""Standard Webhooks signatures (https://www.standardwebhooks.com/): pure functions, no I/O.

A message is sent with three headers: ``webhook-id`` (the message's id, the same on every retry and
replay), ``webhook-timestamp`` (Unix seconds of this attempt) and ``webhook-signature``:
``v1,<base64 of HMAC-SHA256(key, "<id>.<timestamp>.<body>")>``, where ``key`` is the base64-decoded
part of the endpoint's secret after ``whsec_``. Any Standard Webhooks library verifies it (the tests
use the reference Python package, ``standardwebhooks``). Signing is these few lines of the standard
library rather than that package: see docs/decisions/0023-outgoing-webhooks.md.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 24  # 192 bits; Standard Webhooks asks for between 24 and 64 bytes


def new_secret() -> str:
    """A fresh endpoint secret, ``whsec_<base64 of 24 random bytes>``."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key a ``whsec_`` secret stands for."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header's value for ``body`` sent as ``message_id`` at ``timestamp``."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """Every header a delivery carries besides ``Host``."""
    return {
        "content-type": "application/json",
        "user-agent": "loyaldesk-webhooks",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, message_id, timestamp, body),
    }
