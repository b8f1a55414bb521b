"""Events of recommendations. Payloads carry ids and counts, never what a customer prefers."""

from __future__ import annotations

from loyaldesk.kernel.events import DomainEvent


class RecommendationsFitted(DomainEvent):
    """A fit finished (succeeded or failed); on success every customer's picks were rewritten."""

    event_type = "recommendations.fitted"
    subject_type = "recommendation_fit"
    fit_id: int
    succeeded: bool
    customers: int = 0
    items: int = 0

    def subject_id(self) -> int | None:
        return self.fit_id


class PicksUpdated(DomainEvent):
    """One customer's picks were recomputed between fits (after a new order, or a new customer)."""

    event_type = "recommendations.picks_updated"
    subject_type = "customer"
    customer_id: int

    def subject_id(self) -> int | None:
        return self.customer_id


class PreferencesChanged(DomainEvent):
    """A customer (or staff for them) changed what they told the store they prefer."""

    event_type = "recommendations.preferences_changed"
    subject_type = "customer"
    customer_id: int

    def subject_id(self) -> int | None:
        return self.customer_id


class OfferLaunched(DomainEvent):
    """A personal offer went live: its customers were split and the treatment group told."""

    event_type = "recommendations.offer_launched"
    subject_type = "recommendation_offer"
    offer_id: int
    treatment: int
    holdout: int

    def subject_id(self) -> int | None:
        return self.offer_id


class OfferConverted(DomainEvent):
    """A customer of an offer (either group) placed their first qualifying order before it ended."""

    event_type = "recommendations.offer_converted"
    subject_type = "recommendation_offer"
    offer_id: int
    customer_id: int
    order_id: int
    group: str

    def subject_id(self) -> int | None:
        return self.offer_id


class OfferEnded(DomainEvent):
    """An offer reached its end (or was ended early): its results are final."""

    event_type = "recommendations.offer_ended"
    subject_type = "recommendation_offer"
    offer_id: int

    def subject_id(self) -> int | None:
        return self.offer_id
