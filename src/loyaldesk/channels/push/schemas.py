"""What a browser sends when it subscribes: the W3C Push API's ``PushSubscription.toJSON()``, checked."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, field_validator


def _b64url_bytes(value: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("not URL-safe base64") from None


class PushKeysIn(BaseModel):
    p256dh: str = Field(min_length=80, max_length=100, description="The browser's P-256 public key.")
    auth: str = Field(min_length=16, max_length=32, description="The browser's 16-byte auth secret.")

    @field_validator("p256dh")
    @classmethod
    def _point(cls, value: str) -> str:
        raw = _b64url_bytes(value)
        if len(raw) != 65 or raw[0] != 4:
            raise ValueError("must be an uncompressed P-256 point (65 bytes) in URL-safe base64")
        return value

    @field_validator("auth")
    @classmethod
    def _secret(cls, value: str) -> str:
        if len(_b64url_bytes(value)) != 16:
            raise ValueError("must be 16 bytes in URL-safe base64")
        return value


class PushSubscriptionIn(BaseModel):
    endpoint: str = Field(max_length=2048, description="The push service's URL for this browser (https).")
    keys: PushKeysIn
    expirationTime: float | None = Field(
        default=None, description="Ignored: push services answer 410 instead."
    )

    @field_validator("endpoint")
    @classmethod
    def _https(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme != "https" or not parts.hostname:
            raise ValueError("must be an https:// URL of a push service")
        if parts.username or parts.password:
            raise ValueError("must not carry a user name or password")
        return value
