"""Keeping members' tiers up to date: after activity, on a schedule (reviews, lapsing memberships),
on a manual override, and when a membership product is bought. The decisions themselves are
``rules.tiers``; this module reads the activity and stores the result."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, case, func, literal_column, or_, select, union_all

from loyaldesk.commerce import Order
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Invalid, NotFound
from loyaldesk.kernel.money import format_money
from loyaldesk.loyalty.actions import move_points as ledger
from loyaldesk.loyalty.actions.earn_in_bulk import Credit, credit_in_bulk
from loyaldesk.loyalty.actions.move_points import LedgerTerms
from loyaldesk.loyalty.events import TierChanged
from loyaldesk.loyalty.models import LedgerEntry, LedgerPosting, LoyaltyProgram, Member, PointLot, Tier
from loyaldesk.loyalty.program_cache import ProgramSnapshot, program_snapshot
from loyaldesk.loyalty.rules import tiers as rules
from loyaldesk.stores import Permission, authorize, record_audit

BATCH = 500


def ladder_of(uow: UnitOfWork, store_id: int) -> rules.TierLadder | None:
    """The store's tiers as a ladder, or None when the store has none (then nobody has a tier). Never
    raises on what is stored (see ``program_cache``, which builds it once per change)."""
    return program_snapshot(uow, store_id).ladder


def policy_of(program: LoyaltyProgram, timezone: str) -> rules.TierPolicy:
    return rules.TierPolicy(
        metric=rules.Metric(program.tier_metric),
        period=rules.Period(program.tier_period),
        grace_days=program.tier_grace_days,
        timezone=timezone,
    )


def activities_of(uow: UnitOfWork, member: Member) -> list[rules.QualifyingActivity]:
    """The member's qualifying activity: each order that is not cancelled (spend net of refunds, points
    net of reversals, dated when placed) and every other point they earned."""
    return activities_for(uow, [member])[member.id]


_REVERSED_POINTS = (
    select(LedgerEntry.member_id, LedgerEntry.order_id, func.sum(LedgerPosting.amount))
    .join(LedgerPosting, LedgerPosting.entry_id == LedgerEntry.id)
    .where(
        LedgerEntry.member_id.in_(bindparam("member_ids", expanding=True)),
        LedgerEntry.kind.in_(("reverse", "cancel")),
        LedgerPosting.account == "issued",
    )
    .group_by(LedgerEntry.member_id, LedgerEntry.order_id)
)
_EARNED_LOTS = select(
    PointLot.member_id, PointLot.order_id, PointLot.source, PointLot.points, PointLot.earned_at
).where(
    PointLot.member_id.in_(bindparam("member_ids", expanding=True)),
    PointLot.source.in_(("order", "action", "bonus")),
)
_ORDERS = select(Order.customer_id, Order.id, Order.placed_at, Order.total, Order.refunded_total).where(
    Order.customer_id.in_(bindparam("customer_ids", expanding=True)), Order.status != "cancelled"
)


def activities_for(uow: UnitOfWork, members: list[Member]) -> dict[int, list[rules.QualifyingActivity]]:
    """``activities_of`` for many members at once, in three queries (per 500 members), built once."""
    orders: dict[int, list[rules.QualifyingActivity]] = {member.id: [] for member in members}
    other: dict[int, list[rules.QualifyingActivity]] = {member.id: [] for member in members}
    session = uow.session
    for start in range(0, len(members), 500):
        chunk = members[start : start + 500]
        member_ids = {"member_ids": [member.id for member in chunk]}
        reversed_points: dict[tuple[int, int | None], int] = {
            (member_id, order_id): int(total or 0)
            for member_id, order_id, total in session.execute(_REVERSED_POINTS, member_ids)
        }
        earned_by_order: dict[tuple[int, int], int] = {}
        for member_id, order_id, source, points, earned_at in session.execute(_EARNED_LOTS, member_ids):
            if source == "order" and order_id is not None:
                earned_by_order[member_id, order_id] = earned_by_order.get((member_id, order_id), 0) + points
            else:
                other[member_id].append(rules.QualifyingActivity(earned_at, points=points))
        member_of_customer = {member.customer_id: member.id for member in chunk}
        for customer_id, order_id, placed_at, total, refunded in session.execute(
            _ORDERS, {"customer_ids": list(member_of_customer)}
        ):
            assert customer_id is not None  # the orders of these customers only
            member_id = member_of_customer[customer_id]
            points = max(
                earned_by_order.get((member_id, order_id), 0) - reversed_points.get((member_id, order_id), 0),
                0,
            )
            orders[member_id].append(
                rules.QualifyingActivity.order(placed_at, max(total - refunded, 0), points)
            )
    return {member_id: orders[member_id] + other[member_id] for member_id in orders}


def window_totals_for(
    uow: UnitOfWork, members: list[Member], policy: rules.TierPolicy, now: datetime
) -> dict[int, rules.WindowTotals]:
    """Per member id, the policy's metric summed over the windows a decision at ``now`` reads, in one
    aggregate statement per 500 members: what ``rules.window_totals`` gives from ``activities_for``'s
    rows, to the unit (same rows: orders not cancelled, spend net of refunds and points net of reversals
    floored at 0 per order and dated when placed, other earned lots dated when earned).

    Why an aggregate and not counters on the member: the windows slide (365 days back from ``now``) or
    turn with the store's calendar year, and a refund or a reversal is counted at its order's instant,
    so a counter kept by the earning actions would need the same history to know what leaves a window
    and where a late refund lands; the database already holds it, indexed by customer and time, and
    summing there reads no row into Python. Members absent from the result have no activity (0)."""
    current, previous = rules.qualifying_windows(policy, now)
    start, end = current
    parameters: dict[str, object] = {"current_end": end, "previous_start": start, "previous_end": end}
    if start is not None:
        parameters |= {"current_start": start, "scan_start": start}
    if previous is not None:
        parameters |= {"previous_start": previous[0], "previous_end": previous[1], "scan_start": previous[0]}
    statement = _totals_statement(policy.metric, bounded=start is not None)
    found: dict[int, rules.WindowTotals] = {}
    for first in range(0, len(members), 500):
        ids = [member.id for member in members[first : first + 500]]
        for member_id, in_current, in_previous in uow.session.execute(statement, parameters | {"ids": ids}):
            before = found.get(member_id, rules.WindowTotals(0, 0))
            found[member_id] = rules.WindowTotals(
                before.current + int(in_current or 0),
                before.last_year + (int(in_previous or 0) if previous is not None else 0),
            )
    return found


@functools.cache
def _totals_statement(metric: rules.Metric, *, bounded: bool) -> Any:
    """(member id, sum in the current window, sum in the previous one) for ``metric``: the orders'
    share and, for points, the other earned lots' share (two rows per member then). Built once per
    metric and kind of window; ``bounded`` False is the lifetime window (no start)."""

    def inside(column: Any, window: str) -> Any:
        ends_after = column < bindparam(f"{window}_end")
        if not bounded and window == "current":
            return ends_after
        return and_(column >= bindparam(f"{window}_start"), ends_after)

    def scanned(column: Any) -> list[Any]:
        until = [column < bindparam("current_end")]
        return [column >= bindparam("scan_start"), *until] if bounded else until

    def sums(column: Any, value: Any) -> list[Any]:
        return [
            func.sum(case((inside(column, "current"), value), else_=0)),
            func.sum(case((inside(column, "previous"), value), else_=0)),
        ]

    order_value: Any
    if metric is rules.Metric.SPEND:
        net = Order.total - Order.refunded_total
        order_value = case((net > 0, net), else_=0)
    elif metric is rules.Metric.ORDERS:
        order_value = literal_column("1")
    else:
        earned = (
            select(func.coalesce(func.sum(PointLot.points), 0))
            .where(PointLot.member_id == Member.id, PointLot.order_id == Order.id, PointLot.source == "order")
            .scalar_subquery()
        )
        reversed_points = (
            select(func.coalesce(func.sum(LedgerPosting.amount), 0))
            .join(LedgerEntry, LedgerPosting.entry_id == LedgerEntry.id)
            .where(
                LedgerEntry.member_id == Member.id,
                LedgerEntry.order_id == Order.id,
                LedgerEntry.kind.in_(("reverse", "cancel")),
                LedgerPosting.account == "issued",
            )
            .scalar_subquery()
        )
        order_value = case((earned - reversed_points > 0, earned - reversed_points), else_=0)
    orders = (
        select(Member.id, *sums(Order.placed_at, order_value))
        .join(Order, Order.customer_id == Member.customer_id)
        .where(
            Member.id.in_(bindparam("ids", expanding=True)),
            Order.status != "cancelled",
            *scanned(Order.placed_at),
        )
        .group_by(Member.id)
    )
    if metric is not rules.Metric.POINTS:
        return orders
    other_lots = (
        select(PointLot.member_id, *sums(PointLot.earned_at, PointLot.points))
        .where(
            PointLot.member_id.in_(bindparam("ids", expanding=True)),
            or_(
                PointLot.source.in_(("action", "bonus")),
                and_(PointLot.source == "order", PointLot.order_id.is_(None)),
            ),
            *scanned(PointLot.earned_at),
        )
        .group_by(PointLot.member_id)
    )
    return union_all(orders, other_lots)


def _state(ladder: rules.TierLadder, member: Member) -> rules.MemberTierState:
    base = ladder.base.id
    known = {tier.id for tier in ladder.tiers}

    def valid(tier_id: int | None) -> int | None:
        return tier_id if tier_id in known else None

    membership = valid(member.membership_tier_id)
    return rules.MemberTierState(
        current_tier_id=valid(member.tier_id) or base,
        qualified_tier_id=valid(member.tier_qualified_id) or base,
        retained_until=member.tier_retained_until,
        override_tier_id=valid(member.tier_override_id),
        membership_tier_id=membership,
        membership_until=member.membership_until if membership else None,
    )


def update_tier(
    uow: UnitOfWork,
    member: Member,
    *,
    program: LoyaltyProgram | None = None,
    terms: LedgerTerms | None = None,
) -> rules.TierDecision | None:
    """Evaluate and store the member's tier now; announce a change and pay entry rewards once per tier."""
    decisions = update_tiers(uow, [member], program=program, terms=terms)
    return decisions[0] if decisions else None


def update_tiers(
    uow: UnitOfWork,
    members: list[Member],
    *,
    program: LoyaltyProgram | None = None,
    terms: LedgerTerms | None = None,
    snapshot: ProgramSnapshot | None = None,
) -> list[rules.TierDecision]:
    """``update_tier`` for members of one store, reading what it needs for all of them at once (the
    caller may pass the store's ``snapshot`` it read in this transaction): their window totals in one
    aggregate (``window_totals_for``), and a member's activity itself only when a rolling tier is
    (re)earned and its retention runs from the moment the threshold was crossed."""
    if not members:
        return []
    store_id = members[0].store_id
    snapshot = snapshot or program_snapshot(uow, store_id)
    ladder = snapshot.ladder
    if ladder is None:
        return []
    program = program or snapshot.program
    terms = terms or snapshot.terms
    policy = policy_of(program, snapshot.timezone)
    now = uow.now()
    totals = window_totals_for(uow, members, policy, now)
    nothing = rules.WindowTotals(0, 0)
    decided: dict[int, rules.TierDecision] = {}
    waiting: list[Member] = []
    for member in members:
        try:
            decided[member.id] = rules.decide_tier(
                ladder, policy, totals.get(member.id, nothing), _state(ladder, member), now, _later
            )
        except _ActivityNeeded:  # decided below, with the others that need their activity
            waiting.append(member)
    history = activities_for(uow, waiting) if waiting else {}
    for member in waiting:
        activities = functools.partial(history.__getitem__, member.id)
        state = _state(ladder, member)
        decided[member.id] = rules.decide_tier(
            ladder, policy, totals.get(member.id, nothing), state, now, activities
        )
    decisions = []
    entered: list[tuple[Member, rules.TierDefinition]] = []
    for member in members:
        decision = decided[member.id]
        _apply(uow, member, decision, program, snapshot)
        entered += [(member, tier) for tier in decision.tiers_entered if tier.entry_reward_points > 0]
        decisions.append(decision)
    _pay_entry_rewards(uow, entered, terms)
    return decisions


class _ActivityNeeded(Exception):
    """A decision needs the member's activity itself: read later, for all such members at once."""


def _later() -> list[rules.QualifyingActivity]:
    raise _ActivityNeeded


def _pay_entry_rewards(
    uow: UnitOfWork, entered: list[tuple[Member, rules.TierDefinition]], terms: LedgerTerms
) -> None:
    """Each tier's entry reward, once per member and tier ever: in bulk, except for members who owe
    points (the ledger settles their debt first)."""
    if not entered:
        return
    keys = {f"tier:{member.id}:{tier.id}:entry": (member, tier) for member, tier in entered}
    paid = set(
        uow.session.scalars(
            select(LedgerEntry.idempotency_key).where(
                LedgerEntry.store_id == entered[0][0].store_id, LedgerEntry.idempotency_key.in_(list(keys))
            )
        )
    )
    credits = []
    for key, (member, tier) in keys.items():
        if key in paid:
            continue
        description = f"Welcome to {tier.name}: {tier.entry_reward_points} points"
        if member.available_points < 0:
            ledger.earn(
                uow,
                member,
                terms,
                points=tier.entry_reward_points,
                key=key,
                description=description,
                source="bonus",
            )
            continue
        credits.append(
            Credit(
                member=member,
                key=key,
                fingerprint=ledger.request_hash(
                    kind="earn", member=member.id, points=tier.entry_reward_points, source="bonus", order=None
                ),
                points=tier.entry_reward_points,
                description=description,
                source="bonus",
                earned_at=uow.now(),
                pending=False,
            )
        )
    credit_in_bulk(uow, credits, terms)


def _apply(
    uow: UnitOfWork,
    member: Member,
    decision: rules.TierDecision,
    program: LoyaltyProgram,
    snapshot: ProgramSnapshot,
) -> None:
    state = decision.state
    if (member.tier_id, member.tier_qualified_id, member.tier_retained_until, member.tier_override_id) != (
        state.current_tier_id,
        state.qualified_tier_id,
        state.retained_until,
        state.override_tier_id,
    ):
        member.tier_id, member.tier_qualified_id = state.current_tier_id, state.qualified_tier_id
        member.tier_retained_until, member.tier_override_id = state.retained_until, state.override_tier_id
    if (member.membership_tier_id, member.membership_until) != (
        state.membership_tier_id,
        state.membership_until,
    ):
        member.membership_tier_id, member.membership_until = state.membership_tier_id, state.membership_until
    if member.tier_review_at != decision.review_at:
        member.tier_review_at = decision.review_at
    if decision.changed:
        reason = rules.describe_change(
            decision,
            rules.Metric(program.tier_metric),
            lambda amount: format_money(amount, snapshot.currency, snapshot.locale),
        )
        uow.emit(
            TierChanged(
                store_id=member.store_id,
                customer_id=member.customer_id,
                member_id=member.id,
                from_tier_id=decision.previous_tier.id,
                to_tier_id=decision.tier.id,
                from_tier=decision.previous_tier.name,
                to_tier=decision.tier.name,
                direction="upgraded" if decision.change == rules.TierChange.UPGRADE else "downgraded",
                reason=reason,
            )
        )


def set_override(uow: UnitOfWork, actor: Actor, store_id: int, member_id: int, tier_id: int | None) -> Member:
    """A manager sets (or clears, with None) a tier floor for a member."""
    authorize(actor, store_id, scope="loyalty:write", permission=Permission.MANAGE_STORE_SETTINGS)
    member = ledger.lock_member(uow, member_id)
    if member.store_id != store_id:
        raise NotFound(f"no member {member_id} in this store")
    if (
        tier_id is not None
        and uow.session.scalar(select(Tier.id).where(Tier.id == tier_id, Tier.store_id == store_id)) is None
    ):
        raise Invalid.field("tier_id", f"no tier {tier_id} in this store")
    member.tier_override_id = tier_id
    update_tier(uow, member)
    record_audit(
        uow,
        actor,
        "loyalty.tier_override",
        store_id=store_id,
        target_type="member",
        target_id=member_id,
        details={"tier_id": tier_id},
    )
    return member


def grant_membership(uow: UnitOfWork, member: Member, tier: Tier, bought_at: datetime) -> None:
    """A membership product was bought: hold ``tier`` until the membership lapses (renewals extend it)."""
    ladder = ladder_of(uow, member.store_id)
    if ladder is None:
        return
    current = member.membership_until if member.membership_tier_id == tier.id else None
    member.membership_until = rules.membership_grant(
        ladder, tier.id, bought_at, tier.membership_days, current
    )
    member.membership_tier_id = tier.id
    update_tier(uow, member)


def review_due_tiers(uow: UnitOfWork) -> int:
    """Scheduled: re-evaluate members whose retention or membership ends now. Returns how many."""
    query = (
        select(Member)
        .where(Member.tier_review_at.is_not(None), Member.tier_review_at <= uow.now())
        .order_by(Member.tier_review_at)
        .limit(BATCH)
    )
    if uow.is_postgresql:
        query = query.with_for_update(skip_locked=True)
    members = list(uow.session.scalars(query))
    for member in members:
        update_tier(uow, member)
    return len(members)
