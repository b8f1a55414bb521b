"""``SmsAdapter`` against a fake Twilio-compatible provider on 127.0.0.1: who has an address, what is
posted (form fields, basic auth, the idempotency key, our receipts URL), and each outcome: SENT, RETRY
(503, a timeout, nobody listening), FAILED (an invalid number, bad credentials, a private address the
install does not allow). Nothing raises."""

from __future__ import annotations

import base64
from collections.abc import Callable

from loyaldesk.channels.sms.adapter import SmsAdapter
from loyaldesk.journeys import Channel, DeliveryStatus
from loyaldesk.journeys.ports import ADAPTERS
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.outbound import OutboundPolicy
from loyaldesk.runtime import Runtime
from tests.channels.sms.conftest import PUBLIC, SENDER, configure, message_to
from tests.channels.sms.fake_provider import INVALID_NUMBER, SID, TOKEN, FakeProvider
from tests.factories import StoreHandle, make_store

MESSAGING_SERVICE = "MG" + "a" * 32


def test_the_composition_registers_the_adapter(runtime: Runtime) -> None:
    adapter = ADAPTERS[Channel.SMS]
    assert isinstance(adapter, SmsAdapter)
    assert adapter.public_base_url == runtime.settings.public_base_url


def test_address_of(
    db: Database, sms_store: StoreHandle, adapter: SmsAdapter, customer_factory: Callable[..., int]
) -> None:
    german = customer_factory(sms_store, "0151 23456789")
    american = customer_factory(sms_store, "(415) 867-5309", attributes={"country": "US"})
    nonsense_country = customer_factory(sms_store, "0151 2345 6780", attributes={"country": "Germany"})
    international = customer_factory(sms_store, "+1 415 867 5310")
    no_phone = customer_factory(sms_store, None)
    invalid = customer_factory(sms_store, "12345")
    erased = customer_factory(sms_store, "0151 23456781", erased_at=db.clock.now())
    other = make_store(db, "globex")
    elsewhere = customer_factory(other, "0151 23456782")
    with db.read() as session:
        found = {
            customer: adapter.address_of(session, sms_store.id, customer)
            for customer in (german, american, nonsense_country, international, no_phone, invalid, erased)
        }
        assert adapter.address_of(session, sms_store.id, elsewhere) is None  # another store's customer
        assert adapter.address_of(session, other.id, elsewhere) is None  # a store without SMS settings
    assert found == {
        german: "+4915123456789",
        american: "+14158675309",
        nonsense_country: "+4915123456780",  # an unknown country: the store's default region
        international: "+14158675310",
        no_phone: None,
        invalid: None,
        erased: None,
    }


def test_no_address_while_sms_is_switched_off(
    db: Database, sms_store: StoreHandle, provider: FakeProvider, adapter: SmsAdapter, customer_factory
) -> None:
    customer = customer_factory(sms_store, "0151 23456789")
    configure(db, sms_store, provider.base_url, enabled=False)
    with db.read() as session:
        assert adapter.address_of(session, sms_store.id, customer) is None
    result = adapter.deliver(message_to(sms_store, "+4915123456789"))
    assert result.status is DeliveryStatus.FAILED and "not switched on" in (result.error or "")
    assert provider.requests == []


def test_sent(sms_store: StoreHandle, provider: FakeProvider, adapter: SmsAdapter) -> None:
    message = message_to(sms_store, "+4915123456789")
    result = adapter.deliver(message)
    assert result.status is DeliveryStatus.SENT
    assert result.provider_id in provider.messages
    [request] = provider.requests
    assert request.path == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert request.form == {
        "To": "+4915123456789",
        "From": SENDER,
        "Body": "Your points expire in 7 days.",
        "StatusCallback": f"{PUBLIC}/webhooks/sms/{sms_store.slug}/status",
    }
    assert request.headers["authorization"] == "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    assert request.headers["idempotency-key"] == message.idempotency_key
    assert request.headers["host"] == provider.base_url.removeprefix("http://")


def test_a_national_address_is_read_in_the_store_region(
    sms_store: StoreHandle, provider: FakeProvider, adapter: SmsAdapter
) -> None:
    assert adapter.deliver(message_to(sms_store, "0151 23456789")).status is DeliveryStatus.SENT
    assert provider.requests[0].form["To"] == "+4915123456789"


def test_a_messaging_service_sends_in_place_of_a_number(
    db: Database, sms_store: StoreHandle, provider: FakeProvider, adapter: SmsAdapter
) -> None:
    configure(db, sms_store, provider.base_url, sender=MESSAGING_SERVICE)
    assert adapter.deliver(message_to(sms_store, "+4915123456789")).status is DeliveryStatus.SENT
    form = provider.requests[0].form
    assert form["MessagingServiceSid"] == MESSAGING_SERVICE and "From" not in form


def test_an_invalid_number_fails_with_the_provider_words(
    sms_store: StoreHandle, provider: FakeProvider, adapter: SmsAdapter
) -> None:
    result = adapter.deliver(message_to(sms_store, INVALID_NUMBER))
    assert result.status is DeliveryStatus.FAILED
    assert (
        result.error is not None
        and result.error.startswith("21211: ")
        and "not a valid phone" in result.error
    )
    assert result.provider_id is None


def test_an_address_that_is_no_number_fails_without_calling(
    sms_store: StoreHandle, provider: FakeProvider, adapter: SmsAdapter
) -> None:
    result = adapter.deliver(message_to(sms_store, "not a number"))
    assert result.status is DeliveryStatus.FAILED and provider.requests == []


def test_a_passing_failure_is_retried_and_the_retry_is_the_same_message(
    sms_store: StoreHandle, provider: FakeProvider, adapter: SmsAdapter
) -> None:
    provider.answer_first = [503]
    message = message_to(sms_store, "+4915123456789")
    first = adapter.deliver(message)
    assert first.status is DeliveryStatus.RETRY and first.provider_id is None
    second = adapter.deliver(message)
    assert second.status is DeliveryStatus.SENT
    # A worker that dies after the provider accepted, and sends again: the provider recognises the key.
    third = adapter.deliver(message)
    assert third.status is DeliveryStatus.SENT and third.provider_id == second.provider_id
    assert len(provider.messages) == 1
    assert [r.status for r in provider.requests] == [503, 201, 201]
    assert len({r.headers["idempotency-key"] for r in provider.requests}) == 1


def test_too_many_requests_is_retried(
    sms_store: StoreHandle, provider: FakeProvider, adapter: SmsAdapter
) -> None:
    provider.answer_first = [429]
    assert adapter.deliver(message_to(sms_store, "+4915123456789")).status is DeliveryStatus.RETRY


def test_a_timeout_is_retried(db: Database, sms_store: StoreHandle, provider: FakeProvider) -> None:
    provider.delay_seconds = 1.0
    impatient = SmsAdapter(
        public_base_url=PUBLIC, policy=OutboundPolicy(allow_private_network=True), database=db, timeout=0.2
    )
    result = impatient.deliver(message_to(sms_store, "+4915123456789"))
    assert result.status is DeliveryStatus.RETRY and "Timeout" in (result.error or "")


def test_nobody_listening_is_retried(db: Database, store: StoreHandle, adapter: SmsAdapter) -> None:
    from tests.servers import free_port

    configure(db, store, f"http://127.0.0.1:{free_port()}")
    result = adapter.deliver(message_to(store, "+4915123456789"))
    assert result.status is DeliveryStatus.RETRY and result.error


def test_bad_credentials_fail(
    db: Database, sms_store: StoreHandle, provider: FakeProvider, adapter: SmsAdapter
) -> None:
    configure(db, sms_store, provider.base_url, auth_token="not-the-right-token")
    result = adapter.deliver(message_to(sms_store, "+4915123456789"))
    assert result.status is DeliveryStatus.FAILED and "20003" in (result.error or "")


def test_a_private_provider_address_is_refused_unless_the_install_allows_it(
    db: Database, sms_store: StoreHandle, provider: FakeProvider
) -> None:
    strict = SmsAdapter(public_base_url=PUBLIC, policy=OutboundPolicy(), database=db)
    result = strict.deliver(message_to(sms_store, "+4915123456789"))
    assert result.status is DeliveryStatus.FAILED and (result.error or "").startswith("refused:")
    assert provider.requests == []
