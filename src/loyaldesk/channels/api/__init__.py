"""The API channel: other apps (SMS gateways, social bridges) post customers' messages to a signed
webhook and receive agents' replies at their callback URL (``adapter``).

``register(handlers, jobs, settings)`` is called by the composition root (``loyaldesk.composition``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from loyaldesk.kernel.dispatcher import HandlerRegistry
    from loyaldesk.kernel.jobs import JobRegistry
    from loyaldesk.settings import Settings


def register(handlers: HandlerRegistry, jobs: JobRegistry, settings: Settings) -> None:
    """Subscribe the API channel to the desk's replies and schedule callback delivery, reaching apps as
    the install's ``settings`` allow (private networks or not)."""
    from loyaldesk.channels.api.adapter import queue_callback, send_due_callbacks
    from loyaldesk.kernel.outbound import OutboundPolicy
    from loyaldesk.support import MessagePosted

    handlers.on(MessagePosted)(queue_callback)
    policy = OutboundPolicy(allow_private_network=settings.allow_private_network)
    jobs.every_outside(5, name="support.send_due_callbacks")(
        lambda database: send_due_callbacks(database, policy)
    )
