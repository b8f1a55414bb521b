"""The tokens in account links (staff invitations, password resets): signed, random, kept only hashed.

A token is a random 256-bit value signed with the install's secret key and a salt naming its purpose
(itsdangerous), so a token made for one purpose never passes for another, and a forged or mangled one is
refused before the database is asked. Only the SHA-256 of the random part is stored: reading the
database does not give anyone a working link. Expiry and single use are the database row's business
(``expires_at``, ``accepted_at``/``used_at``), decided with the injectable clock.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from enum import StrEnum

from itsdangerous import BadSignature, URLSafeSerializer

from loyaldesk.stores.credentials import sha256_hex

# Longer input is not a token we made (ours are about 90 characters); refuse it before any work.
MAX_TOKEN_LENGTH = 200


class TokenPurpose(StrEnum):
    INVITATION = "staff-invitation"
    PASSWORD_RESET = "password-reset"


@dataclass(frozen=True)
class IssuedToken:
    token: str  # goes into the link, shown or mailed once
    digest: str  # stored


class AccountTokens:
    def __init__(self, secret_key: str) -> None:
        if not secret_key:
            raise ValueError("account tokens need the install's secret key")
        self._secret_key = secret_key

    def _serializer(self, purpose: TokenPurpose) -> URLSafeSerializer:
        return URLSafeSerializer(self._secret_key, salt=f"loyaldesk.{purpose.value}")

    def issue(self, purpose: TokenPurpose) -> IssuedToken:
        """A new token for ``purpose`` and the digest to store for it."""
        nonce = secrets.token_urlsafe(32)
        return IssuedToken(token=self._serializer(purpose).dumps(nonce), digest=sha256_hex(nonce))

    def digest_of(self, purpose: TokenPurpose, token: str) -> str | None:
        """The stored digest this token stands for, or None when it was not made by us for ``purpose``."""
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        try:
            nonce = self._serializer(purpose).loads(token)
        except BadSignature:
            return None
        return sha256_hex(nonce) if isinstance(nonce, str) and nonce else None
