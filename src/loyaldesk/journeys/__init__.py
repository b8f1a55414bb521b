"""Journeys: automation rules, lifecycle flows, campaigns, their calendar and frequency caps, and outgoing
webhooks. Whatever loyaldesk sends a customer on its own initiative goes through a journey's send step: one
place for consent, quiet hours, caps, exactly-once and the explain record. Empty until its issue fills it."""

__all__: list[str] = []
