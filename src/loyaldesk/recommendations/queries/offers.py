"""Reads of personal offers: the store's offers with their results (treatment against holdout), one
offer's results, and a shopper's own active offers. Read session only; callers check who asks
(``actions.offers.authorize_view``; a shopper reads only their own).

Revenue counts each group customer's net order totals (total less refunds, cancelled orders left out)
placed from the launch to the offer's end (or now, while it runs), whatever they bought: what the offer
is meant to move is what the store earns, not only the target.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from loyaldesk.commerce import Order, OrderStatus, Product
from loyaldesk.loyalty import RewardCode
from loyaldesk.recommendations.models import Offer, OfferAssignment
from loyaldesk.recommendations.rules.uplift import Sums, Uplift, group_figures, uplift
from loyaldesk.recommendations.vocab import OfferGroup, OfferStatus, OfferTarget


@dataclass(frozen=True)
class OfferResults:
    offer: Offer
    window_start: datetime | None
    window_end: datetime | None
    uplift: Uplift | None  # None for a draft (nobody assigned yet)
    told: int = 0  # treatment members told so far (the telling job's progress; all of them once done)

    @property
    def telling(self) -> bool:
        """Whether the telling job is still at work on this offer."""
        return self.offer.status == OfferStatus.ACTIVE and self.told < self.offer.treatment_count


def told_of(session: Session, offer: Offer) -> int:
    """Treatment members told so far: the treatment less those the telling job has still to reach
    (counted on the small index of those)."""
    if offer.launched_at is None:
        return 0
    untold = session.scalar(
        select(func.count())
        .select_from(OfferAssignment)
        .where(
            OfferAssignment.offer_id == offer.id,
            OfferAssignment.group == OfferGroup.TREATMENT.value,
            OfferAssignment.told_at.is_(None),
        )
    )
    return max(0, offer.treatment_count - int(untold or 0))


def window_of(offer: Offer, now: datetime) -> tuple[datetime | None, datetime | None]:
    """The results' window: [launched_at, min(now, ends_at, ended_at)]."""
    if offer.launched_at is None:
        return None, None
    end = min(now, offer.ends_at, offer.ended_at or offer.ends_at)
    return offer.launched_at, end


def results_of(session: Session, offer: Offer, now: datetime) -> OfferResults:
    """The offer's two groups: customers, conversions, revenue per customer, and the differences."""
    start, end = window_of(offer, now)
    if start is None or end is None:
        return OfferResults(offer, None, None, None)
    net = Order.total - func.coalesce(Order.refunded_total, 0)
    per_customer = (
        select(
            OfferAssignment.group,
            OfferAssignment.customer_id,
            OfferAssignment.converted_at,
            func.coalesce(func.sum(net), 0),
        )
        .outerjoin(
            Order,
            and_(
                Order.customer_id == OfferAssignment.customer_id,
                Order.store_id == OfferAssignment.store_id,
                Order.placed_at >= start,
                Order.placed_at <= end,
                Order.status != OrderStatus.CANCELLED.value,
            ),
        )
        .where(OfferAssignment.offer_id == offer.id)
        .group_by(OfferAssignment.group, OfferAssignment.customer_id, OfferAssignment.converted_at)
    )
    counts = {group: [0, 0, 0.0, 0.0] for group in OfferGroup}
    for group, _customer_id, converted_at, revenue in session.execute(per_customer):
        figures = counts[OfferGroup(group)]
        figures[0] += 1
        figures[1] += 1 if converted_at is not None and converted_at <= end else 0
        figures[2] += float(revenue)
        figures[3] += float(revenue) ** 2
    groups = {
        group: group_figures(int(n), int(converted), Sums(int(n), total, squares))
        for group, (n, converted, total, squares) in counts.items()
    }
    return OfferResults(
        offer,
        start,
        end,
        uplift(groups[OfferGroup.TREATMENT], groups[OfferGroup.HOLDOUT]),
        told_of(session, offer),
    )


def offers_of(
    session: Session, store_id: int, now: datetime, *, before_id: int | None = None, limit: int = 50
) -> tuple[list[OfferResults], int | None]:
    """The store's offers, newest first, each with its results; and the id to continue before (None:
    no more)."""
    query = select(Offer).where(Offer.store_id == store_id)
    if before_id is not None:
        query = query.where(Offer.id < before_id)
    offers = list(session.scalars(query.order_by(Offer.id.desc()).limit(limit + 1)))
    more = len(offers) > limit
    offers = offers[:limit]
    return [results_of(session, offer, now) for offer in offers], offers[-1].id if more else None


def offer_results(session: Session, store_id: int, offer_id: int, now: datetime) -> OfferResults:
    from loyaldesk.recommendations.actions.offers import offer_of

    return results_of(session, offer_of(session, store_id, offer_id), now)


def target_title(session: Session, offer: Offer) -> str | None:
    """The target product's title (None for categories, "any", or an item the catalogue lacks)."""
    if offer.target_kind != OfferTarget.PRODUCT or offer.target is None:
        return None
    return session.scalar(
        select(Product.title)
        .where(
            Product.store_id == offer.store_id,
            (Product.external_id == offer.target) | (Product.sku == offer.target),
        )
        .limit(1)
    )


@dataclass(frozen=True)
class MyOffer:
    """An active offer as the shopper in its treatment group sees it."""

    offer_id: int
    name: str
    description: str
    kind: str
    value: int
    target_kind: str
    target: str | None
    target_title: str | None
    ends_at: datetime
    code: str | None
    used: bool


def my_offers(session: Session, store_id: int, customer_id: int, now: datetime) -> list[MyOffer]:
    """The shopper's active offers: treatment group only (the holdout sees nothing), once told (a
    discount's code is issued then), not past their end."""
    rows = session.execute(
        select(Offer, OfferAssignment.reward_code_id, OfferAssignment.converted_at)
        .join(OfferAssignment, OfferAssignment.offer_id == Offer.id)
        .where(
            OfferAssignment.store_id == store_id,
            OfferAssignment.customer_id == customer_id,
            OfferAssignment.group == OfferGroup.TREATMENT.value,
            OfferAssignment.told_at.is_not(None),
            Offer.status == OfferStatus.ACTIVE.value,
            Offer.ends_at > now,
        )
        .order_by(Offer.ends_at)
    )
    mine = []
    for offer, code_id, converted_at in rows:
        code = session.get(RewardCode, code_id) if code_id else None
        mine.append(
            MyOffer(
                offer.id,
                offer.name,
                offer.description,
                offer.kind,
                offer.value,
                offer.target_kind,
                offer.target,
                target_title(session, offer),
                offer.ends_at,
                code.code if code is not None else None,
                converted_at is not None,
            )
        )
    return mine
