"""Launching a personal offer and ending it.

``launch_offer`` is one short transaction: every targeted customer is assigned to the treatment group or
the holdout by a draw fixed by (offer, customer) (``rules.uplift.in_holdout``: the same customer lands on
the same side on any retry), in one bulk insert; for a discount the loyalty ``Reward`` behind the codes
is created (switched off: it never shows in the rewards catalogue and nobody can redeem it). Nobody is
told in it: telling the treatment group (a personal code for a discount, the ``personal_offer`` message
through journeys) is the telling job's, in small batches after the launch (``actions.offer_telling``), so
that a store-sized segment never holds the database's writer for long. The holdout is never told and gets
no code. Launching again returns the launched offer: nobody is re-assigned.

``end_offer`` (a manager, or ``end_due_offers`` when ``ends_at`` passes) freezes the results; an offer
ended before everyone was told stops telling.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select

from loyaldesk.commerce import Product
from loyaldesk.journeys import ensure_owned_template
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict, Invalid
from loyaldesk.kernel.i18n import use_language
from loyaldesk.loyalty import Reward, RewardKind
from loyaldesk.recommendations.actions.offers import (
    _audit,
    authorize_manage,
    offer_of,
    targeted_customers,
)
from loyaldesk.recommendations.events import OfferEnded, OfferLaunched
from loyaldesk.recommendations.models import Offer, OfferAssignment
from loyaldesk.recommendations.rules.offer_words import details
from loyaldesk.recommendations.rules.uplift import in_holdout
from loyaldesk.recommendations.vocab import OfferGroup, OfferKind, OfferStatus, OfferTarget
from loyaldesk.stores import store_by_id

TEMPLATE_KEY = "personal_offer"
MAX_CUSTOMERS = 200_000  # a store-sized segment, not a mailing list
INSERT_CHUNK = 5_000  # assignment rows per bulk insert statement

# The message that tells the treatment group, in the languages loyaldesk ships (the store's default
# language picks one; English otherwise). The store may change it like any journeys template.
TEMPLATES = {
    "en": {
        "name": "Personal offer",
        "subject": "A personal offer for you",
        "preheader": "Just for you, for a limited time",
        "body": (
            "Hi {{ first_name | there }},\n\n"
            "we picked this for you: {{ offer_details }}.\n\n"
            "{{ offer_code | It is added to your account: just order as usual. }}\n\n"
            "See it on your loyalty page: {{ member_url }}\n\n"
            "Thank you for shopping with {{ store_name }}."
        ),
    },
    "de": {
        "name": "Persönliches Angebot",
        "subject": "Ein persönliches Angebot für Sie",
        "preheader": "Nur für Sie, für kurze Zeit",
        "body": (
            "Hallo {{ first_name | zusammen }},\n\n"
            "das haben wir für Sie ausgesucht: {{ offer_details }}.\n\n"
            "{{ offer_code | Es ist Ihrem Konto gutgeschrieben: bestellen Sie einfach wie immer. }}\n\n"
            "Sie finden es auf Ihrer Treueseite: {{ member_url }}\n\n"
            "Danke, dass Sie bei {{ store_name }} einkaufen."
        ),
    },
}


def ensure_offer_template(uow: UnitOfWork, store_id: int) -> None:
    """The store's ``personal_offer`` email template, created on first use (a store's edits are kept)."""
    ensure_owned_template(uow, store_id, TEMPLATE_KEY, TEMPLATES, owner="recommendations")


def _target_title(uow: UnitOfWork, offer: Offer) -> str | None:
    if offer.target_kind != OfferTarget.PRODUCT or offer.target is None:
        return None
    return uow.session.scalar(
        select(Product.title)
        .where(
            Product.store_id == offer.store_id,
            (Product.external_id == offer.target) | (Product.sku == offer.target),
        )
        .limit(1)
    )


def offer_details(uow: UnitOfWork, offer: Offer) -> str:
    """What the offer gives, in the store's default language ("15% off BEANS-1 until ...")."""
    store = store_by_id(uow.session, offer.store_id)
    with use_language(store.default_language):
        return details(
            offer.kind,
            offer.value,
            offer.target_kind,
            offer.target,
            offer.ends_at,
            store.currency,
            store.timezone,
            store.default_language,
            _target_title(uow, offer),
        )


def code_days(offer: Offer, now: datetime) -> int:
    """How long a code issued now stays valid: to the offer's end, at least a day."""
    return max(1, math.ceil((offer.ends_at - now).total_seconds() / 86400))


def _discount_reward(uow: UnitOfWork, offer: Offer, words: str) -> Reward:
    now = uow.now()
    reward = Reward(
        store_id=offer.store_id,
        name=f"Personal offer: {offer.name}"[:120],
        description=words,
        kind=(
            RewardKind.PERCENTAGE_DISCOUNT
            if offer.kind == OfferKind.PERCENT_DISCOUNT
            else RewardKind.FIXED_DISCOUNT
        ).value,
        value=offer.value,
        product_sku=offer.target if offer.target_kind == OfferTarget.PRODUCT else None,
        points_cost=1,  # the goodwill path credits it and redeems it at once (a code needs an entry)
        tier_costs={},
        available_from=None,
        available_until=offer.ends_at,
        stock=None,
        issued_count=0,
        min_tier_rank=None,
        segments=[],
        early_access_days=0,
        code_valid_days=code_days(offer, now),
        active=False,  # never in the catalogue: only the telling job's batches switch it on, inside
        # their own transaction, to issue the codes (``actions.offer_telling``)
        created_at=now,
        updated_at=now,
    )
    uow.session.add(reward)
    uow.session.flush()
    return reward


def launch_offer(uow: UnitOfWork, actor: Actor, store_id: int, offer_id: int) -> Offer:
    """Split the targeted customers (see the module's docstring); the telling job tells the treatment
    group afterwards. ``Conflict`` for an ended offer; ``Invalid`` when its end has passed or nobody is
    targeted (nothing is written)."""
    authorize_manage(actor, store_id)
    offer = offer_of(uow.session, store_id, offer_id, lock=uow.is_postgresql)
    if offer.status == OfferStatus.ACTIVE:
        return offer  # launched already: nobody re-assigned (telling goes on in its job)
    if offer.status == OfferStatus.ENDED:
        raise Conflict("this offer has ended; create a new one")
    now = uow.now()
    if offer.ends_at <= now:
        raise Invalid.field("ends_at", "the offer's end has passed: move it into the future first")
    customers = targeted_customers(uow.session, offer)
    if not customers:
        raise Invalid.field("segment", "no loyalty member with an order is in this segment: nobody to offer")
    if len(customers) > MAX_CUSTOMERS:
        raise Invalid.field("segment", f"at most {MAX_CUSTOMERS:,} customers an offer")
    words = offer_details(uow, offer)
    discount = offer.kind != OfferKind.BONUS_POINTS
    reward = _discount_reward(uow, offer, words) if discount else None
    ensure_offer_template(uow, store_id)
    rows: list[dict[str, Any]] = []
    for customer_id in customers:
        group = OfferGroup.HOLDOUT if in_holdout(offer.id, customer_id, offer.holdout_percent) else None
        rows.append(
            {
                "offer_id": offer.id,
                "customer_id": customer_id,
                "store_id": store_id,
                "group": (group or OfferGroup.TREATMENT).value,
                "assigned_at": now,
            }
        )
    for start in range(0, len(rows), INSERT_CHUNK):
        uow.session.execute(insert(OfferAssignment), rows[start : start + INSERT_CHUNK])
    treatment = sum(1 for row in rows if row["group"] == OfferGroup.TREATMENT)
    if reward is not None:
        offer.reward_id = reward.id
    offer.status = OfferStatus.ACTIVE.value
    offer.launched_at = now
    offer.treatment_count = treatment
    offer.holdout_count = len(rows) - treatment
    offer.updated_at = now
    uow.session.flush()
    _audit(uow, actor, "recommendations.offer_launched", offer)
    uow.emit(
        OfferLaunched(
            store_id=store_id,
            offer_id=offer.id,
            treatment=offer.treatment_count,
            holdout=offer.holdout_count,
        )
    )
    return offer


def end_offer(uow: UnitOfWork, actor: Actor, store_id: int, offer_id: int) -> Offer:
    """End an active offer now (its results become final); ending an ended one returns it. A draft
    cannot end (``Conflict``): it never started."""
    authorize_manage(actor, store_id)
    offer = offer_of(uow.session, store_id, offer_id, lock=uow.is_postgresql)
    if offer.status == OfferStatus.ENDED:
        return offer
    if offer.status == OfferStatus.DRAFT:
        raise Conflict("a draft has not started, so it cannot end")
    _finish(uow, offer)
    _audit(uow, actor, "recommendations.offer_ended", offer)
    return offer


def _finish(uow: UnitOfWork, offer: Offer) -> None:
    now = uow.now()
    offer.status = OfferStatus.ENDED.value
    offer.ended_at = min(now, offer.ends_at)
    offer.updated_at = now
    uow.session.flush()
    uow.emit(OfferEnded(store_id=offer.store_id, offer_id=offer.id))


def end_due_offers(uow: UnitOfWork) -> int:
    """The job: every active offer whose end has passed is ended (no audit row: nobody acted)."""
    now = uow.now()
    query = select(Offer).where(Offer.status == OfferStatus.ACTIVE.value, Offer.ends_at <= now).limit(500)
    if uow.is_postgresql:
        query = query.with_for_update(skip_locked=True)
    due = list(uow.session.scalars(query))
    for offer in due:
        _finish(uow, offer)
    return len(due)
