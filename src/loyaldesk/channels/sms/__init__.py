"""The SMS channel: journeys' messages to customers' phones through a Twilio-compatible HTTP API, the
provider's delivery receipts, and STOP / START from customers (decision 0025).

* ``models``: each store's provider account (``sms_settings``); ``config``: reading and saving it;
* ``phones``: numbers validated and normalised to E.164 (phonenumbers);
* ``provider``: the one HTTP call; ``adapter``: ``SmsAdapter``, the ``journeys.ChannelAdapter``;
* ``signature``: ``X-Twilio-Signature``; ``inbound``: what the webhooks apply (receipts, consent).

``register(handlers, jobs, settings)`` is called by ``channels.register`` (the composition root).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from loyaldesk.kernel.dispatcher import HandlerRegistry
    from loyaldesk.kernel.jobs import JobRegistry
    from loyaldesk.settings import Settings


def register(handlers: HandlerRegistry, jobs: JobRegistry, settings: Settings) -> None:
    """Make ``SmsAdapter`` journeys' adapter for SMS, with the install's public address (for receipts)
    and outbound policy."""
    from loyaldesk.channels.sms.adapter import SmsAdapter
    from loyaldesk.journeys import register_adapter

    register_adapter(SmsAdapter.from_settings(settings))
