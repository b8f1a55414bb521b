"""Events of the customers domain. Payloads name changed fields, never their personal values."""

from __future__ import annotations

from loyaldesk.kernel.events import DomainEvent


class _CustomerEvent(DomainEvent):
    subject_type = "customer"

    def subject_id(self) -> int | None:
        return self.customer_id


class CustomerCreated(_CustomerEvent):
    event_type = "customer.created"
    source: str


class CustomerUpdated(_CustomerEvent):
    event_type = "customer.updated"
    changed_fields: list[str]


class CustomerConsentChanged(_CustomerEvent):
    event_type = "customer.consent_changed"
    marketing_consent: bool


class CustomerExported(_CustomerEvent):
    event_type = "customer.exported"


class CustomerErased(_CustomerEvent):
    event_type = "customer.erased"
