"""How orders turn into points: earning, unlocking after fulfilment, reversing refunds and cancellations.

``reconcile_orders`` looks at the current state of each order and brings its points in line, whatever
event led there and in whatever order events arrive: an order that reached the earning stage earns once
(key ``order:<id>:earn``); once it reaches the unlock stage its points unlock after the return window;
each refund takes back the refunded lines' share (``refund:<id>:reverse``); a full refund or a
cancellation takes back whatever is left (``order:<id>:refunded`` / ``order:<id>:cancel``), and a
cancellation gives back the points of reward codes the order used.

Who earns, and from when: an order placed before the program's start date (``starts_at``) earns nothing
and does not enrol its customer, unless the points of imported history are awarded deliberately
(``award_history``, ``loyaldesk import --award-points``). Points that would already have expired when
they are credited (an order of 2011 under a 365-day expiry) are never credited: no entry, nothing to
spend (see ``rules.expiry.dead_on_arrival``). An order earned before keeps being reconciled whatever
its date, so that refunds and cancellations still take its points back.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from loyaldesk import commerce
from loyaldesk.customers import Customer
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.loyalty.actions import move_points as ledger
from loyaldesk.loyalty.actions.earn_in_bulk import (
    Credit,
    credit_in_bulk,
    earn_description,
    earn_details,
    order_credit,
    pending_until_of,
)
from loyaldesk.loyalty.actions.enrol_members import enroll_many
from loyaldesk.loyalty.actions.move_points import LedgerTerms
from loyaldesk.loyalty.actions.redeem_rewards import CODE_PREFIX
from loyaldesk.loyalty.models import (
    EarningRule,
    LedgerEntry,
    LedgerPosting,
    LoyaltyProgram,
    Member,
    PointLot,
    Referral,
    Tier,
)
from loyaldesk.loyalty.program import ensure_program, terms_of
from loyaldesk.loyalty.rule_config import purchase_rule
from loyaldesk.loyalty.rules import earning
from loyaldesk.loyalty.rules.expiry import ExpiryPolicy, dead_on_arrival, inactivity_lapsed_until
from loyaldesk.loyalty.rules.ledger import reversal_for_lines
from loyaldesk.stores import store_by_id

STAGE_TIMES = {"paid": "paid_at", "fulfilled": "fulfilled_at", "delivered": "delivered_at"}


@dataclass
class EarningContext:
    """What earning needs about a store, loaded once per batch of orders."""

    store_id: int
    timezone: str
    program: LoyaltyProgram
    terms: LedgerTerms
    rates: list[earning.EarnRate]
    rules: list[earning.PurchaseRule]
    tiers: dict[int, Tier]
    touched_members: set[int] = field(default_factory=set)
    # True while crediting imported history on purpose: orders placed before the start date earn too.
    award_history: bool = False
    # Per customer (inactivity expiry only): everything earned up to this moment had lapsed by now.
    lapsed_until: dict[int, datetime] = field(default_factory=dict)
    credited_orders: int = 0
    credited_points: int = 0
    expired_orders: int = 0

    def earns(self, order: commerce.OrderFacts) -> bool:
        """Whether ``order`` earns under the program's start date (or history is being awarded)."""
        return self.award_history or order.placed_at >= self.program.starts_at

    def dead_on_arrival(self, order: commerce.OrderFacts, earned_at: datetime, now: datetime) -> bool:
        """Whether points earned on ``order`` at ``earned_at`` would have expired by ``now``."""
        return dead_on_arrival(
            self.terms.expiry_policy,
            self.terms.expiry_amount,
            earned_at,
            self.timezone,
            now,
            lapsed_until=self.lapsed_until.get(order.customer_id) if order.customer_id else None,
        )

    @property
    def membership_skus(self) -> frozenset[str]:
        return frozenset(tier.membership_sku for tier in self.tiers.values() if tier.membership_sku)

    def tier_names(self) -> dict[int, str]:
        return {tier_id: tier.name for tier_id, tier in self.tiers.items()}


def earning_context(uow: UnitOfWork, store_id: int) -> EarningContext:
    program = ensure_program(uow, store_id)
    store = store_by_id(uow.session, store_id)
    rules = [
        purchase_rule(row)
        for row in uow.session.scalars(
            select(EarningRule)
            .where(
                EarningRule.store_id == store_id, EarningRule.kind == "purchase", EarningRule.active.is_(True)
            )
            .order_by(EarningRule.id)
        )
    ]
    tiers = {tier.id: tier for tier in uow.session.scalars(select(Tier).where(Tier.store_id == store_id))}
    return EarningContext(
        store_id=store_id,
        timezone=store.timezone,
        program=program,
        terms=terms_of(program, store.timezone),
        rates=[earning.EarnRate(**rate) for rate in program.earn_rates],
        rules=rules,
        tiers=tiers,
    )


def stage_time(order: commerce.OrderFacts, stage: str) -> datetime | None:
    return getattr(order, STAGE_TIMES[stage]) if stage in STAGE_TIMES else None


def order_points(
    context: EarningContext, order: commerce.OrderFacts, member: Member | None, segments: frozenset[str]
) -> earning.OrderPoints:
    """What ``order`` earns for ``member`` under the store's rules, with the reasons (also the dry run)."""
    tier = context.tiers.get(member.tier_id) if member and member.tier_id else None
    multiplier = Decimal(tier.earn_multiplier) if tier else Decimal(1)
    lines = tuple(
        earning.OrderLine(
            line_id=line.id,
            sku=line.sku,
            category=line.category,
            net_amount=line.total,
            quantity=line.quantity,
            title=line.title,
        )
        for line in order.lines
    )
    facts = earning.OrderForEarning(
        currency=order.currency,
        placed_at=order.placed_at,
        lines=lines,
        total=order.total,
        tier_id=tier.id if tier else None,
        segments=segments,
    )
    return earning.points_for_order(
        context.rates,
        context.rules,
        facts,
        tier_multiplier=multiplier,
        timezone=context.timezone,
        tier_names=context.tier_names(),
    )


def reconcile_orders(uow: UnitOfWork, store_id: int, order_ids: list[int]) -> set[int]:
    """Bring the points of these orders in line with their current state. Returns the members touched.

    Orders that simply earn take the fast lane (``bulk_earning``); the others, the general path below.
    The batch's members are locked first, in id order, so that concurrent batches cannot deadlock.
    """
    context = earning_context(uow, store_id)
    reconcile_in_context(uow, context, order_ids)
    return context.touched_members


def reconcile_in_context(uow: UnitOfWork, context: EarningContext, order_ids: list[int]) -> None:
    """``reconcile_orders`` with a context the caller prepared (``history.award_history`` sets its flag);
    the context counts what was credited."""
    if not context.program.enabled:
        return
    store_id = context.store_id
    wanted = sorted(set(order_ids)) if context.award_history else _concerning_us(uow, context, order_ids)
    orders = [
        order
        for order in commerce.order_facts(uow.session, store_id, wanted)
        if order.customer_id is not None
    ]
    if not orders:
        return
    now = uow.now()
    if context.terms.expiry_policy == ExpiryPolicy.INACTIVITY:
        context.lapsed_until = _lapsed_until(uow, context, {order.customer_id for order in orders}, now)  # type: ignore[misc]
    members = _members_of(uow, context, orders, now)
    present = _keys_present(uow, store_id, [key for order in orders for key in _order_keys(order)])
    customer_ids = {member.customer_id for member in members.values()}
    segments = _segments_of(uow, customer_ids)
    referred = _referred_pending(uow, store_id, customer_ids)
    fast: list[Credit] = []
    general: list[tuple[Member, commerce.OrderFacts, bool]] = []
    for order in orders:
        member = members.get(order.customer_id)  # type: ignore[arg-type]
        if member is None:
            earned_at = stage_time(order, context.program.earn_on_status)
            if context.earns(order) and earned_at and context.dead_on_arrival(order, earned_at, now):
                context.expired_orders += 1  # and so its customer was not enrolled for it
            continue
        earns = context.earns(order)
        if not earns and f"order:{order.id}:earn" not in present and not _uses_our_codes(order):
            continue  # placed before the program started and never credited: nothing of ours to keep
        context.touched_members.add(member.id)
        if not earns or fast_lane_refusal(context, order, member, present, referred) is not None:
            general.append((member, order, earns))
            continue
        earned_at = stage_time(order, context.program.earn_on_status)
        if earned_at is None:
            continue  # not at the earning stage yet: nothing to do
        if context.dead_on_arrival(order, earned_at, now):
            context.expired_orders += 1
            continue
        points = order_points(context, order, member, segments.get(member.customer_id, frozenset()))
        unlock_from = stage_time(order, context.program.unlock_after_status)
        pending_until = pending_until_of(unlock_from, context.program.pending_days)
        fast.append(order_credit(member, order, points, earned_at, pending_until))
    credited = [credit for credit in fast if credit.points > 0]
    context.credited_orders += len(credited)
    context.credited_points += sum(credit.points for credit in credited)
    credit_in_bulk(uow, fast, context.terms)
    for member, order, earns in general:
        _reconcile_one(
            uow, context, member, order, present, segments.get(member.customer_id, frozenset()), earns=earns
        )
    _after(uow, context, members)


def _concerning_us(uow: UnitOfWork, context: EarningContext, order_ids: list[int]) -> list[int]:
    """Of these orders, those the program has anything to do with: placed since it started, earned
    before (they have lots), or paid with one of our reward codes. The others (an import's history) are
    dropped before their lines are loaded: that loading was most of the cost of working through the
    events of an import."""
    ids = sorted(set(order_ids))
    keep: set[int] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for order_id, placed_at, codes in uow.session.execute(
            select(commerce.Order.id, commerce.Order.placed_at, commerce.Order.discount_codes).where(
                commerce.Order.store_id == context.store_id, commerce.Order.id.in_(chunk)
            )
        ):
            if placed_at >= context.program.starts_at or any(_is_our_code(code) for code in codes or ()):
                keep.add(order_id)
        keep.update(
            uow.session.scalars(
                select(PointLot.order_id).where(
                    PointLot.store_id == context.store_id, PointLot.order_id.in_(chunk)
                )
            )
        )
    return sorted(keep)


def _is_our_code(code: str) -> bool:
    return code.strip().upper().startswith(CODE_PREFIX)


def _uses_our_codes(order: commerce.OrderFacts) -> bool:
    return any(_is_our_code(code) for code in order.discount_codes)


def _lapsed_until(
    uow: UnitOfWork, context: EarningContext, customer_ids: set[int], now: datetime
) -> dict[int, datetime]:
    """Under the inactivity policy: per customer, the moment up to which everything they earned had
    lapsed by now, judged from when their earning orders reached the earning stage and the member's last
    activity (an order of 2019 followed by silence until 2025 expired in 2020, whatever came after)."""
    column = getattr(commerce.Order, STAGE_TIMES[context.program.earn_on_status])
    query = select(commerce.Order.customer_id, column).where(
        commerce.Order.store_id == context.store_id,
        commerce.Order.customer_id.in_(sorted(customer_ids)),
        column.is_not(None),
        commerce.Order.status != "cancelled",
    )
    if not context.award_history:
        query = query.where(commerce.Order.placed_at >= context.program.starts_at)
    activity: dict[int, list[datetime]] = {}
    for customer_id, moment in uow.session.execute(query):
        activity.setdefault(customer_id, []).append(moment)
    for customer_id, last in uow.session.execute(
        select(Member.customer_id, Member.last_activity_at).where(
            Member.store_id == context.store_id,
            Member.customer_id.in_(sorted(customer_ids)),
            Member.last_activity_at.is_not(None),
        )
    ):
        if last is not None:
            activity.setdefault(customer_id, []).append(last)
    lapsed: dict[int, datetime] = {}
    for customer_id, moments in activity.items():
        until = inactivity_lapsed_until(moments, context.terms.expiry_amount, now)
        if until is not None:
            lapsed[customer_id] = until
    return lapsed


def fast_lane_refusal(
    context: EarningContext,
    order: commerce.OrderFacts,
    member: Member,
    present: set[str],
    referred: set[int],
) -> str | None:
    """Why this order must take the general path, or None when it simply earns (see ``bulk_earning``)."""
    if f"order:{order.id}:earn" in present:
        return "earned before"
    if order.status == "cancelled" or order.refunds:
        return "cancelled or refunded"
    if _uses_our_codes(order):
        return "uses a reward code"
    if any(line.sku in context.membership_skus for line in order.lines):
        return "buys a membership"
    if member.customer_id in referred:
        return "a referred friend's order"
    if surprise_due(context.program, order):
        return "wins a surprise"
    if member.available_points < 0:
        return "the member owes points"
    return None


def _order_keys(order: commerce.OrderFacts) -> list[str]:
    return [
        f"order:{order.id}:earn",
        f"order:{order.id}:cancel",
        f"order:{order.id}:refunded",
        *(f"refund:{refund.id}:reverse" for refund in order.refunds),
    ]


def _members_of(
    uow: UnitOfWork, context: EarningContext, orders: list[commerce.OrderFacts], now: datetime
) -> dict[int, Member]:
    """The members of the orders' customers, by customer id, locked; enrolled first where the program
    enrols everyone (dated by their first order here), but only through an order that earns: one placed
    after the program started (or history awarded on purpose) whose points would not be expired already."""
    joined: dict[int, datetime] = {}
    for order in orders:
        assert order.customer_id is not None
        earned_at = stage_time(order, context.program.earn_on_status)
        if not context.earns(order) or (
            earned_at is not None and context.dead_on_arrival(order, earned_at, now)
        ):
            continue
        joined[order.customer_id] = min(joined.get(order.customer_id, order.placed_at), order.placed_at)
    if context.program.auto_enroll:
        enroll_many(uow, context.store_id, joined)
    customers = sorted({order.customer_id for order in orders if order.customer_id is not None})
    query = (
        select(Member)
        .where(Member.store_id == context.store_id, Member.customer_id.in_(customers))
        .order_by(Member.id)
        .execution_options(populate_existing=True)
    )
    if uow.is_postgresql:
        query = query.with_for_update()
    return {member.customer_id: member for member in uow.session.scalars(query)}


def _segments_of(uow: UnitOfWork, customer_ids: set[int]) -> dict[int, frozenset[str]]:
    if not customer_ids:
        return {}
    rows = uow.session.execute(select(Customer.id, Customer.tags).where(Customer.id.in_(list(customer_ids))))
    return {customer_id: frozenset(tags or []) for customer_id, tags in rows}


def _referred_pending(uow: UnitOfWork, store_id: int, customer_ids: set[int]) -> set[int]:
    """Customers whose referral still waits for their first order."""
    if not customer_ids:
        return set()
    return set(
        uow.session.scalars(
            select(Referral.referred_customer_id).where(
                Referral.store_id == store_id,
                Referral.referred_customer_id.in_(list(customer_ids)),
                Referral.status == "pending",
            )
        )
    )


def _after(uow: UnitOfWork, context: EarningContext, members: dict[int, Member]) -> None:
    """Once the orders are in: tiers and badges of every member touched, in a few queries for all."""
    from loyaldesk.loyalty.actions.change_tiers import update_tiers
    from loyaldesk.loyalty.actions.delight_members import award_badges_to

    uow.session.flush()
    touched = [member for member in members.values() if member.id in context.touched_members]
    update_tiers(uow, touched, program=context.program, terms=context.terms)
    award_badges_to(uow, touched)


def _keys_present(uow: UnitOfWork, store_id: int, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        found.update(
            uow.session.scalars(
                select(LedgerEntry.idempotency_key).where(
                    LedgerEntry.store_id == store_id,
                    LedgerEntry.idempotency_key.in_(keys[start : start + 500]),
                )
            )
        )
    return found


def _reconcile_one(
    uow: UnitOfWork,
    context: EarningContext,
    member: Member,
    order: commerce.OrderFacts,
    present: set[str],
    segments: frozenset[str],
    *,
    earns: bool = True,
) -> None:
    """The general path for one order. ``earns`` False: placed before the program started (and not
    awarded as history), so it earns nothing now, but what it earned before is still kept in line."""
    program = context.program
    earned_at = stage_time(order, program.earn_on_status)
    unlock_from = stage_time(order, program.unlock_after_status)
    if (
        earns
        and f"order:{order.id}:earn" not in present
        and order.status != "cancelled"
        and earned_at is not None
    ):
        _earn(uow, context, member, order, unlock_from, segments)
        from loyaldesk.loyalty.actions.reward_referrals import on_order_earned

        on_order_earned(uow, context.store_id, member.customer_id, order.id)
    if earns and order.status != "cancelled" and earned_at is not None:
        _grant_memberships(uow, context, member, order, earned_at)
    if earns and order.revision:
        from loyaldesk.loyalty.actions.adjust_edited_orders import follow_edits

        follow_edits(uow, context, member, order, segments)
    lots = list(
        uow.session.scalars(
            select(PointLot)
            .where(PointLot.order_id == order.id, PointLot.source == "order", PointLot.member_id == member.id)
            .order_by(PointLot.id)
        )
    )
    if lots and unlock_from is not None:
        _schedule_unlock(uow, context, lots, unlock_from)
    if lots:
        _reverse_refunds(uow, context, member, order, lots, present)
        if order.status == "cancelled" and f"order:{order.id}:cancel" not in present:
            _take_back_rest(
                uow, context, member, order, f"order:{order.id}:cancel", f"Order {order.number} was cancelled"
            )
        elif order.refund_status == "full" and f"order:{order.id}:refunded" not in present:
            _take_back_rest(
                uow,
                context,
                member,
                order,
                f"order:{order.id}:refunded",
                f"Order {order.number} was fully refunded",
            )
    if order.status == "cancelled":
        from loyaldesk.loyalty.actions.redeem_rewards import cancel_codes_of_order

        cancel_codes_of_order(uow, context.terms, member, order.id, order.number)
    elif order.discount_codes:
        from loyaldesk.loyalty.actions.redeem_rewards import mark_codes_used

        mark_codes_used(uow, context.store_id, order.discount_codes, order.id)
    context.touched_members.add(member.id)


def _earn(
    uow: UnitOfWork,
    context: EarningContext,
    member: Member,
    order: commerce.OrderFacts,
    unlock_from: datetime | None,
    segments: frozenset[str],
) -> None:
    earned_at = stage_time(order, context.program.earn_on_status)
    assert earned_at is not None
    if context.dead_on_arrival(order, earned_at, uow.now()):
        context.expired_orders += 1
        return
    result = order_points(context, order, member, segments)
    if result.total <= 0:
        return
    pending_until = pending_until_of(unlock_from, context.program.pending_days)
    context.credited_orders += 1
    context.credited_points += result.total
    ledger.earn(
        uow,
        member,
        context.terms,
        points=result.total,
        key=f"order:{order.id}:earn",
        description=earn_description(order, result.total, pending_until),
        source="order",
        pending=True,
        pending_until=pending_until,
        order_id=order.id,
        line_points={str(line_id): points for line_id, points in result.by_line.items()},
        details=earn_details(order, result),
        earned_at=earned_at,
    )
    _surprise(uow, context, member, order, earned_at)


def _grant_memberships(
    uow: UnitOfWork, context: EarningContext, member: Member, order: commerce.OrderFacts, paid_at: datetime
) -> None:
    """A membership product in the order buys its tier (once per order: remembered by an action record)."""
    by_sku = {tier.membership_sku: tier for tier in context.tiers.values() if tier.membership_sku}
    bought = [by_sku[line.sku] for line in order.lines if line.sku in by_sku]
    if not bought:
        return
    from loyaldesk.loyalty.actions.change_tiers import grant_membership
    from loyaldesk.loyalty.actions.delight_members import record_action

    for tier in bought:
        new, _ = record_action(
            uow, member, "custom", "membership_purchase", f"membership:{order.id}:{tier.id}"
        )
        if new:
            grant_membership(uow, member, tier, paid_at)


def _schedule_unlock(
    uow: UnitOfWork, context: EarningContext, lots: list[PointLot], unlock_from: datetime
) -> None:
    from loyaldesk.loyalty.actions.unlock_and_expire import expire_due_lots, unlock_lot

    late: set[int] = set()
    for lot in lots:
        if lot.status == "pending" and lot.pending_until is None:
            lot.pending_until = unlock_from + timedelta(days=context.program.pending_days)
        if lot.status == "pending" and lot.pending_until is not None and lot.pending_until <= uow.now():
            unlock_lot(uow, context.terms, lot)
            if lot.expires_at is not None and lot.expires_at <= uow.now():
                late.add(lot.id)
    if late:  # unlocked after their expiry date (delivered very late): expired before anyone can spend them
        uow.session.flush()
        expire_due_lots(uow, len(late), only_lots=late)


def _reverse_refunds(
    uow: UnitOfWork,
    context: EarningContext,
    member: Member,
    order: commerce.OrderFacts,
    lots: list[PointLot],
    present: set[str],
) -> None:
    from loyaldesk.loyalty.actions.adjust_edited_orders import line_points_held

    line_points = line_points_held(uow, member.id, order, lots)
    quantities = {line.id: line.quantity for line in order.lines}
    refunded_before: dict[int, int] = {}
    for refund in order.refunds:  # oldest first: each refund takes its share on top of the earlier ones
        now = {line_id: quantity for line_id, quantity in refund.lines}
        key = f"refund:{refund.id}:reverse"
        if key not in present:
            points = reversal_for_lines(line_points, quantities, refunded_before, now)
            if points > 0:
                what = "Return" if refund.kind == "return" else "Refund"
                ledger.reverse_order_points(
                    uow,
                    member,
                    context.terms,
                    order_id=order.id,
                    points=points,
                    key=key,
                    description=f"{what} on order {order.number}: {points} points taken back",
                    details={"refund_id": refund.id},
                )
        for line_id, quantity in now.items():
            refunded_before[line_id] = refunded_before.get(line_id, 0) + quantity


def points_still_held(uow: UnitOfWork, member_id: int, order_id: int) -> int:
    """What an order's earning minus everything already taken back amounts to."""
    earned = (
        uow.session.scalar(
            select(func.coalesce(func.sum(PointLot.points), 0)).where(
                PointLot.member_id == member_id, PointLot.order_id == order_id, PointLot.source == "order"
            )
        )
        or 0
    )
    # Reversals credit ``issued`` with everything they take back, written-off parts included.
    taken = (
        uow.session.scalar(
            select(func.coalesce(func.sum(LedgerPosting.amount), 0))
            .join(LedgerEntry, LedgerEntry.id == LedgerPosting.entry_id)
            .where(
                LedgerEntry.member_id == member_id,
                LedgerEntry.order_id == order_id,
                LedgerEntry.kind.in_(("reverse", "cancel")),
                LedgerPosting.account == "issued",
            )
        )
        or 0
    )
    return int(earned) - int(taken)


def _take_back_rest(
    uow: UnitOfWork,
    context: EarningContext,
    member: Member,
    order: commerce.OrderFacts,
    key: str,
    description: str,
) -> None:
    uow.session.flush()
    rest = points_still_held(uow, member.id, order.id)
    ledger.reverse_order_points(
        uow,
        member,
        context.terms,
        order_id=order.id,
        points=max(rest, 0),
        key=key,
        description=f"{description}: {rest} points taken back",
        kind="cancel",
    )


def surprise_due(program: LoyaltyProgram, order: commerce.OrderFacts) -> bool:
    """Whether this order wins the program's surprise: one order in N over a value, chosen by a hash of the
    order, so that the same order always gets the same answer."""
    if (
        program.surprise_one_in <= 0
        or program.surprise_points <= 0
        or order.total < program.surprise_min_order_total
    ):
        return False
    draw = int.from_bytes(
        hashlib.sha256(f"surprise:{order.store_id}:{order.id}".encode()).digest()[:8], "big"
    )
    return draw % program.surprise_one_in == 0


def _surprise(
    uow: UnitOfWork, context: EarningContext, member: Member, order: commerce.OrderFacts, earned_at: datetime
) -> None:
    """A surprise bonus on one order in N over a value; chosen by a hash of the order, so it is repeatable.
    Dated like the order's own points (the caller checked that those are not expired)."""
    program = context.program
    if not surprise_due(program, order):
        return
    ledger.earn(
        uow,
        member,
        context.terms,
        points=program.surprise_points,
        key=f"order:{order.id}:surprise",
        description=f"Surprise! {program.surprise_points} bonus points with order {order.number}",
        source="bonus",
        order_id=None,
        earned_at=earned_at,
    )
