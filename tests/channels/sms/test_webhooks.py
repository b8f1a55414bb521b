"""The provider's webhooks: STOP / START from a customer's phone change their SMS consent; delivery
receipts move the send forward; only requests signed with the store's auth token are read (403, and
nothing changes, otherwise), and strangers are rate limited per address."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from loyaldesk.channels.sms.signature import SIGNATURE_HEADER, twilio_signature
from loyaldesk.journeys import Channel, ChannelConsent, Send, SendStatus, set_consent
from loyaldesk.kernel.db import Database
from loyaldesk.runtime import Runtime
from loyaldesk.settings import Settings
from loyaldesk.web.app import create_app
from tests.channels.sms.conftest import configure, make_send
from tests.channels.sms.fake_provider import TOKEN, FakeProvider
from tests.factories import StoreHandle, make_store, table_counts


def post_signed(
    client: TestClient,
    runtime: Runtime,
    path: str,
    params: dict[str, str],
    *,
    token: str = TOKEN,
    signature: str | None = None,
) -> Any:
    url = runtime.settings.public_base_url.rstrip("/") + path
    signed = twilio_signature(token, url, params.items()) if signature is None else signature
    return client.post(path, data=params, headers={SIGNATURE_HEADER: signed})


def consent(db: Database, customer_id: int) -> tuple[bool, str] | None:
    with db.read() as session:
        row = session.scalar(
            select(ChannelConsent).where(
                ChannelConsent.customer_id == customer_id, ChannelConsent.channel == Channel.SMS.value
            )
        )
        return None if row is None else (row.granted, row.source)


def inbound(store: StoreHandle, sender: str, body: str) -> tuple[str, dict[str, str]]:
    return f"/webhooks/sms/{store.slug}/inbound", {
        "MessageSid": "SM" + "f" * 32,
        "AccountSid": "AC" + "1" * 32,
        "From": sender,
        "To": "+4930901820",
        "Body": body,
        "NumMedia": "0",
    }


def test_stop_and_start_change_sms_consent(
    client: TestClient,
    runtime: Runtime,
    db: Database,
    sms_store: StoreHandle,
    provider: FakeProvider,
    customer_factory: Callable[..., int],
) -> None:
    typed_nationally = customer_factory(sms_store, "0151 2345 6789")
    typed_internationally = customer_factory(sms_store, "+49 (151) 23456789")
    someone_else = customer_factory(sms_store, "0151 2345 6780")
    other = make_store(db, "globex")
    configure(db, other, provider.base_url)
    other_stores_customer = customer_factory(other, "0151 23456789")
    for customer in (typed_nationally, someone_else):
        db.write(set_consent, sms_store.id, customer, Channel.SMS, granted=True, source="checkout")

    answer = post_signed(client, runtime, *inbound(sms_store, "+4915123456789", " Stop "))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/xml")
    assert answer.text.endswith("<Response/>")
    assert consent(db, typed_nationally) == (False, "sms_stop")
    assert consent(db, typed_internationally) == (False, "sms_stop")
    assert consent(db, someone_else) == (True, "checkout")
    assert consent(db, other_stores_customer) is None

    assert post_signed(client, runtime, *inbound(sms_store, "+4915123456789", "UNSTOP")).status_code == 200
    assert consent(db, typed_nationally) == (True, "sms_start")
    assert consent(db, typed_internationally) == (True, "sms_start")


@pytest.mark.parametrize("word", ["STOPALL", "unsubscribe", "Cancel", "END", "quit"])
def test_every_opt_out_word(
    client: TestClient, runtime: Runtime, db: Database, sms_store: StoreHandle, customer_factory, word: str
) -> None:
    customer = customer_factory(sms_store, "+4915123456789")
    assert post_signed(client, runtime, *inbound(sms_store, "+4915123456789", word)).status_code == 200
    assert consent(db, customer) == (False, "sms_stop")


def test_other_messages_change_nothing(
    client: TestClient, runtime: Runtime, db: Database, sms_store: StoreHandle, customer_factory
) -> None:
    customer = customer_factory(sms_store, "+4915123456789")
    answer = post_signed(client, runtime, *inbound(sms_store, "+4915123456789", "please stop the noise"))
    assert answer.status_code == 200 and answer.text.endswith("<Response/>")
    assert consent(db, customer) is None


def test_unsigned_or_wrongly_signed_requests_are_refused_and_change_nothing(
    client: TestClient,
    runtime: Runtime,
    db: Database,
    sms_store: StoreHandle,
    provider: FakeProvider,
    customer_factory: Callable[..., int],
) -> None:
    customer = customer_factory(sms_store, "+4915123456789")
    send_id = make_send(db, sms_store, customer, "SM-known", "key-1")
    other = make_store(db, "globex")
    configure(db, other, provider.base_url, auth_token="the-other-stores-token")
    path, params = inbound(sms_store, "+4915123456789", "STOP")
    status_path = f"/webhooks/sms/{sms_store.slug}/status"
    receipt = {"MessageSid": "SM-known", "MessageStatus": "delivered"}
    before = table_counts(db, "journey_consents", "domain_events")
    attempts = [
        client.post(path, data=params),  # unsigned
        post_signed(client, runtime, path, params, signature="bm90IGEgc2lnbmF0dXJl"),
        post_signed(client, runtime, path, params, token="the-other-stores-token"),  # another store's
        client.post(
            path,
            data=params | {"Body": "START"},  # a signed request whose body was changed on the way
            headers={
                SIGNATURE_HEADER: twilio_signature(
                    TOKEN, runtime.settings.public_base_url + path, params.items()
                )
            },
        ),
        post_signed(client, runtime, status_path, receipt, token="the-other-stores-token"),
        client.post(status_path, data=receipt),
    ]
    assert [answer.status_code for answer in attempts] == [403] * len(attempts), [a.text for a in attempts]
    assert all(answer.json()["error"]["code"] == "permission_denied" for answer in attempts)
    assert table_counts(db, "journey_consents", "domain_events") == before
    with db.read() as session:
        send = session.get(Send, send_id)
        assert send is not None and send.status == SendStatus.SENT


def test_a_store_without_sms_settings_refuses_and_an_unknown_store_is_not_found(
    client: TestClient, runtime: Runtime, store: StoreHandle
) -> None:
    path, params = inbound(store, "+4915123456789", "STOP")
    assert post_signed(client, runtime, path, params).status_code == 403
    assert post_signed(client, runtime, "/webhooks/sms/nobody/inbound", params).status_code == 404


def test_receipts_mark_the_send_delivered_or_failed(
    client: TestClient, runtime: Runtime, db: Database, sms_store: StoreHandle, customer_factory
) -> None:
    customer = customer_factory(sms_store, "+4915123456789")
    delivered = make_send(db, sms_store, customer, "SM-delivered", "key-delivered")
    undelivered = make_send(db, sms_store, customer, "SM-undelivered", "key-undelivered")
    other = make_store(db, "globex")
    theirs = make_send(db, other, customer, "SM-theirs", "key-theirs")
    path = f"/webhooks/sms/{sms_store.slug}/status"
    for params in (
        {"MessageSid": "SM-delivered", "MessageStatus": "sent"},  # says nothing new
        {"MessageSid": "SM-delivered", "MessageStatus": "delivered"},
        {
            "MessageSid": "SM-undelivered",
            "MessageStatus": "undelivered",
            "ErrorCode": "30003",
            "ErrorMessage": "Unreachable destination handset",
        },
        {"MessageSid": "SM-theirs", "MessageStatus": "delivered"},  # another store's message: ignored
        {"MessageSid": "SM-nobody", "MessageStatus": "delivered"},  # no such message: ignored
    ):
        answer = post_signed(client, runtime, path, params)
        assert answer.status_code == 204, answer.text
    with db.read() as session:
        first, second, third = (session.get(Send, key) for key in (delivered, undelivered, theirs))
        assert first is not None and first.status == SendStatus.DELIVERED and first.delivered_at is not None
        assert second is not None and second.status == SendStatus.FAILED
        assert second.last_error == "undelivered: 30003 Unreachable destination handset"
        assert third is not None and third.status == SendStatus.SENT


def test_strangers_are_rate_limited_per_address(
    settings: Settings, db: Database, sms_store: StoreHandle
) -> None:
    limited = settings.model_copy(update={"rate_limit_anonymous_requests_per_address": "2/minute"})
    runtime = Runtime(limited, database=db)
    with TestClient(create_app(runtime=runtime), base_url="https://testserver") as client:
        path, params = inbound(sms_store, "+4915123456789", "STOP")
        answers = [post_signed(client, runtime, path, params).status_code for _ in range(3)]
    assert answers == [200, 200, 429]
