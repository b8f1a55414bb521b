"""Goodwill from the support desk (registered with ``customers.goodwill_granter`` and
``goodwill_rewards_provider``): points or a reward code as an agent's gesture, or an automatic service
recovery, credited to the member as an adjustment with its reason.

Who may give how much is the desk's business (its per-role monthly budgets); the ledger only makes sure a
gesture is credited once per key and reads "A gift from the store" / "Sorry for the trouble" to the member.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyaldesk.customers import GoodwillGiven, GoodwillReward, goodwill_granter, goodwill_rewards_provider
from loyaldesk.kernel.actors import system_for
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict, NotFound
from loyaldesk.loyalty.actions import move_points as ledger
from loyaldesk.loyalty.actions.configure_program import ADJUSTMENT_WORDS
from loyaldesk.loyalty.actions.redeem_rewards import member_context, offer_for, redeem
from loyaldesk.loyalty.models import Member, Reward
from loyaldesk.loyalty.program import ensure_program, terms_of
from loyaldesk.loyalty.rules.ledger import Account
from loyaldesk.stores import store_by_id


@goodwill_granter
def give_goodwill_points(
    uow: UnitOfWork,
    store_id: int,
    customer_id: int,
    points: int,
    note: str,
    key: str,
    reason_code: str,
    actor_label: str,
) -> GoodwillGiven:
    member = uow.session.scalar(
        select(Member).where(Member.store_id == store_id, Member.customer_id == customer_id)
    )
    if member is None:
        raise Conflict("this customer is not a member of the loyalty program, so points cannot be given")
    if reason_code not in ("goodwill", "service_recovery"):
        raise ValueError(f"not a goodwill reason: {reason_code}")
    terms = terms_of(ensure_program(uow, store_id), store_by_id(uow.session, store_id).timezone)
    ledger.earn(
        uow,
        member,
        terms,
        points=points,
        key=f"goodwill:{key}",
        description=f"{ADJUSTMENT_WORDS[reason_code]}: {note}",
        source="adjustment",
        account=Account.ADJUSTMENT,
        reason_code=reason_code,
        actor_label=actor_label,
    )
    return GoodwillGiven(points=points, available_points=member.available_points)


def rewards_to_give(session: Session, store_id: int) -> list[GoodwillReward]:
    """The store's active rewards, cheapest first (their base cost counts against the giver's budget)."""
    rewards = session.scalars(
        select(Reward)
        .where(Reward.store_id == store_id, Reward.active.is_(True))
        .order_by(Reward.points_cost, Reward.name)
    )
    return [GoodwillReward(reward.id, reward.name, reward.points_cost) for reward in rewards]


def give_goodwill_reward(
    uow: UnitOfWork, store_id: int, customer_id: int, reward_id: int, note: str, key: str, actor_label: str
) -> GoodwillReward:
    """Issue a reward's code as a gift: the reward's cost is credited as goodwill and redeemed at once, so
    the member's balance does not change and the ledger shows both halves. Once per ``key``."""
    member = uow.session.scalar(
        select(Member).where(Member.store_id == store_id, Member.customer_id == customer_id)
    )
    if member is None:
        raise Conflict("this customer is not a member of the loyalty program, so no reward can be given")
    reward = uow.session.scalar(select(Reward).where(Reward.id == reward_id, Reward.store_id == store_id))
    if reward is None or not reward.active:
        raise NotFound("no such reward")
    tier, segments = member_context(uow, member)
    cost = offer_for(reward, member, tier, segments, uow.now()).cost
    give_goodwill_points(
        uow, store_id, customer_id, cost, f"{reward.name} ({note})", f"{key}:points", "goodwill", actor_label
    )
    code = redeem(
        uow, system_for(store_id, "goodwill"), store_id, member.id, reward.id, key=f"goodwill:{key}"
    )
    return GoodwillReward(reward.id, reward.name, cost, code.code)


goodwill_rewards_provider(rewards_to_give, give_goodwill_reward)
