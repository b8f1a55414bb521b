"""Channels: adapters that translate between the outside world (email, APIs, outgoing webhooks) and the
domains.

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
    """Wire the API, email and outgoing webhook channels with the install's ``settings``."""
    # Imported here: the email channel's pure modules (parsing, threading) are used without the desk.
    from loyaldesk.channels import api, email, webhooks

    api.register(handlers, jobs, settings)
    email.register(handlers, jobs, settings)
    webhooks.register(handlers, jobs, settings)
