"""Whether the store's assistant answers a new conversation first (``support.first_line``'s provider)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from loyaldesk.assistant.dialog.settings import assistant_config_for_routing
from loyaldesk.customers import facts_about
from loyaldesk.support import Contact

ASSISTED_CHANNELS = ("webchat", "api")


def assistant_takes(session: Session, contact: Contact, channel: str) -> bool:
    """True for a chat or API conversation of a store whose assistant is on, unless the customer's tier is
    one the store routes to people first (VIP)."""
    if channel not in ASSISTED_CHANNELS:
        return False
    config = assistant_config_for_routing(session, contact.store_id)
    if not config.enabled:
        return False
    if config.people_first_tiers and contact.customer_id is not None:
        loyalty = facts_about(session, contact.store_id, contact.customer_id).loyalty
        if config.routes_to_people(loyalty.tier if loyalty is not None else None):
            return False
    return True
