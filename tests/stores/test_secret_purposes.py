"""A store's identity secret signs shopper ids, and stores compute ``HMAC(secret, id)`` for ids of their
choosing; so nothing else loyaldesk signs with that secret may share the message format. Plain shopper
signatures keep their format; expiring ones put a NUL between id and expiry (so the plain signature of
``"alice:<time>"`` is not alice's expiring one); rating links and reply addresses use derived keys."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from loyaldesk.channels.email.threading import make_conversation_token, verify_conversation_token
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.keys import RATING_LINK, REPLY_ADDRESS, purpose_key
from loyaldesk.stores import store_by_id
from loyaldesk.stores.credentials import shopper_signature
from loyaldesk.support.actions.csat import csat_link_token
from tests.factories import StoreHandle, table_counts
from tests.loyalty.shop import Shop


@pytest.fixture
def shop(client: TestClient, store: StoreHandle, db: Database, clock: FakeClock) -> Shop:
    return Shop(client, store, db, clock)


def identity_secret(db: Database, store: StoreHandle) -> str:
    with db.read() as session:
        return store_by_id(session, store.id).identity_secret


def offline_conversation(client: TestClient, slug: str) -> int:
    response = client.post(
        f"/widget-api/v1/{slug}/offline-messages",
        json={"name": "Mia Rossi", "email": "mia@example.org", "body": "Do you ship to Italy?"},
    )
    assert response.status_code == 201, response.text
    return int(response.json()["conversation_id"])


def test_no_shopper_signature_opens_a_rating_link(
    client: TestClient, db: Database, store: StoreHandle
) -> None:
    conversation_id = offline_conversation(client, store.slug)
    secret = identity_secret(db, store)
    # What a store hands a shopper whose id it signs: before, the id "csat:<n>" was the rating link of n.
    for customer_id in (f"csat:{conversation_id}", str(conversation_id)):
        forged = shopper_signature(secret, customer_id)[:32]
        page = client.get(f"/csat/{store.slug}/{conversation_id}/{forged}")
        assert page.status_code == 404, customer_id
    real = csat_link_token(secret, conversation_id)
    assert client.get(f"/csat/{store.slug}/{conversation_id}/{real}").status_code == 200


def test_reply_address_tokens_are_keyed_apart_from_the_secret(db: Database, store: StoreHandle) -> None:
    secret = identity_secret(db, store)
    reply_key = purpose_key(secret, REPLY_ADDRESS)
    assert verify_conversation_token(reply_key, make_conversation_token(reply_key, 42)) == 42
    assert verify_conversation_token(reply_key, make_conversation_token(secret, 42)) is None
    keys = {secret.encode(), reply_key, purpose_key(secret, RATING_LINK)}
    assert len(keys) == 3
    # The derived keys are not HMACs keyed with the secret, which is all a store ever computes.
    for purpose in (REPLY_ADDRESS, RATING_LINK):
        plain = hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).digest()
        assert plain != purpose_key(secret, purpose)


def test_a_plain_signature_is_not_an_expiring_one(shop: Shop) -> None:
    shop.order("alice", [("A", None, 1, 100)])
    later = int((shop.clock.now() + timedelta(days=30)).timestamp())
    secret = shop.secret()
    # The store signs the id of a shopper who named themself "alice:<later>" (a store whose ids are
    # user names); that signature must not act as alice's signature expiring at <later>.
    borrowed = {
        "X-Customer-Id": "alice",
        "X-Customer-Signature": shopper_signature(secret, f"alice:{later}"),
        "X-Signature-Expires": str(later),
    }
    refused = shop.client.get(f"/member-api/v1/{shop.store.slug}/me", headers=borrowed)
    assert refused.status_code == 401, refused.text
    expiring = shop.shopper("alice", expires=later)
    assert (
        expiring["X-Customer-Signature"]
        == hmac.new(secret.encode(), f"alice\0{later}".encode(), hashlib.sha256).hexdigest()
    )
    assert shop.client.get(f"/member-api/v1/{shop.store.slug}/me", headers=expiring).status_code == 200
    plain = shop.shopper("alice")  # the plain format is unchanged: HMAC(secret, id)
    assert plain["X-Customer-Signature"] == hmac.new(secret.encode(), b"alice", hashlib.sha256).hexdigest()
    assert shop.client.get(f"/member-api/v1/{shop.store.slug}/me", headers=plain).status_code == 200


def test_an_id_with_a_control_character_identifies_nobody(
    client: TestClient, db: Database, store: StoreHandle
) -> None:
    secret = identity_secret(db, store)
    before = table_counts(db, "customers", "support_contacts")
    customer_id = "alice\x002000000000"
    with client.websocket_connect(f"/ws/widget/{store.slug}") as widget:
        signature = shopper_signature(secret, customer_id)
        widget.send_text(json.dumps({"type": "hello", "customer_id": customer_id, "signature": signature}))
        refused = json.loads(widget.receive_text())
        assert refused["type"] == "error" and refused["code"] == 4401
        with pytest.raises(WebSocketDisconnect):
            widget.receive_text()
    assert table_counts(db, "customers", "support_contacts") == before
