"""Reads of the program's configuration (settings, rules, tiers, rewards) and of members' codes, each
limited to one store."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyaldesk.kernel.errors import NotFound
from loyaldesk.loyalty.models import EarningRule, LoyaltyProgram, Member, Reward, RewardCode, Tier
from loyaldesk.loyalty.schemas import ProgramSettings


def settings_of(program: LoyaltyProgram) -> ProgramSettings:
    return ProgramSettings.model_validate(
        {name: getattr(program, name) for name in ProgramSettings.model_fields}
    )


def rules_of(session: Session, store_id: int) -> list[EarningRule]:
    return list(
        session.scalars(select(EarningRule).where(EarningRule.store_id == store_id).order_by(EarningRule.id))
    )


def tiers_of(session: Session, store_id: int) -> list[Tier]:
    return list(session.scalars(select(Tier).where(Tier.store_id == store_id).order_by(Tier.rank)))


def rewards_of(session: Session, store_id: int, *, active_only: bool = False) -> list[Reward]:
    query = select(Reward).where(Reward.store_id == store_id)
    if active_only:
        query = query.where(Reward.active.is_(True))
    return list(session.scalars(query.order_by(Reward.points_cost, Reward.id)))


def owned(session: Session, model: Any, store_id: int, row_id: int, label: str) -> Any:
    """Row ``row_id`` of ``model`` if it belongs to the store, else ``NotFound`` (another store's rows do
    not exist for this one)."""
    row = session.scalar(select(model).where(model.id == row_id, model.store_id == store_id))
    if row is None:
        raise NotFound(f"no {label} {row_id} in this store")
    return row


def codes_of_member(session: Session, member_id: int, limit: int = 100) -> list[tuple[RewardCode, str]]:
    """The member's reward codes, newest first, each with its reward's name."""
    return list(
        session.execute(
            select(RewardCode, Reward.name)
            .join(Reward, Reward.id == RewardCode.reward_id)
            .where(RewardCode.member_id == member_id)
            .order_by(RewardCode.id.desc())
            .limit(limit)
        ).all()
    )


def member_by_customer(session: Session, store_id: int, customer_id: int) -> Member:
    member = session.scalar(
        select(Member).where(Member.store_id == store_id, Member.customer_id == customer_id)
    )
    if member is None:
        raise NotFound(f"customer {customer_id} is not a member of the loyalty program")
    return member
