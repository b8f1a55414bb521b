"""Changes a manager makes to the program: settings, earning rules, tiers, rewards, and manual point
adjustments. Each is authorised (API scope ``loyalty:write`` or a role that manages store settings) and,
when a person made it, audited."""

from __future__ import annotations

import itertools
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select

from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict, Invalid, NotFound
from loyaldesk.kernel.money import check_currency
from loyaldesk.kernel.validation import invalid_from
from loyaldesk.loyalty.actions import move_points as ledger
from loyaldesk.loyalty.models import EarningRule, LoyaltyProgram, Member, Reward, Tier, tier_name_key
from loyaldesk.loyalty.program import ensure_program, terms_of
from loyaldesk.loyalty.rules.ledger import Account
from loyaldesk.loyalty.schemas import (
    AdjustmentIn,
    ProgramSettings,
    ProgramSettingsPatch,
    RewardIn,
    RuleIn,
    TierIn,
)
from loyaldesk.stores import Permission, authorize, record_audit, store_by_id

ADJUSTMENT_WORDS = {
    "goodwill": "A gift from the store",
    "correction": "Correction",
    "service_recovery": "Sorry for the trouble",
    "migration": "Points carried over",
    "fraud": "Removed after review",
    "other": "Adjustment",
}


def _allowed(actor: Actor, store_id: int, permission: Permission = Permission.MANAGE_STORE_SETTINGS) -> None:
    authorize(actor, store_id, scope="loyalty:write", permission=permission)


def _audit(
    uow: UnitOfWork,
    actor: Actor,
    action: str,
    store_id: int,
    target_type: str,
    target_id: Any,
    details: dict[str, Any] | None = None,
) -> None:
    if actor.is_person:
        record_audit(
            uow,
            actor,
            action,
            store_id=store_id,
            target_type=target_type,
            target_id=target_id,
            details=details,
        )


def update_program(
    uow: UnitOfWork, actor: Actor, store_id: int, patch: ProgramSettingsPatch
) -> LoyaltyProgram:
    """Change the settings sent (validated together with the unchanged ones)."""
    _allowed(actor, store_id)
    program = ensure_program(uow, store_id)
    current = {name: getattr(program, name) for name in ProgramSettings.model_fields}
    changes = patch.model_dump(exclude_unset=True)
    try:
        merged = ProgramSettings.model_validate({**current, **changes})
    except ValidationError as error:
        raise invalid_from(error, message="these settings do not fit together") from None
    for rate in merged.earn_rates:
        check_currency(rate.currency, "earn_rates.currency")
    dumped = merged.model_dump(mode="json")
    dumped["starts_at"] = merged.starts_at  # a datetime column: kept as one, not its JSON text
    changed = [name for name in changes if getattr(program, name) != dumped[name]]
    for name in changed:
        setattr(program, name, dumped[name])
    program.updated_at = uow.now()
    _audit(
        uow, actor, "loyalty.program_updated", store_id, "loyalty_program", program.id, {"fields": changed}
    )
    return program


def save_rule(
    uow: UnitOfWork, actor: Actor, store_id: int, data: RuleIn, rule_id: int | None = None
) -> EarningRule:
    """Create a rule, or replace rule ``rule_id``'s terms."""
    _allowed(actor, store_id)
    kind = "purchase" if data.purchase is not None else "action"
    config = (data.purchase or data.action).model_dump(mode="json")  # type: ignore[union-attr]
    now = uow.now()
    if rule_id is None:
        rule = EarningRule(
            store_id=store_id,
            kind=kind,
            name=data.name,
            config=config,
            active=data.active,
            created_at=now,
            updated_at=now,
        )
        uow.session.add(rule)
        uow.session.flush()
    else:
        rule = _owned(uow, EarningRule, store_id, rule_id, "rule")
        rule.kind, rule.name, rule.config, rule.active, rule.updated_at = (
            kind,
            data.name,
            config,
            data.active,
            now,
        )
    _audit(uow, actor, "loyalty.rule_saved", store_id, "loyalty_rule", rule.id, {"name": rule.name})
    return rule


def set_rule_active(uow: UnitOfWork, actor: Actor, store_id: int, rule_id: int, active: bool) -> EarningRule:
    _allowed(actor, store_id)
    rule = _owned(uow, EarningRule, store_id, rule_id, "rule")
    rule.active, rule.updated_at = active, uow.now()
    _audit(
        uow,
        actor,
        "loyalty.rule_activated" if active else "loyalty.rule_paused",
        store_id,
        "loyalty_rule",
        rule.id,
    )
    return rule


def _owned(uow: UnitOfWork, model: Any, store_id: int, row_id: int, label: str) -> Any:
    row = uow.session.scalar(select(model).where(model.id == row_id, model.store_id == store_id))
    if row is None:
        raise NotFound(f"no {label} {row_id} in this store")
    return row


def save_tier(uow: UnitOfWork, actor: Actor, store_id: int, data: TierIn, tier_id: int | None = None) -> Tier:
    """Create or change a tier, keeping the ladder valid (one base tier, thresholds rising with rank,
    names that differ other than by case). ``Invalid`` naming the field otherwise."""
    _allowed(actor, store_id)
    _lock_ladder(uow, store_id)
    tiers = {tier.id: tier for tier in uow.session.scalars(select(Tier).where(Tier.store_id == store_id))}
    values = data.model_dump()
    values["earn_multiplier"] = str(data.earn_multiplier)
    existing = None
    if tier_id is not None:
        existing = tiers.get(tier_id) or _owned(uow, Tier, store_id, tier_id, "tier")
    others = [tier for tier in tiers.values() if existing is None or tier.id != existing.id]
    key = tier_name_key(data.name)
    clash = next((tier for tier in others if tier.name_key == key), None)
    if clash is not None:
        raise Invalid.field("name", f"another tier is already called {clash.name!r} (case does not count)")
    if existing is None:
        tier = Tier(store_id=store_id, created_at=uow.now(), **values)
    else:
        tier = existing
        for name, value in values.items():
            setattr(tier, name, value)
    _check_ladder([*others, tier])
    if existing is None:
        uow.session.add(tier)
    uow.session.flush()
    _audit(uow, actor, "loyalty.tier_saved", store_id, "loyalty_tier", tier.id, {"name": tier.name})
    return tier


def _lock_ladder(uow: UnitOfWork, store_id: int) -> None:
    """Serialise changes to one store's tiers, so that two saves cannot both pass the ladder checks
    (SQLite writers are serialised already). The program row stands for the ladder; FOR NO KEY UPDATE
    leaves inserts that merely reference the store unblocked."""
    ensure_program(uow, store_id)
    if uow.is_postgresql:
        uow.session.execute(
            select(LoyaltyProgram.id)
            .where(LoyaltyProgram.store_id == store_id)
            .with_for_update(key_share=True)
        )


def _check_ladder(tiers: list[Tier]) -> None:
    ordered = sorted(tiers, key=lambda tier: tier.rank)
    ranks = [tier.rank for tier in ordered]
    if len(set(ranks)) != len(ranks):
        raise Invalid.field("rank", "another tier has this rank")
    if sum(1 for tier in ordered if tier.threshold == 0) != 1:
        raise Invalid.field("threshold", "exactly one tier (the base tier) has threshold 0")
    for lower, higher in itertools.pairwise(ordered):
        if higher.threshold <= lower.threshold:
            raise Invalid.field("threshold", f"{higher.name} must need more than {lower.name}")
    skus = [tier.membership_sku for tier in ordered if tier.membership_sku]
    if len(set(skus)) != len(skus):
        raise Invalid.field("membership_sku", "another tier is sold with this product")


def save_reward(
    uow: UnitOfWork, actor: Actor, store_id: int, data: RewardIn, reward_id: int | None = None
) -> Reward:
    _allowed(actor, store_id)
    values = data.model_dump()
    known_tiers = set(uow.session.scalars(select(Tier.id).where(Tier.store_id == store_id)))
    for tier_id in values["tier_costs"]:
        # ASCII digits only: str.isdigit() also says yes to "²", which int() then refuses.
        if not (tier_id.isascii() and tier_id.isdigit()) or int(tier_id) not in known_tiers:
            raise Invalid.field("tier_costs", f"no tier {tier_id!r} in this store")
    now = uow.now()
    if reward_id is None:
        reward = Reward(store_id=store_id, issued_count=0, created_at=now, updated_at=now, **values)
        uow.session.add(reward)
        uow.session.flush()
    else:
        reward = _owned(uow, Reward, store_id, reward_id, "reward")
        if data.stock is not None and data.stock < reward.issued_count:
            raise Conflict(f"{reward.issued_count} codes were already issued; stock cannot be lower")
        for name, value in values.items():
            setattr(reward, name, value)
        reward.updated_at = now
    _audit(uow, actor, "loyalty.reward_saved", store_id, "loyalty_reward", reward.id, {"name": reward.name})
    return reward


def adjust_points(
    uow: UnitOfWork, actor: Actor, store_id: int, member_id: int, data: AdjustmentIn, *, key: str
) -> ledger.EntryResult:
    """A manual correction with a reason code, audited. Removing more than is available is refused unless
    the program allows negative balances."""
    _allowed(actor, store_id, Permission.EDIT_CUSTOMERS)
    member = uow.session.scalar(select(Member).where(Member.id == member_id, Member.store_id == store_id))
    if member is None:
        raise NotFound(f"no member {member_id} in this store")
    terms = terms_of(ensure_program(uow, store_id), store_by_id(uow.session, store_id).timezone)
    # The member reads this line: it names the reason, never the staff member (the entry and the audit
    # log keep who it was).
    description = f"{ADJUSTMENT_WORDS[data.reason_code]}: {data.note}"
    if data.points > 0:
        result = ledger.earn(
            uow,
            member,
            terms,
            points=data.points,
            key=f"adjust:{key}",
            description=description,
            source="adjustment",
            account=Account.ADJUSTMENT,
            reason_code=data.reason_code,
            actor_label=actor.label,
        )
    else:
        result = ledger.spend(
            uow,
            member,
            terms,
            points=-data.points,
            key=f"adjust:{key}",
            description=description,
            account=Account.ADJUSTMENT,
            reason_code=data.reason_code,
            actor_label=actor.label,
        )
    if result.created:
        record_audit(
            uow,
            actor,
            "loyalty.points_adjusted",
            store_id=store_id,
            target_type="member",
            target_id=member_id,
            details={"points": data.points, "reason": data.reason_code, "note": data.note},
        )
    return result
