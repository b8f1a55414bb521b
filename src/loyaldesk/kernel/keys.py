"""One secret, several purposes: a separate key for each, so that nothing signed for one purpose is ever
valid for another.

A store's identity secret signs shoppers' ids, and stores compute ``HMAC(secret, customer_id)``
themselves for any id they like. If loyaldesk also keyed rating links or reply addresses with the secret
itself, a store that signed a shopper id looking like ``csat:42`` would have handed out the rating link of
conversation 42. So every other use of the secret goes through ``purpose_key``: HKDF-SHA256 (RFC 5869,
one output block) with a fixed salt and the purpose as ``info``. Its extract step is an HMAC keyed with
the salt, not with the secret, so no ``HMAC(secret, message)`` a store computes can equal a derived key
or anything signed with one.

Written out (a dozen lines) rather than taken from ``cryptography``: the standard library has HMAC but
no HKDF, and this is the whole of what is needed (see docs/decisions, "derived keys").
"""

from __future__ import annotations

import hashlib
import hmac

_SALT = b"loyaldesk.purpose-key.v1"

# The purposes, spelled once.
RATING_LINK = "rating-link"  # links to rate a conversation, sent by email
REPLY_ADDRESS = "reply-address"  # the token in a conversation's reply address and subject tag


def purpose_key(secret: str | bytes, purpose: str) -> bytes:
    """The 32-byte key for ``purpose`` derived from ``secret`` (HKDF-SHA256, RFC 5869)."""
    material = secret.encode() if isinstance(secret, str) else secret
    pseudo_random_key = hmac.new(_SALT, material, hashlib.sha256).digest()
    return hmac.new(pseudo_random_key, purpose.encode() + b"\x01", hashlib.sha256).digest()
