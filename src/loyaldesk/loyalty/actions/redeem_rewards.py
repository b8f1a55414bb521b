"""Redeeming rewards for points (the codes' later lifecycle is in ``reward_codes``, re-exported here).

A redemption checks the reward (active, in its window or early access, in stock, allowed for the member's
tier and segments), spends the points through the ledger, takes one unit of stock atomically, and issues a
unique code; ``loyalty.reward_redeemed`` tells the store to create the code in its checkout. A code is
then used (an order carries it), expires, or is cancelled, which gives the points back.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm.attributes import set_committed_value

from loyaldesk.customers import Customer
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.bulk import bulk_insert
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict, DomainError, NotFound, PermissionDenied
from loyaldesk.kernel.i18n import _, chosen_language, format_day, format_points, ngettext
from loyaldesk.kernel.ids import reserve_ids
from loyaldesk.loyalty.actions import move_points as ledger
from loyaldesk.loyalty.actions.post_entries import post as ledger_post
from loyaldesk.loyalty.actions.reward_codes import (
    CODE_PREFIX,
    cancel_code,
    cancel_codes_of_order,
    expire_codes,
    mark_codes_used,
    use_code,
)
from loyaldesk.loyalty.events import RewardRedeemed
from loyaldesk.loyalty.models import LedgerEntry, Member, Reward, RewardCode, Tier
from loyaldesk.stores import Permission, authorize, record_audit

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: codes are read aloud and typed
EARLY_ACCESS_PERK = "early_access"

__all__ = [
    "CODE_PREFIX",
    "Offer",
    "Redemption",
    "RedemptionRequest",
    "cancel_code",
    "cancel_codes_of_order",
    "expire_codes",
    "mark_codes_used",
    "member_context",
    "offer_for",
    "redeem",
    "redeem_in_bulk",
    "use_code",
]


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


@dataclass(frozen=True)
class RedemptionRequest:
    """One redemption asked for: ``actor`` spends ``member_id``'s points on ``reward_id``, once per
    ``key`` (the caller's idempotency key; the ledger entry's key is ``redeem:{key}``)."""

    actor: Actor
    member_id: int
    reward_id: int
    key: str


@dataclass(frozen=True)
class Redemption:
    """A redemption's outcome: its code, the reward's name, and whether this call issued it (False: the
    key's first redemption, returned again)."""

    code: RewardCode
    reward_name: str
    created: bool


def redeem(
    uow: UnitOfWork, actor: Actor, store_id: int, member_id: int, reward_id: int, *, key: str
) -> RewardCode:
    """Spend points on a reward and issue its code. Idempotent on ``key``: a retry returns the same code."""
    [outcome] = redeem_in_bulk(uow, store_id, [RedemptionRequest(actor, member_id, reward_id, key)])
    if isinstance(outcome, DomainError):
        raise outcome
    return outcome.code


def redeem_in_bulk(
    uow: UnitOfWork, store_id: int, requests: list[RedemptionRequest]
) -> list[Redemption | DomainError]:
    """Redeem every request of ``store_id``, in order, in a handful of statements; one outcome per request:
    its ``Redemption``, or the error that refused it (nothing of a refused request is written).

    Each request gets what ``redeem`` alone would give: the members are locked first, each request is
    checked against its member's balance as the requests before it in the list leave it (never
    overdrawn), against the reward's stock as they leave it, and against the reward's rules for the
    member's tier and segments; a key seen before (or earlier in the list) returns its first code. The
    write queue merges the redemptions waiting together into one call (``submit_coalesced`` keyed by
    store); a database error raises, and the queue then runs each request alone.
    """
    outcomes: list[Redemption | DomainError | None] = [None] * len(requests)
    members = ledger.lock_members(uow, [request.member_id for request in requests])
    for index, request in enumerate(requests):
        member = members.get(request.member_id)
        if member is None or member.store_id != store_id:
            outcomes[index] = NotFound(f"no member {request.member_id} in this store")
            continue
        try:
            _authorize(request.actor, store_id, member)
        except DomainError as error:
            outcomes[index] = error
    rewards = _rewards(
        uow, store_id, {r.reward_id for r, o in zip(requests, outcomes, strict=True) if o is None}
    )
    _replay_known_keys(uow, store_id, requests, outcomes, rewards)
    live = [index for index, outcome in enumerate(outcomes) if outcome is None]
    if not live:
        return _finished(outcomes)
    now = uow.now()
    spenders = sorted({requests[index].member_id for index in live})
    tiers, segments = _member_contexts(uow, [members[member_id] for member_id in spenders])
    lots = ledger.available_lots_of(uow, spenders)
    balance = {member_id: members[member_id].available_points for member_id in spenders}
    issued = {reward.id: reward.issued_count for reward in rewards.values()}
    taken: dict[int, int] = {}
    first_of_key: dict[str, int] = {}
    accepted: list[tuple[int, Reward, int]] = []  # (request index, reward, cost)
    drafts = []
    for index in live:
        request = requests[index]
        if request.key in first_of_key:  # the same key twice in one batch: the second is a retry
            continue
        reward = rewards.get(request.reward_id)
        if reward is None:
            outcomes[index] = NotFound(f"no reward {request.reward_id} in this store")
            continue
        member = members[request.member_id]
        tier = tiers.get(member.tier_id) if member.tier_id else None
        offer = offer_for(reward, member, tier, segments.get(member.customer_id, frozenset()), now)
        refusal = _refusal(reward, offer, balance[member.id], issued[reward.id])
        if refusal is not None:
            outcomes[index] = refusal
            continue
        first_of_key[request.key] = index
        balance[member.id] -= offer.cost
        issued[reward.id] += 1
        accepted.append((index, reward, offer.cost))
        drafts.append(
            ledger.spend_draft(
                member,
                lots[member.id],
                points=offer.cost,
                key=f"redeem:{request.key}",
                description=f"Redeemed {reward.name}",
                now=now,
                taken=taken,
                actor_label=request.actor.label,
            )
        )
    if accepted:
        _take_stock(uow, issued, rewards)
        # SQLite writers are serialised by BEGIN IMMEDIATE, so the keys checked above cannot be taken
        # meanwhile; on PostgreSQL a concurrent API redemption may take one (``post`` says Conflict).
        entry_ids = ledger_post(uow, drafts, keys_checked=not uow.is_postgresql)
        _issue_codes(uow, store_id, requests, outcomes, members, accepted, entry_ids, now)
    for index in live:  # retries within the batch get the first request's outcome
        first = first_of_key.get(requests[index].key)
        if outcomes[index] is None and first is not None:
            outcomes[index] = _same_redemption(requests[index], outcomes[first])
    return _finished(outcomes)


def _authorize(actor: Actor, store_id: int, member: Member) -> None:
    if actor.kind == "customer":
        if actor.store_id != store_id or actor.id != member.customer_id:
            raise PermissionDenied("members redeem their own points only")
    else:
        authorize(actor, store_id, scope="loyalty:write", permission=Permission.EDIT_CUSTOMERS)


def _rewards(uow: UnitOfWork, store_id: int, reward_ids: set[int]) -> dict[int, Reward]:
    """The rewards, freshly read and locked in id order (their stock counts change here)."""
    if not reward_ids:
        return {}
    query = (
        select(Reward)
        .where(Reward.id.in_(sorted(reward_ids)), Reward.store_id == store_id)
        .order_by(Reward.id)
        .execution_options(populate_existing=True)
    )
    if uow.is_postgresql:
        query = query.with_for_update()
    return {reward.id: reward for reward in uow.session.scalars(query)}


def _replay_known_keys(
    uow: UnitOfWork,
    store_id: int,
    requests: list[RedemptionRequest],
    outcomes: list[Redemption | DomainError | None],
    rewards: dict[int, Reward],
) -> None:
    """Requests whose key already redeemed get that redemption back (or ``Conflict`` if it was another)."""
    keys = {f"redeem:{r.key}" for r, o in zip(requests, outcomes, strict=True) if o is None}
    if not keys:
        return
    known = dict(
        uow.session.execute(
            select(LedgerEntry.idempotency_key, LedgerEntry.id).where(
                LedgerEntry.store_id == store_id, LedgerEntry.idempotency_key.in_(keys)
            )
        ).all()
    )
    if not known:
        return
    codes = {
        code.redeem_entry_id: code
        for code in uow.session.scalars(
            select(RewardCode).where(RewardCode.redeem_entry_id.in_(known.values()))
        )
    }
    for index, request in enumerate(requests):
        entry_id = known.get(f"redeem:{request.key}")
        if outcomes[index] is not None or entry_id is None:
            continue
        code = codes.get(entry_id)
        if code is None or code.reward_id != request.reward_id or code.member_id != request.member_id:
            outcomes[index] = _reused(request)
            continue
        reward = rewards.get(code.reward_id)
        outcomes[index] = Redemption(code, reward.name if reward else "", created=False)


def _reused(request: RedemptionRequest) -> Conflict:
    return Conflict(f"the idempotency key {request.key!r} was already used for a different redemption")


def _same_redemption(
    request: RedemptionRequest, first: Redemption | DomainError | None
) -> Redemption | DomainError:
    """A request repeating an earlier one's key in the same batch: the earlier outcome, as a replay."""
    if not isinstance(first, Redemption):
        return first if isinstance(first, DomainError) else _reused(request)
    code = first.code
    if code.reward_id != request.reward_id or code.member_id != request.member_id:
        return _reused(request)
    return Redemption(code, first.reward_name, created=False)


def _member_contexts(
    uow: UnitOfWork, members: list[Member]
) -> tuple[dict[int, Tier], dict[int, frozenset[str]]]:
    """The members' tiers (by id) and segments (customer tags, by customer id): two queries for all."""
    tier_ids = {member.tier_id for member in members if member.tier_id}
    tiers = (
        {tier.id: tier for tier in uow.session.scalars(select(Tier).where(Tier.id.in_(tier_ids)))}
        if tier_ids
        else {}
    )
    rows = uow.session.execute(
        select(Customer.id, Customer.tags).where(Customer.id.in_({m.customer_id for m in members}))
    )
    return tiers, {customer_id: frozenset(tags or []) for customer_id, tags in rows}


def _refusal(reward: Reward, offer: Offer, balance: int, issued: int) -> DomainError | None:
    """Why the request is refused, given the member's balance and the reward's issued count as the
    requests before it leave them; None if it may go ahead."""
    if not offer.available and not offer.reason.startswith("needs"):
        return Conflict(f"{reward.name} cannot be redeemed: {offer.reason}")
    if reward.stock is not None and issued >= reward.stock:
        return Conflict(f"{reward.name} is sold out")
    if balance < offer.cost:
        short = offer.cost - balance
        reason = ngettext(
            "needs {points} more point", "needs {points} more points", short, points=format_points(short)
        )
        return ledger.InsufficientPoints(f"{reward.name}: {reason}")
    return None


def _take_stock(uow: UnitOfWork, issued: dict[int, int], rewards: dict[int, Reward]) -> None:
    """Count the issued codes on the rewards (their rows are locked: the counts were checked above)."""
    changed = [
        {"reward_id": reward_id, "count": count}
        for reward_id, count in issued.items()
        if count != rewards[reward_id].issued_count
    ]
    if not changed:
        return
    table: Table = Reward.__table__  # type: ignore[assignment]  # Core, not the ORM's bulk update
    uow.session.execute(
        update(table).where(table.c.id == bindparam("reward_id")).values(issued_count=bindparam("count")),
        changed,
    )
    for row in changed:
        set_committed_value(rewards[row["reward_id"]], "issued_count", row["count"])


def _issue_codes(
    uow: UnitOfWork,
    store_id: int,
    requests: list[RedemptionRequest],
    outcomes: list[Redemption | DomainError | None],
    members: dict[int, Member],
    accepted: list[tuple[int, Reward, int]],
    entry_ids: list[int],
    now: datetime,
) -> None:
    """Insert the accepted redemptions' codes (one statement), announce them, audit staff's."""
    ids = reserve_ids(uow, RewardCode.__table__, len(accepted))
    rows = []
    for code_id, entry_id, (index, reward, cost) in zip(ids, entry_ids, accepted, strict=True):
        request = requests[index]
        member = members[request.member_id]
        code = RewardCode(
            id=code_id,
            store_id=store_id,
            reward_id=reward.id,
            member_id=member.id,
            code=new_code(),
            status="issued",
            points_spent=cost,
            redeem_entry_id=entry_id,
            return_entry_id=None,
            issued_at=now,
            expires_at=now + timedelta(days=reward.code_valid_days) if reward.code_valid_days else None,
            used_at=None,
            used_order_id=None,
            cancelled_at=None,
        )
        rows.append({column: getattr(code, column) for column in _CODE_COLUMNS})
        outcomes[index] = Redemption(code, reward.name, created=True)
        uow.emit(
            RewardRedeemed(
                store_id=store_id,
                customer_id=member.customer_id,
                member_id=member.id,
                reward_code_id=code_id,
                reward_id=reward.id,
                reward_name=reward.name,
                reward_kind=reward.kind,
                value=reward.value,
                code=code.code,
                points=cost,
                expires_at=code.expires_at.isoformat() if code.expires_at else None,
            )
        )
        if request.actor.is_person:
            record_audit(
                uow,
                request.actor,
                "loyalty.reward_redeemed_for_member",
                store_id=store_id,
                target_type="member",
                target_id=member.id,
                details={"reward": reward.name, "points": cost},
            )
    bulk_insert(uow, RewardCode.__table__, rows)


_CODE_COLUMNS = tuple(column.key for column in RewardCode.__table__.columns)


def _finished(outcomes: list[Redemption | DomainError | None]) -> list[Redemption | DomainError]:
    assert all(outcome is not None for outcome in outcomes), "every request has an outcome"
    return outcomes  # type: ignore[return-value]
