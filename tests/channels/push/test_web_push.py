"""Web push end to end against a push service on 127.0.0.1 (tests/channels/push/fake_push.py): the
store's keys made once, a signed-in shopper's browser subscribing through the widget API (validated,
consent recorded), and the journeys adapter delivering an encrypted, VAPID-signed message with
pywebpush, dropping a subscription that answered 410 and saying when to retry."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from loyaldesk.channels.push import PushAdapter, PushKeys, PushSubscription, set_push_enabled
from loyaldesk.channels.push.keys import public_key_of
from loyaldesk.customers import CustomerProfile, upsert_customer
from loyaldesk.journeys import Channel, DeliveryStatus, consents_of
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.outbound import OutboundPolicy
from loyaldesk.runtime import Runtime
from loyaldesk.support.actions.contacts import identify_contact
from loyaldesk.support.widget_ticket import issue_ticket
from tests.channels.engine_double import message_for, run_send
from tests.channels.push.fake_push import FakePushService, unb64url
from tests.factories import StoreHandle, make_store


@pytest.fixture
def push_service(tmp_path: Path) -> Iterator[FakePushService]:
    service = FakePushService(tmp_path)
    yield service
    service.close()


def push_on(db: Database, store: StoreHandle) -> PushKeys:
    return db.write(set_push_enabled, store.actor, store.id, enabled=True, subject="mailto:shop@example.com")


def shopper(db: Database, store: StoreHandle, external_id: str = "C-1") -> tuple[int, int]:
    """(customer id, widget contact id) of a shopper the store signed in."""
    customer = db.write(
        upsert_customer, store.actor, store.id, external_id, CustomerProfile(first_name="Nora")
    )
    contact = db.write(identify_contact, store.id, customer_id=customer.customer.id, visitor_token=None)
    return customer.customer.id, contact.contact_id


def adapter_for(service: FakePushService) -> PushAdapter:
    # The push service is on this machine: the install allows private addresses for the test.
    return PushAdapter(policy=OutboundPolicy(allow_private_network=True), session_factory=service.session)


def test_keys_are_made_once_per_store_and_served_only_while_push_is_on(
    client: TestClient, db: Database, store: StoreHandle, other_store: StoreHandle
) -> None:
    assert client.get(f"/widget-api/v1/{store.slug}/push/key").status_code == 404
    first = push_on(db, store)
    again = push_on(db, store)
    elsewhere = push_on(db, other_store)
    assert first.public_key == again.public_key and first.private_key_pem == again.private_key_pem
    assert elsewhere.public_key != first.public_key
    point = unb64url(first.public_key)
    assert len(point) == 65 and point[0] == 4 and "=" not in first.public_key
    assert first.private_key_pem.startswith("-----BEGIN PRIVATE KEY-----")
    answer = client.get(f"/widget-api/v1/{store.slug}/push/key")
    assert answer.status_code == 200 and answer.json() == {"public_key": first.public_key}
    assert "max-age" in answer.headers["cache-control"]
    db.write(set_push_enabled, store.actor, store.id, enabled=False, subject="mailto:shop@example.com")
    assert client.get(f"/widget-api/v1/{store.slug}/push/key").status_code == 404
    push_on(db, store)
    with db.read() as session:
        assert public_key_of(session, store.id) == first.public_key  # the same browsers stay reachable


def test_a_signed_in_shopper_subscribes_and_consents(
    client: TestClient, runtime: Runtime, db: Database, store: StoreHandle, push_service: FakePushService
) -> None:
    push_on(db, store)
    customer_id, contact_id = shopper(db, store)
    ticket = issue_ticket(runtime.secret_key, store.id, contact_id)
    url = f"/widget-api/v1/{store.slug}/push/subscriptions"
    endpoint, browser = push_service.endpoint("sub/1")

    plain = browser.subscription(endpoint.replace("https://", "http://"))
    refused = client.post(url, json={**plain, "ticket": ticket})
    assert refused.status_code == 422
    assert [f["field"] for f in refused.json()["error"]["fields"]] == ["endpoint"]
    bad_key = browser.subscription(endpoint)
    bad_key["keys"]["p256dh"] = "A" + bad_key["keys"]["p256dh"][1:]  # not an uncompressed point
    assert client.post(url, json={**bad_key, "ticket": ticket}).status_code == 422
    assert client.post(url, json={**browser.subscription(endpoint), "ticket": "forged"}).status_code == 401

    created = client.post(
        url, json={**browser.subscription(endpoint), "ticket": ticket}, headers={"User-Agent": "Firefox"}
    )
    assert created.status_code == 201, created.text
    again = client.post(
        url, json={**browser.subscription(endpoint), "ticket": ticket}, headers={"User-Agent": "Firefox"}
    )
    assert again.json()["id"] == created.json()["id"]  # one browser, one subscription
    with db.read() as session:
        rows = session.scalars(select(PushSubscription)).all()
        assert [(r.customer_id, r.contact_id, r.endpoint, r.user_agent) for r in rows] == [
            (customer_id, contact_id, endpoint, "Firefox")
        ]
        assert consents_of(session, customer_id)[Channel.PUSH] is True

    # An anonymous visitor cannot subscribe: a notification is about a customer.
    anonymous = db.write(identify_contact, store.id, customer_id=None, visitor_token=None)
    other, other_browser = push_service.endpoint("sub/2")
    answer = client.post(
        url,
        json={
            **other_browser.subscription(other),
            "ticket": issue_ticket(runtime.secret_key, store.id, anonymous.contact_id),
        },
    )
    assert answer.status_code == 403

    # Another shopper cannot remove this one's subscription; the shopper can, and consent goes with it.
    _, intruder = shopper(db, store, "C-2")
    foreign = client.request(
        "DELETE",
        url,
        json={"ticket": issue_ticket(runtime.secret_key, store.id, intruder), "endpoint": endpoint},
    )
    assert foreign.status_code == 404
    assert client.request("DELETE", url, json={"ticket": ticket, "endpoint": endpoint}).status_code == 204
    with db.read() as session:
        assert session.scalars(select(PushSubscription)).all() == []
        assert consents_of(session, customer_id)[Channel.PUSH] is False


def test_delivery_is_encrypted_signed_and_drops_gone_subscriptions(
    client: TestClient, runtime: Runtime, db: Database, store: StoreHandle, push_service: FakePushService
) -> None:
    keys = push_on(db, store)
    customer_id, contact_id = shopper(db, store)
    ticket = issue_ticket(runtime.secret_key, store.id, contact_id)
    url = f"/widget-api/v1/{store.slug}/push/subscriptions"
    live, browser = push_service.endpoint("sub/phone")
    gone, old_browser = push_service.endpoint("gone/laptop")
    for endpoint, who in ((gone, old_browser), (live, browser)):
        assert client.post(url, json={**who.subscription(endpoint), "ticket": ticket}).status_code == 201
    adapter = adapter_for(push_service)
    with db.read() as session:
        newest = session.scalar(select(PushSubscription.id).where(PushSubscription.endpoint == live))
        assert adapter.address_of(session, store.id, customer_id) == str(newest)
        assert adapter.address_of(session, store.id, customer_id + 999) is None

    result = run_send(db, adapter, message_for(store.id, customer_id, Channel.PUSH, send_id=7))
    assert result.status is DeliveryStatus.SENT, result
    assert push_service.problems == []
    delivered = [r for r in push_service.received if r.path == "/sub/phone"]
    assert len(delivered) == 1
    assert delivered[0].payload == {
        "title": "You have 120 points",
        "body": "They expire on 31 March: treat yourself.",
        "url": "https://shop.example/rewards",
        "tag": "loyaldesk-7",
    }
    assert delivered[0].vapid_key == keys.public_key
    assert delivered[0].claims["sub"] == "mailto:shop@example.com"
    assert int(delivered[0].headers["ttl"]) > 0
    with db.read() as session:
        rows = session.scalars(select(PushSubscription)).all()
        assert [r.endpoint for r in rows] == [live]  # the 410 one is gone
        assert rows[0].last_success_at is not None and rows[0].failures == 0


def test_retry_when_the_push_service_is_busy_and_gone_when_none_is_left(
    client: TestClient, runtime: Runtime, db: Database, store: StoreHandle, push_service: FakePushService
) -> None:
    push_on(db, store)
    customer_id, contact_id = shopper(db, store)
    ticket = issue_ticket(runtime.secret_key, store.id, contact_id)
    url = f"/widget-api/v1/{store.slug}/push/subscriptions"
    busy, browser = push_service.endpoint("busy/tablet")
    assert client.post(url, json={**browser.subscription(busy), "ticket": ticket}).status_code == 201
    adapter = adapter_for(push_service)
    result = run_send(db, adapter, message_for(store.id, customer_id, Channel.PUSH))
    assert result.status is DeliveryStatus.RETRY
    with db.read() as session:
        assert session.scalars(select(PushSubscription.failures)).all() == [1]

    assert client.request("DELETE", url, json={"ticket": ticket, "endpoint": busy}).status_code == 204
    gone, old = push_service.endpoint("gone/phone")
    assert client.post(url, json={**old.subscription(gone), "ticket": ticket}).status_code == 201
    result = run_send(db, adapter, message_for(store.id, customer_id, Channel.PUSH))
    assert result.status is DeliveryStatus.GONE
    with db.read() as session:
        assert session.scalars(select(PushSubscription)).all() == []
        assert consents_of(session, customer_id)[Channel.PUSH] is False
        assert adapter.address_of(session, store.id, customer_id) is None


def test_private_addresses_are_refused_unless_the_install_allows_them(
    client: TestClient, runtime: Runtime, db: Database, store: StoreHandle, push_service: FakePushService
) -> None:
    """A subscription's endpoint comes from a browser: loyaldesk does not post to this machine's network
    for it (the install's outbound policy), and sends nothing there."""
    push_on(db, store)
    customer_id, contact_id = shopper(db, store)
    endpoint, browser = push_service.endpoint("sub/1")
    ticket = issue_ticket(runtime.secret_key, store.id, contact_id)
    client.post(
        f"/widget-api/v1/{store.slug}/push/subscriptions",
        json={**browser.subscription(endpoint), "ticket": ticket},
    )
    strict = PushAdapter(session_factory=push_service.session)
    result = run_send(db, strict, message_for(store.id, customer_id, Channel.PUSH))
    assert result.status is DeliveryStatus.FAILED and "127.0.0.1" in (result.error or "")
    assert push_service.received == []


def test_the_service_worker_file_is_served_for_the_store_to_copy(client: TestClient) -> None:
    answer = client.get("/widget/push/service-worker.js")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/javascript")
    assert "max-age" in answer.headers["cache-control"]
    assert 'addEventListener("push"' in answer.text and "notificationclick" in answer.text


def test_another_store_is_not_the_owner_of_a_subscription(
    client: TestClient, runtime: Runtime, db: Database, store: StoreHandle, push_service: FakePushService
) -> None:
    other = make_store(db, "initech")
    push_on(db, store)
    push_on(db, other)
    _, contact_a = shopper(db, store)
    _, contact_b = shopper(db, other)
    endpoint, browser = push_service.endpoint("sub/shared")
    body = browser.subscription(endpoint)
    a = client.post(
        f"/widget-api/v1/{store.slug}/push/subscriptions",
        json={**body, "ticket": issue_ticket(runtime.secret_key, store.id, contact_a)},
    )
    assert a.status_code == 201
    b = client.post(
        f"/widget-api/v1/{other.slug}/push/subscriptions",
        json={**body, "ticket": issue_ticket(runtime.secret_key, other.id, contact_b)},
    )
    assert b.status_code == 409
