"""Events of store teaching. Payloads carry ids and intent names, never the example's text."""

from __future__ import annotations

from loyaldesk.kernel.events import DomainEvent


class IntentExampleAdded(DomainEvent):
    event_type = "assistant.intent_example_added"
    subject_type = "intent_example"
    example_id: int
    intent: str
    source: str  # vocab.ExampleSource
    message_id: int | None = None

    def subject_id(self) -> int | None:
        return self.example_id


class IntentExampleRemoved(DomainEvent):
    event_type = "assistant.intent_example_removed"
    subject_type = "intent_example"
    example_id: int
    intent: str

    def subject_id(self) -> int | None:
        return self.example_id


class IntentsChanged(DomainEvent):
    """A custom intent was created, changed or deleted, or a built-in one switched on or off."""

    event_type = "assistant.intents_changed"
    subject_type = "store_intent"
    intent: str
    change: str  # created, changed, deleted, enabled, disabled

    def subject_id(self) -> int | None:
        return None


class IntentModelTrained(DomainEvent):
    """A training of the store's intent model ended: ``ready`` (it answers now) or ``failed``."""

    event_type = "assistant.intent_model_trained"
    subject_type = "intent_model"
    model_id: int
    version: int
    status: str  # vocab.ModelStatus
    accuracy: float | None = None

    def subject_id(self) -> int | None:
        return self.model_id
