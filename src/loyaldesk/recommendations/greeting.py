"""What the chat widget's greeting knows of a returning shopper: their first name, tier and points, the
points about to expire, and one thing for them (an active personal offer of theirs, else their top pick
with its why). A read (read session only); the caller has identified the shopper (the widget's HMAC
identity verification) — nothing here is ever asked for an anonymous visitor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loyaldesk.customers import Customer, facts_about
from loyaldesk.loyalty import PointLot, member_of_customer
from loyaldesk.loyalty import queries as loyalty_queries
from loyaldesk.recommendations.models import Offer, OfferAssignment, RecommendationSettings
from loyaldesk.recommendations.ports import PickRequest, PickView
from loyaldesk.recommendations.queries import picks_for
from loyaldesk.recommendations.vocab import OfferGroup, OfferStatus, Placement


@dataclass(frozen=True)
class GreetingOffer:
    """An active personal offer the shopper is in the treatment group of (the store's own words)."""

    offer_id: int
    name: str
    description: str
    ends_at: datetime


@dataclass(frozen=True)
class Greeting:
    """What the widget greets a known shopper with; a field is empty where there is nothing to say."""

    first_name: str | None
    tier: str | None
    points: int | None  # None: not a member of the loyalty program
    expiring_points: int
    expiring_on: datetime | None  # the soonest expiry among the points expiring within 30 days
    offer: GreetingOffer | None
    pick: PickView | None  # only when there is no offer


def greeting_enabled(session: Session, store_id: int) -> bool:
    """The store's ``widget_greeting`` setting (a store without recommendation settings: on)."""
    settings = session.get(RecommendationSettings, store_id)
    return settings is None or bool(settings.widget_greeting)


def greeting_for(
    session: Session, store_id: int, customer_id: int, now: datetime, *, language: str = "en"
) -> Greeting | None:
    """The greeting for customer ``customer_id`` of store ``store_id``; None when the store turned the
    greeting off, or the customer is unknown here or erased."""
    if not greeting_enabled(session, store_id):
        return None
    customer = session.get(Customer, customer_id)
    if customer is None or customer.store_id != store_id or customer.erased_at is not None:
        return None
    loyalty = facts_about(session, store_id, customer_id).loyalty
    expiring_points, expiring_on = 0, None
    member = member_of_customer(session, store_id, customer_id)
    if member is not None:
        total, soonest = session.execute(
            select(func.sum(PointLot.remaining), func.min(PointLot.expires_at)).where(
                PointLot.member_id == member.id,
                PointLot.status == "available",
                PointLot.remaining > 0,
                PointLot.expires_at.is_not(None),
                PointLot.expires_at > now,
                PointLot.expires_at <= now + loyalty_queries.EXPIRING_SOON,
            )
        ).one()
        expiring_points, expiring_on = int(total or 0), soonest
    offer = active_offer(session, store_id, customer_id, now)
    pick = None
    if offer is None:
        picks = picks_for(
            session,
            PickRequest(store_id, customer_id, placement=Placement.WIDGET, limit=1, language=language),
        )
        pick = picks[0] if picks else None
    return Greeting(
        first_name=(customer.first_name or "").strip() or None,
        tier=loyalty.tier if loyalty is not None else None,
        points=loyalty.points if loyalty is not None else None,
        expiring_points=expiring_points,
        expiring_on=expiring_on if expiring_points else None,
        offer=offer,
        pick=pick,
    )


def active_offer(session: Session, store_id: int, customer_id: int, now: datetime) -> GreetingOffer | None:
    """The customer's active personal offer ending soonest (treatment group only, once told: a customer
    held out never hears of it), or None."""
    row = session.execute(
        select(Offer.id, Offer.name, Offer.description, Offer.ends_at)
        .join(OfferAssignment, OfferAssignment.offer_id == Offer.id)
        .where(
            OfferAssignment.store_id == store_id,
            OfferAssignment.customer_id == customer_id,
            OfferAssignment.group == OfferGroup.TREATMENT.value,
            OfferAssignment.told_at.is_not(None),  # told (a discount's code exists only from then)
            Offer.store_id == store_id,
            Offer.status == OfferStatus.ACTIVE.value,
            Offer.ends_at > now,
        )
        .order_by(Offer.ends_at, Offer.id)
        .limit(1)
    ).first()
    if row is None:
        return None
    return GreetingOffer(
        offer_id=row.id, name=row.name, description=row.description or "", ends_at=row.ends_at
    )
