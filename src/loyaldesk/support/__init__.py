"""Conversations, messages, routing, SLA (business hours, targets, clocks, escalation): the support desk."""
