"""Telling a launched offer's treatment group, after the launch, in small batches.

The telling job (``tell_offer_groups``, registered in ``offer_jobs``) takes up to ``BATCH`` treatment
members of an active offer not told yet (``told_at`` empty) per transaction: for a discount each gets a
personal code through the loyalty program's goodwill path (the reward's one point credited as a gift and
redeemed at once: the balance does not move, the ledger shows both halves); each is told through journeys
(template ``personal_offer``, message category ``marketing``: journeys sends only where the customer
agreed to marketing on that channel, in their waking hours, within the caps); then ``told_at`` is set.

A batch is one transaction: an exception undoes all of it, and the retry issues each code and queues each
message once (and would even if part of it had been kept: the goodwill grant is idempotent per
``offer:{offer}:{customer}`` key, the journeys message per ``...:told`` key). The reward behind the codes
is switched on only inside a batch's transaction, so it never shows in the rewards catalogue. An offer
that has ended (or whose end has passed) is not told any further: no code after the end. On PostgreSQL a
batch holds the offer's row in share mode (``end_offer`` waits for it) and skips members another worker
is telling.
"""

from __future__ import annotations

import time

from sqlalchemy import exists, select, update

from loyaldesk.customers import grant_goodwill_reward
from loyaldesk.journeys import Channel, MessageCategory, queue_message
from loyaldesk.kernel.db import Database, UnitOfWork
from loyaldesk.kernel.errors import Conflict
from loyaldesk.kernel.i18n import _, use_language
from loyaldesk.loyalty import Reward, RewardCode
from loyaldesk.recommendations.actions.offer_launch import (
    TEMPLATE_KEY,
    code_days,
    ensure_offer_template,
    offer_details,
)
from loyaldesk.recommendations.models import Offer, OfferAssignment
from loyaldesk.recommendations.vocab import OfferGroup, OfferStatus
from loyaldesk.stores import store_by_id

BATCH = 50  # members per transaction: under half a second of the writer for a discount on SQLite
PASS_SECONDS = 10.0  # one run of the job goes on for about this long, then gives the other jobs a turn


def _untold() -> tuple[object, ...]:
    return (OfferAssignment.group == OfferGroup.TREATMENT.value, OfferAssignment.told_at.is_(None))


def tell_batch(uow: UnitOfWork, limit: int = BATCH) -> int:
    """Tell up to ``limit`` treatment members of one active offer not told yet; returns how many."""
    now = uow.now()
    query = (
        select(Offer)
        .where(
            Offer.status == OfferStatus.ACTIVE.value,
            Offer.ends_at > now,
            exists().where(OfferAssignment.offer_id == Offer.id, *_untold()),  # type: ignore[arg-type]
        )
        .order_by(Offer.id)
        .limit(1)
    )
    if uow.is_postgresql:
        query = query.with_for_update(read=True, skip_locked=True)
    offer = uow.session.scalar(query)
    if offer is None:
        return 0
    members = select(OfferAssignment.customer_id).where(
        OfferAssignment.offer_id == offer.id,
        *_untold(),  # type: ignore[arg-type]
    )
    members = members.order_by(OfferAssignment.customer_id).limit(limit)
    if uow.is_postgresql:
        members = members.with_for_update(skip_locked=True)
    customers = [int(customer) for customer in uow.session.scalars(members)]
    if not customers:
        return 0
    store = store_by_id(uow.session, offer.store_id)
    words = offer_details(uow, offer)
    ensure_offer_template(uow, offer.store_id)
    reward = uow.session.get(Reward, offer.reward_id) if offer.reward_id is not None else None
    if reward is not None:
        # On only inside this transaction (nobody else ever sees it on); each code valid to the end.
        reward.active = True
        reward.code_valid_days = code_days(offer, now)
        uow.session.flush()
    for customer_id in customers:
        key = f"offer:{offer.id}:{customer_id}"
        code_text = ""
        code_id = None
        if reward is not None:
            try:
                with uow.session.begin_nested():
                    given = grant_goodwill_reward(
                        uow,
                        offer.store_id,
                        customer_id,
                        reward_id=reward.id,
                        note=offer.name,
                        key=key,
                        actor_label="recommendations",
                    )
            except Conflict:
                given = None  # left the program since: told without a code, counted as treated
            if given is not None and given.code:
                with use_language(store.default_language):
                    code_text = _("Your personal code: {code}", code=given.code)
                code_id = uow.session.scalar(
                    select(RewardCode.id).where(
                        RewardCode.store_id == offer.store_id, RewardCode.code == given.code
                    )
                )
        queue_message(
            uow,
            store_id=offer.store_id,
            customer_id=customer_id,
            channel=Channel.EMAIL,
            template_key=TEMPLATE_KEY,
            category=MessageCategory.MARKETING,
            key=f"{key}:told",
            context={"event": {"offer_details": words, "offer_code": code_text, "offer_id": offer.id}},
            expires_at=offer.ends_at,
        )
        values: dict[str, object] = {"told_at": now}
        if code_id is not None:
            values["reward_code_id"] = code_id
        uow.session.execute(
            update(OfferAssignment)
            .where(OfferAssignment.offer_id == offer.id, OfferAssignment.customer_id == customer_id)
            .values(**values)
        )
    if reward is not None:
        reward.active = False  # never in the catalogue: the codes are the offer
        uow.session.flush()
    return len(customers)


def tell_offer_groups(database: Database, *, batch: int = BATCH, seconds: float = PASS_SECONDS) -> int:
    """The job: batches of ``tell_batch``, each its own transaction, until nobody is left to tell or
    about ``seconds`` have passed (the next run goes on). Returns members told."""
    deadline = time.monotonic() + seconds
    total = 0
    while True:
        done = database.write(tell_batch, batch)
        total += done
        if done == 0 or time.monotonic() >= deadline:
            return total
