"""Events of journeys. Payloads carry ids and facts, never addresses or message text."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from loyaldesk.kernel.events import DomainEvent


class CustomEventReceived(DomainEvent):
    """Something the store's site saw (cart abandoned, product viewed), posted through the API. Rules
    trigger on it as ``custom:<name>``; ``properties`` are the store's own (cart value, product ids)."""

    event_type = "custom.event"
    subject_type = "customer"
    name: str
    properties: dict[str, Any] = Field(default_factory=dict)

    def subject_id(self) -> int | None:
        return self.customer_id


class ConsentChanged(DomainEvent):
    event_type = "journey.consent_changed"
    subject_type = "customer"
    channel: str
    granted: bool
    source: str

    def subject_id(self) -> int | None:
        return self.customer_id


class MessageSent(DomainEvent):
    event_type = "journey.message_sent"
    subject_type = "journey_send"
    send_id: int
    rule_id: int | None
    channel: str
    category: str

    def subject_id(self) -> int | None:
        return self.send_id


class JourneyEntered(DomainEvent):
    event_type = "journey.entered"
    subject_type = "journey_rule"
    rule_id: int
    enrollment_id: int
    depth: int = 0

    def subject_id(self) -> int | None:
        return self.rule_id


class RuleLoopStopped(DomainEvent):
    event_type = "journey.loop_stopped"
    subject_type = "journey_rule"
    rule_id: int
    depth: int

    def subject_id(self) -> int | None:
        return self.rule_id


class TaskCreated(DomainEvent):
    event_type = "journey.task_created"
    subject_type = "journey_task"
    task_id: int
    rule_id: int | None

    def subject_id(self) -> int | None:
        return self.task_id
