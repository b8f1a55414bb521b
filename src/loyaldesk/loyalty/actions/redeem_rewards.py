"""Redeeming rewards for points, and the lifecycle of the codes that redemption issues.

A redemption checks the reward (active, in its window or early access, in stock, allowed for the member's
tier and segments), spends the points through the ledger, takes one unit of stock atomically, and issues a
unique code; ``loyalty.reward_redeemed`` tells the store to create the code in its checkout. A code is
then used (an order carries it), expires, or is cancelled, which gives the points back.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from loyaldesk.customers import Customer
from loyaldesk.kernel.actors import Actor, system_for
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict, NotFound, PermissionDenied
from loyaldesk.kernel.i18n import _, chosen_language, format_day, format_points, ngettext
from loyaldesk.loyalty.actions import move_points as ledger
from loyaldesk.loyalty.actions.move_points import LedgerTerms
from loyaldesk.loyalty.events import RewardCodeChanged, RewardRedeemed
from loyaldesk.loyalty.models import Member, Reward, RewardCode, Tier
from loyaldesk.loyalty.program import ensure_program, terms_of
from loyaldesk.stores import Permission, authorize, record_audit, store_by_id

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: codes are read aloud and typed
CODE_PREFIX = "LD-"  # tells our codes apart from the store's own discount codes
EARLY_ACCESS_PERK = "early_access"


def new_code() -> str:
    body = "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))
    return f"{CODE_PREFIX}{body[:5]}-{body[5:]}"


@dataclass(frozen=True)
class Offer:
    """A reward as one member sees it: what it costs them, and whether (or why not) they may redeem it."""

    reward: Reward
    cost: int
    available: bool
    reason: str


def offer_for(
    reward: Reward, member: Member, tier: Tier | None, segments: frozenset[str], now: datetime
) -> Offer:
    """Whether ``member`` may redeem ``reward`` now, at what cost, and why not when they may not."""
    cost = (
        int((reward.tier_costs or {}).get(str(tier.id), reward.points_cost)) if tier else reward.points_cost
    )
    early = tier is not None and EARLY_ACCESS_PERK in (tier.perks or [])
    opens = reward.available_from
    if opens is not None and early:
        opens = opens - timedelta(days=reward.early_access_days)
    reasons = []
    if not reward.active:
        reasons.append(_("this reward is not offered any more"))
    if opens is not None and now < opens:
        reasons.append(
            _("opens on {day}", day=format_day(opens) if chosen_language() else opens.strftime("%d %b %Y"))
            + ("" if early or not reward.early_access_days else _(" (earlier for members with early access)"))
        )
    if reward.available_until is not None and now >= reward.available_until:
        reasons.append(_("no longer available"))
    if reward.stock is not None and reward.issued_count >= reward.stock:
        reasons.append(_("sold out"))
    if reward.min_tier_rank is not None and (tier is None or tier.rank < reward.min_tier_rank):
        reasons.append(_("for higher tiers only"))
    if reward.segments and not (set(reward.segments) & segments):
        reasons.append(_("for selected members only"))
    if not reasons and member.available_points < cost:
        reasons.append(
            ngettext(
                "needs {points} more point",
                "needs {points} more points",
                cost - member.available_points,
                points=format_points(cost - member.available_points),
            )
        )
    return Offer(reward, cost, not reasons, "; ".join(reasons) or _("available"))


def member_context(uow: UnitOfWork, member: Member) -> tuple[Tier | None, frozenset[str]]:
    tier = uow.session.get(Tier, member.tier_id) if member.tier_id else None
    customer = uow.session.get(Customer, member.customer_id)
    return tier, frozenset(customer.tags or []) if customer else frozenset()


def redeem(
    uow: UnitOfWork, actor: Actor, store_id: int, member_id: int, reward_id: int, *, key: str
) -> RewardCode:
    """Spend points on a reward and issue its code. Idempotent on ``key``: a retry returns the same code."""
    member = ledger.lock_member(uow, member_id)
    if member.store_id != store_id:
        raise NotFound(f"no member {member_id} in this store")
    if actor.kind == "customer":
        if actor.store_id != store_id or actor.id != member.customer_id:
            raise PermissionDenied("members redeem their own points only")
    else:
        authorize(actor, store_id, scope="loyalty:write", permission=Permission.EDIT_CUSTOMERS)
    entry_key = f"redeem:{key}"
    existing = ledger.find_entry(uow, store_id, entry_key)
    if existing is not None:
        code = uow.session.scalar(select(RewardCode).where(RewardCode.redeem_entry_id == existing.id))
        if code is None or code.reward_id != reward_id or code.member_id != member_id:
            raise Conflict(f"the idempotency key {key!r} was already used for a different redemption")
        return code
    reward = uow.session.scalar(select(Reward).where(Reward.id == reward_id, Reward.store_id == store_id))
    if reward is None:
        raise NotFound(f"no reward {reward_id} in this store")
    tier, segments = member_context(uow, member)
    now = uow.now()
    offer = offer_for(reward, member, tier, segments, now)
    if not offer.available:
        if member.available_points < offer.cost and offer.reason.startswith("needs"):
            raise ledger.InsufficientPoints(f"{reward.name}: {offer.reason}")
        raise Conflict(f"{reward.name} cannot be redeemed: {offer.reason}")
    taken = uow.session.execute(
        update(Reward)
        .where(Reward.id == reward.id, (Reward.stock.is_(None)) | (Reward.issued_count < Reward.stock))
        .values(issued_count=Reward.issued_count + 1)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(f"{reward.name} is sold out")
    program = ensure_program(uow, store_id)
    terms = terms_of(program, store_by_id(uow.session, store_id).timezone)
    result = ledger.spend(
        uow,
        member,
        terms,
        points=offer.cost,
        key=entry_key,
        description=f"Redeemed {reward.name}",
        actor_label=actor.label,
        locked=True,  # locked above, and no entry has this key
    )
    code = RewardCode(
        store_id=store_id,
        reward_id=reward.id,
        member_id=member.id,
        code=new_code(),
        status="issued",
        points_spent=offer.cost,
        redeem_entry_id=result.entry.id,
        issued_at=now,
        expires_at=now + timedelta(days=reward.code_valid_days) if reward.code_valid_days else None,
    )
    uow.session.add(code)
    uow.session.flush()
    uow.emit(
        RewardRedeemed(
            store_id=store_id,
            customer_id=member.customer_id,
            member_id=member.id,
            reward_code_id=code.id,
            reward_id=reward.id,
            reward_name=reward.name,
            reward_kind=reward.kind,
            value=reward.value,
            code=code.code,
            points=offer.cost,
            expires_at=code.expires_at.isoformat() if code.expires_at else None,
        )
    )
    if actor.is_person:
        record_audit(
            uow,
            actor,
            "loyalty.reward_redeemed_for_member",
            store_id=store_id,
            target_type="member",
            target_id=member.id,
            details={"reward": reward.name, "points": offer.cost},
        )
    return code


def _code(uow: UnitOfWork, store_id: int, code_text: str) -> RewardCode:
    code = uow.session.scalar(
        select(RewardCode).where(
            RewardCode.store_id == store_id, RewardCode.code == code_text.strip().upper()
        )
    )
    if code is None:
        raise NotFound(f"no reward code {code_text!r} in this store")
    return code


def _changed(uow: UnitOfWork, code: RewardCode, member: Member) -> None:
    uow.emit(
        RewardCodeChanged(
            store_id=code.store_id,
            customer_id=member.customer_id,
            member_id=member.id,
            reward_code_id=code.id,
            code=code.code,
            status=code.status,
        )
    )


def use_code(
    uow: UnitOfWork, actor: Actor, store_id: int, code_text: str, order_id: int | None
) -> RewardCode:
    """Mark a code as used (by an order). Using a used code again with the same order changes nothing."""
    authorize(actor, store_id, scope="loyalty:write", permission=Permission.EDIT_CUSTOMERS)
    code = _code(uow, store_id, code_text)
    if code.status == "used" and code.used_order_id == order_id:
        return code
    if code.status != "issued":
        raise Conflict(f"code {code.code} is {code.status}")
    code.status, code.used_at, code.used_order_id = "used", uow.now(), order_id
    member = uow.session.get(Member, code.member_id)
    assert member is not None
    _changed(uow, code, member)
    return code


def cancel_code(uow: UnitOfWork, actor: Actor, store_id: int, code_text: str, *, reason: str) -> RewardCode:
    """Cancel an issued or used code and give its points back (a used one when its order was cancelled
    or the shopper was let down). An expired code keeps its points spent."""
    authorize(actor, store_id, scope="loyalty:write", permission=Permission.EDIT_CUSTOMERS)
    code = _code(uow, store_id, code_text)
    if code.status == "cancelled":
        return code
    if code.status == "expired":
        raise Conflict(f"code {code.code} expired; its points are not returned")
    member = uow.session.get(Member, code.member_id)
    assert member is not None
    terms = terms_of(ensure_program(uow, store_id), store_by_id(uow.session, store_id).timezone)
    _return(uow, terms, member, code, reason)
    if actor.is_person:
        record_audit(
            uow,
            actor,
            "loyalty.reward_code_cancelled",
            store_id=store_id,
            target_type="reward_code",
            target_id=code.id,
            details={"code": code.code, "reason": reason},
        )
    return code


def _return(uow: UnitOfWork, terms: LedgerTerms, member: Member, code: RewardCode, reason: str) -> None:
    result = ledger.return_points(
        uow,
        member,
        terms,
        points=code.points_spent,
        key=f"code:{code.id}:return",
        description=f"{reason}: {code.points_spent} points back",
        reward_code_id=code.id,
        order_id=code.used_order_id,
    )
    code.status, code.cancelled_at, code.return_entry_id = "cancelled", uow.now(), result.entry.id
    _changed(uow, code, member)


def mark_codes_used(uow: UnitOfWork, store_id: int, discount_codes: tuple[str, ...], order_id: int) -> None:
    """An order carried these discount codes: those that are our reward codes are now used."""
    wanted = [text.strip().upper() for text in discount_codes if text.strip().upper().startswith(CODE_PREFIX)]
    if not wanted:
        return
    for code in uow.session.scalars(
        select(RewardCode).where(
            RewardCode.store_id == store_id, RewardCode.code.in_(wanted), RewardCode.status == "issued"
        )
    ):
        use_code(uow, system_for(store_id), store_id, code.code, order_id)


def cancel_codes_of_order(
    uow: UnitOfWork, terms: LedgerTerms, member: Member, order_id: int, number: str
) -> None:
    """A cancelled order gives back the points of the reward codes it used."""
    codes = uow.session.scalars(
        select(RewardCode).where(RewardCode.used_order_id == order_id, RewardCode.status == "used")
    )
    for code in codes:
        owner = uow.session.get(Member, code.member_id) or member
        _return(uow, terms, owner, code, f"Order {number} was cancelled; reward code {code.code} returned")


def expire_codes(uow: UnitOfWork) -> int:
    """Codes not used before their expiry date expire (their points are not returned)."""
    query = (
        select(RewardCode)
        .where(
            RewardCode.status == "issued",
            RewardCode.expires_at.is_not(None),
            RewardCode.expires_at <= uow.now(),
        )
        .limit(500)
    )
    if uow.is_postgresql:
        query = query.with_for_update(skip_locked=True)
    codes = list(uow.session.scalars(query))
    for code in codes:
        code.status = "expired"
        member = uow.session.get(Member, code.member_id)
        assert member is not None
        _changed(uow, code, member)
    return len(codes)
