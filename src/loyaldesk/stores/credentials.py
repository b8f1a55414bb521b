"""API key tokens and session tokens: how they look, and how they are hashed for storage.

An API key reads ``ld_<12-character prefix>_<secret>``. The prefix is stored in clear to find the key
(and to show it in the console); the secret has 256 bits of entropy, so a plain SHA-256 of it is safe to
store and fast to check on every request (argon2 is for low-entropy passwords).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string

API_KEY_MARK = "ld_"
PREFIX_LENGTH = 12
_ALPHABET = string.ascii_letters + string.digits


def new_api_key() -> tuple[str, str, str]:
    """A fresh key: ``(token_to_show_once, prefix, secret_hash)``."""
    prefix = "".join(secrets.choice(_ALPHABET) for _ in range(PREFIX_LENGTH))
    secret = secrets.token_urlsafe(32)
    return f"{API_KEY_MARK}{prefix}_{secret}", prefix, sha256_hex(secret)


def split_api_key(token: str) -> tuple[str, str] | None:
    """``(prefix, secret)`` of a well-formed token, else None."""
    if not token.startswith(API_KEY_MARK) or len(token) < len(API_KEY_MARK) + PREFIX_LENGTH + 2:
        return None
    prefix = token[len(API_KEY_MARK) : len(API_KEY_MARK) + PREFIX_LENGTH]
    separator = token[len(API_KEY_MARK) + PREFIX_LENGTH]
    secret = token[len(API_KEY_MARK) + PREFIX_LENGTH + 1 :]
    if separator != "_" or not prefix.isalnum() or not secret:
        return None
    return prefix, secret


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def same_hash(stored_hex: str, value: str) -> bool:
    return hmac.compare_digest(stored_hex, sha256_hex(value))


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


def new_identity_secret() -> str:
    return secrets.token_urlsafe(32)


def shopper_signature(secret: str, customer_external_id: str, expires: int | None = None) -> str:
    """What a store's server gives a logged-in shopper to prove who they are to the chat widget and the
    member page: the hex HMAC-SHA256, keyed with the store's identity secret, of the store's own customer
    id, or of ``"<customer id>\\0<expires>"`` (a NUL character between the id and the Unix seconds) for a
    signature that stops working then.

    The NUL keeps the two kinds apart: no customer id holds one (loyaldesk refuses them), so no plain
    signature a store computes is ever an expiring one for another shopper. (The earlier form,
    ``"<id>:<expires>"``, was: the plain signature of the id ``"alice:1999999999"`` was the expiring
    signature of ``"alice"``.) Every other use of the secret is keyed apart (``kernel.keys``)."""
    message = customer_external_id if expires is None else f"{customer_external_id}\0{expires}"
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def usable_customer_id(customer_external_id: str) -> bool:
    """Whether a shopper may be identified by this id: no control characters (a NUL would make a plain
    signature readable as an expiring one; none belongs in an id anyway)."""
    return not any(ord(character) < 32 or ord(character) == 127 for character in customer_external_id)


def shopper_signature_matches(
    secret: str, customer_external_id: str, signature: str, expires: int | None = None
) -> bool:
    """Whether ``signature`` is the shopper signature of this id (and expiry), in constant time; never
    for an id that is not ``usable_customer_id``."""
    if not usable_customer_id(customer_external_id):
        return False
    expected = shopper_signature(secret, customer_external_id, expires)
    return hmac.compare_digest(expected, signature.strip().lower())
