"""Each store's VAPID key pair (RFC 8292): made once, when the store switches web push on, and kept.

A P-256 pair made with ``cryptography``: the private key as PEM (what pywebpush signs with), the public
key as the uncompressed point in URL-safe base64 without padding (what a browser's
``pushManager.subscribe({applicationServerKey})`` takes). Per store rather than per install: a store's
subscriptions stay its own (another store's key cannot address them), a store can be moved to another
install with its keys, and one store's key never has to be replaced for all.
"""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy.orm import Session

from loyaldesk.channels.push.models import PushKeys
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import NotFound
from loyaldesk.stores import Permission, authorize, record_audit


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def new_key_pair() -> tuple[str, str]:
    """(public key in URL-safe base64, private key as PEM) of a fresh P-256 pair."""
    private = ec.generate_private_key(ec.SECP256R1())
    point = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return b64url(point), pem


def set_push_enabled(
    uow: UnitOfWork, actor: Actor, store_id: int, *, enabled: bool, subject: str
) -> PushKeys:
    """Switch web push on or off for the store (those who manage the desk; audited); the first switch on
    makes its key pair (``subject``: a ``mailto:`` or ``https:`` URL push services may contact). Off keeps
    the keys and the subscriptions: switching on again reaches the same browsers."""
    authorize(actor, store_id, scope="conversations:write", permission=Permission.MANAGE_SUPPORT)
    keys = uow.session.get(PushKeys, store_id)
    if keys is None:
        if not enabled:
            raise NotFound("web push was never switched on for this store")
        public, private = new_key_pair()
        keys = PushKeys(
            store_id=store_id,
            public_key=public,
            private_key_pem=private,
            subject=subject[:320],
            created_at=uow.now(),
        )
        uow.session.add(keys)
    keys.enabled = enabled
    uow.session.flush()
    record_audit(uow, actor, "push.switched", store_id=store_id, details={"enabled": enabled})
    return keys


def push_keys(session: Session, store_id: int) -> PushKeys | None:
    """The store's keys, whether or not push is on (None: never switched on)."""
    return session.get(PushKeys, store_id)


def public_key_of(session: Session, store_id: int) -> str:
    """The public key browsers subscribe with; ``NotFound`` when the store has web push off."""
    keys = session.get(PushKeys, store_id)
    if keys is None or not keys.enabled:
        raise NotFound("this store does not send web push notifications")
    return keys.public_key
