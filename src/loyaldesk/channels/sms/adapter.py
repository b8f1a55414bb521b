"""``SmsAdapter``: the journeys' ``ChannelAdapter`` for ``Channel.SMS``.

* ``address_of`` (in the engine's session): the customer's phone in E.164, read in their country
  (``attributes["country"]``) or else the store's default region; None when the store has no SMS switched
  on, or the customer is erased, has no phone or one that is not a valid number.
* ``deliver`` (outside any transaction): reads the store's settings, posts the message to the provider
  (``provider.post_message``) with our receipts URL as its status callback, and says what happened. It
  never raises for a delivery failure.

The adapter reads the store's settings through ``database`` (the process's own when the composition
root wires it; a ``Database`` over ``database_url`` opened on first use otherwise).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx
from sqlalchemy.orm import Session

from loyaldesk.channels.sms.config import SmsConfig, sms_config
from loyaldesk.channels.sms.phones import normalise_phone, region_or_none
from loyaldesk.channels.sms.provider import TIMEOUT_SECONDS, post_message
from loyaldesk.customers import Customer
from loyaldesk.journeys import Channel, DeliveryResult, DeliveryStatus, OutgoingMessage
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.outbound import OutboundPolicy

if TYPE_CHECKING:
    from loyaldesk.settings import Settings

log = logging.getLogger("loyaldesk.channels.sms")


def status_callback_url(public_base_url: str, store_slug: str) -> str:
    """Where the provider reports what became of a message (``web/api/sms_webhooks.py``)."""
    return f"{public_base_url.rstrip('/')}/webhooks/sms/{store_slug}/status"


def inbound_url(public_base_url: str, store_slug: str) -> str:
    """Where the provider posts the SMS customers send to the store's number."""
    return f"{public_base_url.rstrip('/')}/webhooks/sms/{store_slug}/inbound"


def customer_region(customer: Customer, default_region: str) -> str | None:
    """The country to read the customer's phone in: theirs when the store's systems know it."""
    attributes = customer.attributes if isinstance(customer.attributes, dict) else {}
    country = attributes.get("country")
    return region_or_none(country if isinstance(country, str) else None) or region_or_none(default_region)


class SmsAdapter:
    channel = Channel.SMS

    def __init__(
        self,
        *,
        public_base_url: str,
        policy: OutboundPolicy | None = None,
        database: Database | None = None,
        database_url: str | None = None,
        client_factory: Callable[[], httpx.Client] = httpx.Client,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        if database is None and database_url is None:
            raise ValueError("give the adapter a database or its URL")
        self.public_base_url = public_base_url
        self.policy = policy or OutboundPolicy()
        self._database = database
        self._database_url = database_url
        self.client_factory = client_factory
        self.timeout = timeout

    @classmethod
    def from_settings(cls, settings: Settings, database: Database | None = None) -> SmsAdapter:
        """The adapter as the install's ``settings`` configure it (public address, outbound policy)."""
        return cls(
            public_base_url=settings.public_base_url,
            policy=OutboundPolicy(allow_private_network=settings.allow_private_network),
            database=database,
            database_url=settings.database_url,
        )

    @property
    def database(self) -> Database:
        if self._database is None:
            assert self._database_url is not None
            self._database = Database(self._database_url)
        return self._database

    # -- in the engine's session ---------------------------------------------------------------------

    def address_of(self, session: Session, store_id: int, customer_id: int, /) -> str | None:
        config = sms_config(session, store_id)
        if config is None or not config.ready:
            return None
        customer = session.get(Customer, customer_id)
        if customer is None or customer.store_id != store_id or customer.erased_at is not None:
            return None
        return normalise_phone(customer.phone, customer_region(customer, config.default_region))

    def prepare(self, session: Session, message: OutgoingMessage, /) -> OutgoingMessage:
        """The store's SMS settings, read on the engine's session for the network call (in memory only:
        the token never leaves this process)."""
        return dataclasses.replace(
            message, channel_data={"sms_config": sms_config(session, message.store_id)}
        )

    # -- outside any transaction ---------------------------------------------------------------------

    def deliver(self, message: OutgoingMessage, /) -> DeliveryResult:
        if "sms_config" in message.channel_data:  # prepared by the engine: no database needed here
            return self.send(message.channel_data["sms_config"], message)
        try:
            with self.database.read() as session:
                config = sms_config(session, message.store_id)
        except Exception as error:  # the database is away: the message can wait
            log.warning("SMS settings of store %s unreadable: %s", message.store_id, error)
            return DeliveryResult(
                DeliveryStatus.RETRY, error=f"the SMS settings could not be read: {error}"[:500]
            )
        return self.send(config, message)

    def send(self, config: SmsConfig | None, message: OutgoingMessage) -> DeliveryResult:
        """Deliver ``message`` with ``config`` (the store's settings, already read)."""
        if config is None or not config.ready:
            return DeliveryResult(DeliveryStatus.FAILED, error="SMS is not switched on for this store")
        to = normalise_phone(message.recipient.address, config.default_region)
        if to is None:
            return DeliveryResult(DeliveryStatus.FAILED, error="not a valid phone number")
        body = message.text.strip() or message.subject.strip()
        if not body:
            return DeliveryResult(DeliveryStatus.FAILED, error="the message is empty")
        try:
            with self.client_factory() as client:
                return post_message(
                    client,
                    config,
                    to=to,
                    body=body,
                    idempotency_key=message.idempotency_key,
                    status_callback=status_callback_url(self.public_base_url, config.store_slug),
                    policy=self.policy,
                    timeout=self.timeout,
                )
        except Exception as error:  # never raise for a delivery: say it may be tried again
            log.exception("SMS for store %s failed unexpectedly", message.store_id)
            return DeliveryResult(DeliveryStatus.RETRY, error=f"{type(error).__name__}: {error}"[:500])
