"""Outgoing webhooks: the store's own systems receive its domain events, signed per the Standard
Webhooks specification, from an outbox that retries with backoff.

* ``fan_out`` (every 2 seconds) turns newly committed events into deliveries for the endpoints that
  subscribe to them, from a cursor over ``domain_events`` (not through the dispatcher);
* ``sender`` (every 2 seconds, outside any transaction) POSTs what is due, signed (``signing``), and
  retries, gives up or disables a failing endpoint with a mail to the store's owners and admins;
* ``actions`` and ``queries`` manage endpoints and read the delivery log (console and API).

``register(handlers, jobs, settings)`` is called by ``loyaldesk.channels.register``. Customer erasure
has nothing to erase here: deliveries carry events' ids and facts only (see ``models``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from loyaldesk.channels.webhooks import actions, queries
from loyaldesk.channels.webhooks.models import WebhookDelivery, WebhookEndpoint
from loyaldesk.channels.webhooks.vocab import ALL_EVENTS, TEST_EVENT_TYPE, DeliveryStatus

if TYPE_CHECKING:
    from loyaldesk.kernel.dispatcher import HandlerRegistry
    from loyaldesk.kernel.jobs import JobRegistry
    from loyaldesk.settings import Settings

__all__ = [
    "ALL_EVENTS",
    "TEST_EVENT_TYPE",
    "DeliveryStatus",
    "WebhookDelivery",
    "WebhookEndpoint",
    "actions",
    "queries",
    "register",
]

FAN_OUT_SECONDS = 2
SEND_SECONDS = 2


def register(handlers: HandlerRegistry, jobs: JobRegistry, settings: Settings) -> None:
    """Schedule the fan-out and the sender, reaching endpoints as the install's ``settings`` allow."""
    from loyaldesk.channels.webhooks.fan_out import run_fan_out
    from loyaldesk.channels.webhooks.sender import SenderConfig, send_due
    from loyaldesk.kernel.outbound import OutboundPolicy
    from loyaldesk.stores import AccountMailSettings

    config = SenderConfig(
        policy=OutboundPolicy(allow_private_network=settings.allow_private_network),
        disable_after=timedelta(days=settings.webhook_disable_after_days),
        mail=AccountMailSettings.from_settings(settings),
    )
    jobs.every_outside(FAN_OUT_SECONDS, name="webhooks.fan_out")(run_fan_out)
    jobs.every_outside(SEND_SECONDS, name="webhooks.send_due")(lambda database: send_due(database, config))
