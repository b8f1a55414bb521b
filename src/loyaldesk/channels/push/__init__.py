"""Web push: each store's VAPID keys, the browsers its shoppers subscribed from the chat widget, and the
journeys adapter that sends to them with pywebpush (decision 0026).

The service worker that shows the notifications must be served by the store from its own origin (a
browser rule: a worker's scope is its own origin); loyaldesk serves the file for the store to copy
(``GET /widget/push/service-worker.js``, explained on *Inbox → Install the chat*).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loyaldesk.channels.push.adapter import PushAdapter
from loyaldesk.channels.push.keys import public_key_of, push_keys, set_push_enabled
from loyaldesk.channels.push.models import PushKeys, PushSubscription
from loyaldesk.channels.push.schemas import PushSubscriptionIn
from loyaldesk.channels.push.subscriptions import subscribe, subscription_count, unsubscribe

if TYPE_CHECKING:
    from loyaldesk.settings import Settings

__all__ = [
    "PushAdapter",
    "PushKeys",
    "PushSubscription",
    "PushSubscriptionIn",
    "public_key_of",
    "push_keys",
    "register",
    "set_push_enabled",
    "subscribe",
    "subscription_count",
    "unsubscribe",
]


def register(settings: Settings) -> None:
    """Make ``PushAdapter`` journeys' push channel, connecting only where the install allows, and
    forget an erased customer's browsers."""
    from loyaldesk.channels.push.subscriptions import erase_subscriptions
    from loyaldesk.customers import erasure_step
    from loyaldesk.journeys import register_adapter
    from loyaldesk.kernel.outbound import OutboundPolicy

    erasure_step("push_subscriptions")(erase_subscriptions)

    register_adapter(PushAdapter(policy=OutboundPolicy(allow_private_network=settings.allow_private_network)))
