"""Events a store's backend sends about what a customer did (a review, a newsletter sign-up, a custom
event), and the dry run that shows what an order or event would earn without writing anything."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from loyaldesk import commerce
from loyaldesk.customers import Customer
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict, NotFound
from loyaldesk.kernel.money import check_currency
from loyaldesk.loyalty.actions.delight_members import ActionOutcome, action_outcomes, record_action
from loyaldesk.loyalty.actions.enrol_members import enroll
from loyaldesk.loyalty.actions.reconcile_orders import earning_context, order_points
from loyaldesk.loyalty.member_schemas import OrderDryRunIn
from loyaldesk.loyalty.models import Member
from loyaldesk.loyalty.program import ensure_program
from loyaldesk.loyalty.queries.members import member_of_customer
from loyaldesk.loyalty.rules import earning
from loyaldesk.loyalty.schemas import ActionEventIn
from loyaldesk.stores import Permission, authorize

API_EVENT_PREFIX = "api:"  # keeps the store's event ids apart from loyaldesk's own (signup:, birthday:...)


@dataclass(frozen=True)
class ActionEventResult:
    member: Member
    recorded: bool
    outcomes: list[ActionOutcome]

    @property
    def points_awarded(self) -> int:
        return sum(outcome.points for outcome in self.outcomes if outcome.awarded) if self.recorded else 0


def customer_in_store(
    uow: UnitOfWork, store_id: int, customer_id: int | None, external_id: str | None
) -> Customer:
    """The customer named by loyaldesk id or by the store's id, if they belong to this store."""
    if customer_id is not None:
        customer = uow.session.get(Customer, customer_id)
    else:
        customer = uow.session.scalar(
            select(Customer).where(Customer.store_id == store_id, Customer.external_id == external_id)
        )
    if customer is None or customer.store_id != store_id:
        raise NotFound(f"no customer {customer_id or external_id!r} in this store")
    return customer


def _member(uow: UnitOfWork, store_id: int, customer: Customer, *, join: bool) -> Member:
    member = member_of_customer(uow.session, store_id, customer.id)
    if member is not None:
        return member
    program = ensure_program(uow, store_id)
    if not join or not program.enabled or not program.auto_enroll:
        raise NotFound(f"customer {customer.id} is not a member of the loyalty program")
    return enroll(uow, store_id, customer.id)[0]


def record_action_event(
    uow: UnitOfWork, actor: Actor, store_id: int, data: ActionEventIn
) -> ActionEventResult:
    """Record what the customer did, once per ``external_id``, and award the matching action rules (with
    their caps, frequency limits, windows and scopes). A customer who is not yet a member joins first when
    the program enrols everyone. Sending the same event id again changes nothing and reports the first
    outcome."""
    authorize(actor, store_id, scope="loyalty:write", permission=Permission.EDIT_CUSTOMERS)
    if not ensure_program(uow, store_id).enabled:
        raise Conflict("the loyalty program is switched off")
    customer = customer_in_store(uow, store_id, data.customer_id, data.customer_external_id)
    member = _member(uow, store_id, customer, join=True)
    recorded, outcomes = record_action(
        uow, member, data.action, data.event_name, API_EVENT_PREFIX + data.external_id
    )
    return ActionEventResult(member, recorded, outcomes)


def dry_run_event(uow: UnitOfWork, actor: Actor, store_id: int, data: ActionEventIn) -> list[ActionOutcome]:
    """What the event would earn now, and why; nothing is written. Run it in a unit of work that is rolled
    back (``Database.scratch``)."""
    authorize(actor, store_id, scope="loyalty:read", permission=Permission.VIEW_CUSTOMERS)
    customer = customer_in_store(uow, store_id, data.customer_id, data.customer_external_id)
    member = member_of_customer(uow.session, store_id, customer.id)
    if member is None:
        member = Member(store_id=store_id, customer_id=customer.id, id=-1, tier_id=None)
    return action_outcomes(
        uow,
        member,
        data.action,
        data.event_name,
        write=False,
        external_id=API_EVENT_PREFIX + data.external_id,
    )


@dataclass(frozen=True)
class OrderDryRun:
    points: earning.OrderPoints
    tier_name: str | None


def dry_run_order(uow: UnitOfWork, actor: Actor, store_id: int, data: OrderDryRunIn) -> OrderDryRun:
    """What an order (stored, or a draft) would earn under the store's current rules and the customer's
    tier and segments, with the reasons; nothing is written."""
    authorize(actor, store_id, scope="loyalty:read", permission=Permission.VIEW_CUSTOMERS)
    context = earning_context(uow, store_id)
    if data.order_id is not None:
        found = commerce.order_facts(uow.session, store_id, [data.order_id])
        if not found:
            raise NotFound(f"no order {data.order_id} in this store")
        order = found[0]
        customer_id = data.customer_id or order.customer_id
    else:
        order = _draft(store_id, data, uow.now())
        customer_id = data.customer_id
    member = None
    segments: frozenset[str] = frozenset()
    if customer_id is not None:
        customer = customer_in_store(uow, store_id, customer_id, None)
        segments = frozenset(customer.tags or [])
        member = member_of_customer(uow.session, store_id, customer.id)
    points = order_points(context, order, member, segments)
    if not context.earns(order):
        points = earning.OrderPoints(
            total=0,
            by_line={line_id: 0 for line_id in points.by_line},
            explanation=(
                f"placed before the program started ({context.program.starts_at:%Y-%m-%d %H:%M} UTC): "
                "earns no points",
            ),
            not_applied=points.not_applied,
        )
    tier = context.tiers.get(member.tier_id) if member and member.tier_id else None
    return OrderDryRun(points, tier.name if tier else None)


def _draft(store_id: int, data: OrderDryRunIn, now: datetime) -> commerce.OrderFacts:
    assert data.currency is not None
    lines = tuple(
        commerce.LineFacts(index + 1, line.sku, line.title, line.category, line.quantity, line.amount)
        for index, line in enumerate(data.lines)
    )
    return commerce.OrderFacts(
        id=0,
        store_id=store_id,
        customer_id=data.customer_id,
        number="draft",
        currency=check_currency(data.currency, "currency"),
        total=sum(line.total for line in lines),
        refunded_total=0,
        refund_status="none",
        status="paid",
        discount_codes=(),
        shipping_address=None,
        placed_at=data.placed_at or now,
        paid_at=data.placed_at or now,
        fulfilled_at=None,
        delivered_at=None,
        cancelled_at=None,
        lines=lines,
        refunds=(),
    )
