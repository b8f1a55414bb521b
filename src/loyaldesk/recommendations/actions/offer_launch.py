"""Launching a personal offer and ending it.

``launch_offer`` is one transaction: every targeted customer is assigned to the treatment group or the
holdout by a draw fixed by (offer, customer) (``rules.uplift.in_holdout``: the same customer lands on the
same side on any retry); for a discount a loyalty ``Reward`` is created and each treatment member gets
a personal code through the loyalty program's goodwill path (the reward's one point credited as a gift
and redeemed at once: the balance does not move, the ledger shows both halves; the reward is then
switched off, so it never shows in the rewards catalogue and nobody else can redeem it); the treatment
group is told through journeys (template ``personal_offer``, message category ``marketing``: journeys
sends only where the customer agreed to marketing on that channel, in their waking hours, within the
caps). The holdout is never told and gets no code. Launching again returns the launched offer: nobody is
re-assigned, nothing is sent twice.

``end_offer`` (a manager, or ``end_due_offers`` when ``ends_at`` passes) freezes the results.
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import insert, select, update

from loyaldesk.commerce import Product
from loyaldesk.customers import grant_goodwill_reward
from loyaldesk.journeys import Channel, MessageCategory, queue_message, save_template, template_of
from loyaldesk.kernel.actors import Actor, system_for
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict, Invalid
from loyaldesk.kernel.i18n import _, use_language
from loyaldesk.loyalty import Reward, RewardCode, RewardKind
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
MAX_CUSTOMERS = 200_000  # one launch is one transaction: a store-sized segment, not a mailing list

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
    if template_of(uow.session, store_id, TEMPLATE_KEY) is not None:
        return
    store = store_by_id(uow.session, store_id)
    words = TEMPLATES.get((store.default_language or "en").split("-")[0], TEMPLATES["en"])
    save_template(
        uow,
        system_for(store_id, "recommendations"),
        store_id,
        TEMPLATE_KEY,
        {"channel": Channel.EMAIL.value, **words},
    )


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


def _discount_reward(uow: UnitOfWork, offer: Offer, words: str) -> Reward:
    now = uow.now()
    days = max(1, math.ceil((offer.ends_at - now).total_seconds() / 86400))
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
        code_valid_days=days,
        active=True,  # only while this transaction issues the codes (see the module's docstring)
        created_at=now,
        updated_at=now,
    )
    uow.session.add(reward)
    uow.session.flush()
    return reward


def launch_offer(uow: UnitOfWork, actor: Actor, store_id: int, offer_id: int) -> Offer:
    """Split, issue, tell (see the module's docstring). ``Conflict`` for an ended offer; ``Invalid``
    when its end has passed or nobody is targeted (nothing is written)."""
    authorize_manage(actor, store_id)
    offer = offer_of(uow.session, store_id, offer_id, lock=uow.is_postgresql)
    if offer.status == OfferStatus.ACTIVE:
        return offer  # launched already: nobody re-assigned, nothing re-sent
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
    store = store_by_id(uow.session, store_id)
    with use_language(store.default_language):
        words = details(
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
    uow.session.execute(insert(OfferAssignment), rows)
    treatment = [row["customer_id"] for row in rows if row["group"] == OfferGroup.TREATMENT]
    for customer_id in treatment:
        key = f"offer:{offer.id}:{customer_id}"
        code_text = ""
        if reward is not None:
            try:
                with uow.session.begin_nested():
                    given = grant_goodwill_reward(
                        uow,
                        store_id,
                        customer_id,
                        reward_id=reward.id,
                        note=offer.name,
                        key=key,
                        actor_label=actor.label,
                    )
            except Conflict:
                given = None  # left the program since: told without a code, counted as treated
            if given is not None and given.code:
                with use_language(store.default_language):
                    code_text = _("Your personal code: {code}", code=given.code)
                code_id = uow.session.scalar(
                    select(RewardCode.id).where(
                        RewardCode.store_id == store_id, RewardCode.code == given.code
                    )
                )
                uow.session.execute(
                    update(OfferAssignment)
                    .where(
                        OfferAssignment.offer_id == offer.id,
                        OfferAssignment.customer_id == customer_id,
                    )
                    .values(reward_code_id=code_id)
                )
        queue_message(
            uow,
            store_id=store_id,
            customer_id=customer_id,
            channel=Channel.EMAIL,
            template_key=TEMPLATE_KEY,
            category=MessageCategory.MARKETING,
            key=f"{key}:told",
            context={"event": {"offer_details": words, "offer_code": code_text, "offer_id": offer.id}},
            expires_at=offer.ends_at,
        )
    if reward is not None:
        reward.active = False  # never in the catalogue: the codes issued above are the offer
        offer.reward_id = reward.id
    offer.status = OfferStatus.ACTIVE.value
    offer.launched_at = now
    offer.treatment_count = len(treatment)
    offer.holdout_count = len(rows) - len(treatment)
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
