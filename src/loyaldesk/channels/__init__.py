"""Channels: adapters that translate between the outside world (email, APIs, SMS, web push, the widget,
outgoing webhooks) and the domains (``support``; ``journeys``' channel adapters).

A channel calls the desk's actions (``support.post_customer_message``) and reacts to its events (an
agent's reply goes out by mail or to an app's callback); the desk never imports a channel.
``register`` wires every channel; the composition root (``loyaldesk.composition``) calls it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from loyaldesk.kernel.dispatcher import HandlerRegistry
    from loyaldesk.kernel.jobs import JobRegistry
    from loyaldesk.settings import Settings


def register(handlers: HandlerRegistry, jobs: JobRegistry, settings: Settings) -> None:
    """Wire the API, email, SMS and outgoing webhook channels with the install's ``settings``, and give
    journeys its adapters: email, SMS, web push, the widget and a rule's webhook step."""
    # Imported here: the email channel's pure modules (parsing, threading) are used without the desk.
    from loyaldesk.channels import api, email, push, sms, webhooks, widget
    from loyaldesk.channels.email.journey_mail import JourneyEmailAdapter
    from loyaldesk.channels.step_webhook import StepWebhookAdapter
    from loyaldesk.journeys import register_adapter
    from loyaldesk.kernel.mail_transport import transport_from
    from loyaldesk.kernel.outbound import OutboundPolicy

    api.register(handlers, jobs, settings)
    email.register(handlers, jobs, settings)
    sms.register(handlers, jobs, settings)
    webhooks.register(handlers, jobs, settings)
    push.register(settings)
    widget.register()
    register_adapter(JourneyEmailAdapter(transport_from(settings), settings))
    register_adapter(StepWebhookAdapter(OutboundPolicy(allow_private_network=settings.allow_private_network)))
