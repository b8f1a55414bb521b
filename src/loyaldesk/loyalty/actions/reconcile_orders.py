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

from datetime import datetime

from sqlalchemy import bindparam, select

from loyaldesk import commerce
from loyaldesk.customers import Customer
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.loyalty.actions.earn_in_bulk import (
    Credit,
    credit_in_bulk,
    order_credit,
    pending_until_of,
)
from loyaldesk.loyalty.actions.enrol_members import enroll_many
from loyaldesk.loyalty.actions.order_earning_context import (
    STAGE_TIMES,
    EarningContext,
    earning_context,
    order_points,
    stage_time,
)
from loyaldesk.loyalty.actions.reconcile_one_order import reconcile_one_order, surprise_due
from loyaldesk.loyalty.actions.redeem_rewards import CODE_PREFIX
from loyaldesk.loyalty.models import (
    LedgerEntry,
    Member,
    PointLot,
    Referral,
)
from loyaldesk.loyalty.rules.expiry import ExpiryPolicy, inactivity_lapsed_until


def reconcile_orders(uow: UnitOfWork, store_id: int, order_ids: list[int]) -> set[int]:
    """Bring the points of these orders in line with their current state. Returns the members touched.

    Orders that simply earn take the fast lane (``earn_in_bulk``); the others, the general path below.
    The batch's members are locked first, in id order, so that concurrent batches cannot deadlock.
    """
    context = earning_context(uow, store_id)
    reconcile_in_context(uow, context, order_ids)
    return context.touched_members


def reconcile_in_context(uow: UnitOfWork, context: EarningContext, order_ids: list[int]) -> None:
    """``reconcile_orders`` with a context the caller prepared (``award_imported_history.award_history``
    sets its flag); the context counts what was credited."""
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
        reconcile_one_order(
            uow, context, member, order, present, segments.get(member.customer_id, frozenset()), earns=earns
        )
    _after(uow, context, members)


# Built once: each runs on every pass of the single-order lane (building a statement cost more than
# running it).
_ORDERS_PLACED = select(
    commerce.Order.id,
    commerce.Order.placed_at,
    commerce.Order.discount_codes,
    select(PointLot.id)
    .where(PointLot.store_id == bindparam("store_id"), PointLot.order_id == commerce.Order.id)
    .limit(1)
    .scalar_subquery(),
).where(
    commerce.Order.store_id == bindparam("store_id"),
    commerce.Order.id.in_(bindparam("ids", expanding=True)),
)
_REFERRED_PENDING = select(Referral.referred_customer_id).where(
    Referral.store_id == bindparam("store_id"),
    Referral.referred_customer_id.in_(bindparam("ids", expanding=True)),
    Referral.status == "pending",
)
_KEYS_PRESENT = select(LedgerEntry.idempotency_key).where(
    LedgerEntry.store_id == bindparam("store_id"),
    LedgerEntry.idempotency_key.in_(bindparam("keys", expanding=True)),
)
_MEMBERS = (
    select(Member)
    .where(
        Member.store_id == bindparam("store_id"),
        Member.customer_id.in_(bindparam("customer_ids", expanding=True)),
    )
    .order_by(Member.id)
    .execution_options(populate_existing=True)
)
_MEMBERS_LOCKED = _MEMBERS.with_for_update()
_CUSTOMER_TAGS = select(Customer.id, Customer.tags).where(Customer.id.in_(bindparam("ids", expanding=True)))


def _concerning_us(uow: UnitOfWork, context: EarningContext, order_ids: list[int]) -> list[int]:
    """Of these orders, those the program has anything to do with: placed since it started, earned
    before (they have lots), or paid with one of our reward codes. The others (an import's history) are
    dropped before their lines are loaded: that loading was most of the cost of working through the
    events of an import. One statement per 500 orders (an order that is not stored is dropped here:
    ``order_facts`` would not find it either)."""
    ids = sorted(set(order_ids))
    keep: set[int] = set()
    for start in range(0, len(ids), 500):
        parameters = {"store_id": context.store_id, "ids": ids[start : start + 500]}
        for order_id, placed_at, codes, a_lot in uow.session.execute(_ORDERS_PLACED, parameters):
            if (
                a_lot is not None
                or placed_at >= context.program.starts_at
                or any(_is_our_code(code) for code in codes or ())
            ):
                keep.add(order_id)
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
    """Why this order must take the general path, or None when it simply earns (see ``earn_in_bulk``)."""
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
    query = _MEMBERS_LOCKED if uow.is_postgresql else _MEMBERS
    parameters = {"store_id": context.store_id, "customer_ids": customers}
    return {member.customer_id: member for member in uow.session.scalars(query, parameters)}


def _segments_of(uow: UnitOfWork, customer_ids: set[int]) -> dict[int, frozenset[str]]:
    if not customer_ids:
        return {}
    rows = uow.session.execute(_CUSTOMER_TAGS, {"ids": list(customer_ids)})
    return {customer_id: frozenset(tags or []) for customer_id, tags in rows}


def _referred_pending(uow: UnitOfWork, store_id: int, customer_ids: set[int]) -> set[int]:
    """Customers whose referral still waits for their first order."""
    if not customer_ids:
        return set()
    return set(uow.session.scalars(_REFERRED_PENDING, {"store_id": store_id, "ids": list(customer_ids)}))


def _after(uow: UnitOfWork, context: EarningContext, members: dict[int, Member]) -> None:
    """Once the orders are in: tiers and badges of every member touched, in a few queries for all."""
    from loyaldesk.loyalty.actions.change_tiers import update_tiers
    from loyaldesk.loyalty.actions.delight_members import award_badges_to

    uow.session.flush()
    touched = [member for member in members.values() if member.id in context.touched_members]
    update_tiers(uow, touched, program=context.program, terms=context.terms, snapshot=context.snapshot)
    award_badges_to(uow, touched)


def _keys_present(uow: UnitOfWork, store_id: int, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        found.update(
            uow.session.scalars(_KEYS_PRESENT, {"store_id": store_id, "keys": keys[start : start + 500]})
        )
    return found
