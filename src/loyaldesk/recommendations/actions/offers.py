"""Personal offers being set up: a draft created and changed (checked: the value within its kind's bounds,
a target the store sells, a segment that exists, a holdout of 0 to 50%, an end in the future), and who
an offer reaches (``targeted_customers``).

Managing offers is managing the loyalty program's rewards: ``MANAGE_STORE_SETTINGS`` in the console,
scope ``recommendations:write`` for an API key.
"""

from __future__ import annotations

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from loyaldesk.commerce import Order, OrderLine, Product
from loyaldesk.customers import Customer
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict, FieldProblem, Invalid, NotFound
from loyaldesk.loyalty import Member
from loyaldesk.recommendations.models import CustomerPick, Offer
from loyaldesk.recommendations.offer_ports import segment_labels, segments_of
from loyaldesk.recommendations.offer_schemas import OfferIn
from loyaldesk.recommendations.rules.offer_words import MAX_HOLDOUT_PERCENT, VALUE_BOUNDS
from loyaldesk.recommendations.vocab import OfferKind, OfferStatus, OfferTarget
from loyaldesk.stores import Permission, authorize, record_audit

PICKED = "picked"  # the segment of customers whose stored picks include the offer's target
WRITE_SCOPE = "recommendations:write"
READ_SCOPE = "recommendations:read"
MANAGE = Permission.MANAGE_STORE_SETTINGS  # who manages the loyalty program and its rewards
VIEW = Permission.VIEW_ANALYTICS  # analysts read the results


def authorize_manage(actor: Actor, store_id: int) -> None:
    authorize(actor, store_id, scope=WRITE_SCOPE, permission=MANAGE)


def authorize_view(actor: Actor, store_id: int) -> None:
    authorize(actor, store_id, scope=READ_SCOPE, permission=VIEW)


def offer_of(session: Session, store_id: int, offer_id: int, *, lock: bool = False) -> Offer:
    """The store's offer ``offer_id``; another store's is answered like a missing one."""
    query = select(Offer).where(Offer.id == offer_id, Offer.store_id == store_id)
    if lock:
        query = query.with_for_update()
    offer = session.scalar(query)
    if offer is None:
        raise NotFound("no such offer")
    return offer


def target_exists(session: Session, store_id: int, target_kind: OfferTarget, target: str) -> bool:
    """Whether the store's catalogue or order lines know ``target`` (an item key or a category)."""
    if target_kind is OfferTarget.PRODUCT:
        product = select(Product.id).where(
            Product.store_id == store_id, or_(Product.external_id == target, Product.sku == target)
        )
        line = (
            select(OrderLine.id)
            .join(Order, Order.id == OrderLine.order_id)
            .where(
                Order.store_id == store_id,
                or_(OrderLine.product_external_id == target, OrderLine.sku == target),
            )
        )
    else:
        product = select(Product.id).where(Product.store_id == store_id, Product.category == target)
        line = (
            select(OrderLine.id)
            .join(Order, Order.id == OrderLine.order_id)
            .where(Order.store_id == store_id, OrderLine.category == target)
        )
    return bool(session.scalar(select(exists(product))) or session.scalar(select(exists(line))))


def check_offer(uow: UnitOfWork, store_id: int, data: OfferIn) -> tuple[str | None, str | None]:
    """The cleaned target and segment of ``data``, or ``Invalid`` naming every field that is wrong."""
    problems: list[FieldProblem] = []
    if not data.name.strip():
        problems.append(FieldProblem("name", "give the offer a name"))
    low, high = VALUE_BOUNDS[OfferKind(data.kind)]
    unit = {"bonus_points": "points", "percent_discount": "percent", "fixed_discount": "minor units"}
    if not low <= data.value <= high:
        problems.append(FieldProblem("value", f"between {low} and {high:,} {unit[data.kind]}"))
    if not 0 <= data.holdout_percent <= MAX_HOLDOUT_PERCENT:
        problems.append(FieldProblem("holdout_percent", f"between 0 and {MAX_HOLDOUT_PERCENT} percent"))
    if data.ends_at.tzinfo is None:
        problems.append(FieldProblem("ends_at", "a moment with its time zone"))
    elif data.ends_at <= uow.now():
        problems.append(FieldProblem("ends_at", "must be in the future"))
    target = (data.target or "").strip() or None
    target_kind = OfferTarget(data.target_kind)
    if target_kind is OfferTarget.ANY:
        target = None
    elif target is None:
        what = "an item key" if target_kind is OfferTarget.PRODUCT else "a category"
        problems.append(FieldProblem("target", f"name {what}"))
    elif not target_exists(uow.session, store_id, target_kind, target):
        what = "item" if target_kind is OfferTarget.PRODUCT else "category"
        problems.append(FieldProblem("target", f"no {what} {target!r} in this store's catalogue or orders"))
    segment = (data.segment or "").strip() or None
    if segment is not None and segment != PICKED and segment not in segment_labels():
        known = ", ".join([PICKED, *segment_labels()])
        problems.append(FieldProblem("segment", f"unknown segment {segment!r} (known: {known})"))
    if segment == PICKED and target_kind is OfferTarget.ANY:
        problems.append(FieldProblem("segment", "'picked' needs a product or category target"))
    if problems:
        raise Invalid("the offer was not saved", problems)
    return target, segment


def create_offer(uow: UnitOfWork, actor: Actor, store_id: int, data: OfferIn) -> Offer:
    """A draft offer (reaches nobody until launched). ``Invalid`` naming the fields that are wrong."""
    authorize_manage(actor, store_id)
    target, segment = check_offer(uow, store_id, data)
    now = uow.now()
    offer = Offer(
        store_id=store_id,
        name=data.name.strip(),
        description=data.description.strip(),
        kind=OfferKind(data.kind).value,
        value=data.value,
        target_kind=OfferTarget(data.target_kind).value,
        target=target,
        segment=segment,
        holdout_percent=data.holdout_percent,
        status=OfferStatus.DRAFT.value,
        channel="email",
        ends_at=data.ends_at,
        treatment_count=0,
        holdout_count=0,
        created_by=actor.id if actor.kind == "staff" else None,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(offer)
    uow.session.flush()
    _audit(uow, actor, "recommendations.offer_created", offer)
    return offer


def update_offer(uow: UnitOfWork, actor: Actor, store_id: int, offer_id: int, data: OfferIn) -> Offer:
    """Change a draft; a launched or ended offer is a ``Conflict`` (its customers were split on it)."""
    authorize_manage(actor, store_id)
    offer = offer_of(uow.session, store_id, offer_id, lock=uow.is_postgresql)
    if offer.status != OfferStatus.DRAFT:
        raise Conflict("only a draft can be changed: this offer was launched")
    target, segment = check_offer(uow, store_id, data)
    offer.name = data.name.strip()
    offer.description = data.description.strip()
    offer.kind = OfferKind(data.kind).value
    offer.value = data.value
    offer.target_kind = OfferTarget(data.target_kind).value
    offer.target = target
    offer.segment = segment
    offer.holdout_percent = data.holdout_percent
    offer.ends_at = data.ends_at
    offer.updated_at = uow.now()
    _audit(uow, actor, "recommendations.offer_changed", offer)
    return offer


def targeted_customers(session: Session, offer: Offer) -> list[int]:
    """Who the offer reaches, in id order: the store's loyalty members with an order (not erased),
    narrowed to the offer's analytics segment, or to those whose stored picks include its target."""
    # By customer only (a customer's orders are its store's): with the store in it too, SQLite searched
    # the orders by store for every customer (quadratic: a minute for 20,000 members).
    has_order = exists(select(Order.id).where(Order.customer_id == Customer.id))
    query = (
        select(Customer.id)
        .join(Member, (Member.customer_id == Customer.id) & (Member.store_id == offer.store_id))
        .where(Customer.store_id == offer.store_id, Customer.erased_at.is_(None), has_order)
    )
    if offer.segment == PICKED:
        picked = select(CustomerPick.customer_id).where(CustomerPick.store_id == offer.store_id)
        if offer.target_kind == OfferTarget.PRODUCT:
            picked = picked.where(CustomerPick.item_key == offer.target)
        else:
            keys = select(Product.external_id).where(
                Product.store_id == offer.store_id, Product.category == offer.target
            )
            skus = select(Product.sku).where(
                Product.store_id == offer.store_id,
                Product.category == offer.target,
                Product.sku.is_not(None),
            )
            picked = picked.where(or_(CustomerPick.item_key.in_(keys), CustomerPick.item_key.in_(skus)))
        query = query.where(Customer.id.in_(picked))
    customers = sorted(set(session.scalars(query)))
    if offer.segment not in (None, PICKED):
        segments = segments_of(session, offer.store_id, customers)
        customers = [cid for cid in customers if segments.get(cid) == offer.segment]
    return customers


def _audit(uow: UnitOfWork, actor: Actor, action: str, offer: Offer) -> None:
    record_audit(
        uow,
        actor,
        action,
        store_id=offer.store_id,
        target_type="recommendation_offer",
        target_id=offer.id,
        details={
            "name": offer.name,
            "status": offer.status,
            "kind": offer.kind,
            "value": offer.value,
            "target": offer.target,
            "segment": offer.segment,
            "holdout_percent": offer.holdout_percent,
            "treatment": offer.treatment_count,
            "holdout": offer.holdout_count,
        },
    )
