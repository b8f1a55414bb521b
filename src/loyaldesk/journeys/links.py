"""The links in a message: unsubscribe, message preferences, the open pixel and tracked clicks. Pure.

Each link carries a token signed with HMAC-SHA256 under the install secret's ``journeys.links`` purpose
key (``kernel.keys.purpose_key``): nothing signed for another purpose (a rating link, a reply address) is
valid here, and no store can forge one by signing ids with its own identity secret. A token carries what
the page needs and nothing to look up: its kind (unsubscribe, preferences, open, click), the store, the
send, the customer and the channel; a click token also carries the address it leads to, so the redirect
only ever goes where loyaldesk itself sent the recipient. Tokens do not expire: an unsubscribe link must
keep working as long as the mail sits in an inbox.

Format: ``base64url(JSON payload) "." base64url(first 16 bytes of the HMAC)``, URL-safe, without padding.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import quote

from loyaldesk.journeys.vocab import Channel
from loyaldesk.kernel.keys import purpose_key

PURPOSE = "journeys.links"
_VERSION = 1
_SIGNATURE_BYTES = 16
MAX_TOKEN_LENGTH = 4096


class LinkKind(StrEnum):
    UNSUBSCRIBE = "u"
    PREFERENCES = "p"
    OPEN = "o"
    CLICK = "c"


@dataclass(frozen=True)
class LinkClaims:
    """What a valid token says."""

    kind: LinkKind
    store_id: int
    send_id: int
    customer_id: int
    channel: Channel
    url: str | None = None  # a click's destination


@dataclass(frozen=True)
class MessageLinks:
    """The links of one message to one customer. ``click_url(url)`` signs a tracked link to ``url``."""

    unsubscribe_url: str
    preferences_url: str
    open_url: str
    base_url: str
    store_id: int
    send_id: int
    customer_id: int
    channel: Channel
    key: bytes = field(repr=False)

    def click_url(self, url: str) -> str:
        claims = LinkClaims(
            LinkKind.CLICK, self.store_id, self.send_id, self.customer_id, self.channel, url=url
        )
        return f"{self.base_url}/t/c/{_sign(self.key, claims)}"


def link_key(secret: str | bytes) -> bytes:
    return purpose_key(secret, PURPOSE)


def links_for(
    base_url: str,
    secret: str | bytes,
    store_slug: str,
    send_id: int,
    customer_id: int,
    channel: Channel,
    *,
    store_id: int,
) -> MessageLinks:
    """The signed links for send ``send_id`` to ``customer_id`` of store ``store_id`` (``store_slug`` in the
    shopper pages' paths), under ``base_url`` (the install's ``public_base_url``)."""
    key = link_key(secret)
    base = base_url.rstrip("/")
    slug = quote(store_slug, safe="")

    def token(kind: LinkKind) -> str:
        return _sign(key, LinkClaims(kind, store_id, send_id, customer_id, channel))

    return MessageLinks(
        unsubscribe_url=f"{base}/u/{slug}/{token(LinkKind.UNSUBSCRIBE)}",
        preferences_url=f"{base}/preferences/{slug}/{token(LinkKind.PREFERENCES)}",
        open_url=f"{base}/t/o/{token(LinkKind.OPEN)}",
        base_url=base,
        store_id=store_id,
        send_id=send_id,
        customer_id=customer_id,
        channel=channel,
        key=key,
    )


def link_token(secret: str | bytes, claims: LinkClaims) -> str:
    """A token for ``claims`` (the pages use it to link onwards, from an unsubscribe to preferences)."""
    return _sign(link_key(secret), claims)


def read_link_token(secret: str | bytes, token: str) -> LinkClaims | None:
    """The claims of a token signed by this install, or None for anything else (forged, cut, altered,
    malformed): the signature is compared in constant time before the payload is read."""
    if not token or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 1:
        return None
    payload, signature = token.split(".")
    expected = _digest(link_key(secret), payload)
    try:
        given = _decode(signature)
    except (binascii.Error, ValueError):
        return None
    if not hmac.compare_digest(given, expected):
        return None
    try:
        data = json.loads(_decode(payload))
        version, kind, store_id, send_id, customer_id, channel, *rest = data
        if version != _VERSION:
            return None
        url = rest[0] if rest else None
        claims = LinkClaims(
            LinkKind(kind), int(store_id), int(send_id), int(customer_id), Channel(channel), url
        )
    except (ValueError, TypeError, binascii.Error):
        return None
    if claims.kind is LinkKind.CLICK and not (claims.url or "").startswith(("https://", "http://")):
        return None
    return claims


def _sign(key: bytes, claims: LinkClaims) -> str:
    data: list[object] = [
        _VERSION,
        claims.kind.value,
        claims.store_id,
        claims.send_id,
        claims.customer_id,
        claims.channel.value,
    ]
    if claims.url is not None:
        data.append(claims.url)
    payload = _encode(json.dumps(data, separators=(",", ":")).encode())
    return f"{payload}.{_encode(_digest(key, payload))}"


def _digest(key: bytes, payload: str) -> bytes:
    return hmac.new(key, payload.encode("ascii", "replace"), hashlib.sha256).digest()[:_SIGNATURE_BYTES]


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes:
    if not text.isascii():
        raise ValueError("not ascii")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
