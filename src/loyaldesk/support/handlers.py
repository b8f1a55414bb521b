"""How the support desk reacts to events: service recovery after a missed SLA target or a poor rating.

``register(handlers)`` subscribes them; the composition root (``loyaldesk.composition``) calls it. The
channels' reactions to the desk's events (replies by email, API callbacks) are registered by the channel
adapters, not here: the desk does not know its channels.
"""

from __future__ import annotations

from loyaldesk.kernel.dispatcher import HandlerRegistry
from loyaldesk.support.actions.goodwill import recover_after_breach, recover_after_poor_rating
from loyaldesk.support.events import CsatSubmitted, SlaBreached


def register(handlers: HandlerRegistry) -> None:
    """Subscribe the desk's own reactions."""
    handlers.on(SlaBreached)(recover_after_breach)
    handlers.on(CsatSubmitted)(recover_after_poor_rating)
