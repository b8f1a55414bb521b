"""Actions on an order's lines after it was received: an edit in the store changes them; the order follows.

Two ways an edit reaches loyaldesk (both Shopify's):

- ``restate_lines``: the store sends the whole order again (``orders/updated``) and its lines differ from
  the stored ones. The stored lines become the sent ones, unless the statement is older than the one the
  lines already come from (``Order.lines_as_of``: webhooks arrive out of order).
- ``apply_order_edit``: the store says what an edit changed (``orders/edited``: line ids and quantities,
  no prices). Units added to or removed from a known line are applied at that line's price; what cannot
  be priced (a new line, a discount or shipping change) is left to the next full statement of the order,
  with a warning on the order saying so. An edit the stored lines already reflect changes nothing.

Either way, each applied change makes a new revision of the order: the changed lines carry its number, the
order's amounts are recomputed, a note on the order says what changed, and ``OrderEdited`` is published
so that the points follow. A change that would undo a refund (fewer units than were refunded, a total
below what was given back) is not applied; a warning on the order says why. Each runs inside the
caller's unit of work, with the order locked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sqlalchemy import select, update

from loyaldesk.commerce.actions.status import locked_order
from loyaldesk.commerce.events import OrderEdited
from loyaldesk.commerce.models import Order, OrderLine
from loyaldesk.commerce.order_notes import NoteIn, add_order_notes, has_note
from loyaldesk.commerce.rules import (
    LineAmounts,
    order_totals,
    refund_status,
)
from loyaldesk.commerce.schemas import OrderIn
from loyaldesk.commerce.vocab import OrderNoteKind
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict
from loyaldesk.kernel.money import format_money
from loyaldesk.stores import authorize

RevisionResult = Literal["revised", "unchanged", "stale", "not_applied", "already_applied"]


@dataclass(frozen=True)
class NewLine:
    """A line as it should now be: ``external_id`` matches the stored line (None: a new line)."""

    external_id: str | None
    title: str
    quantity: int
    unit_price: int
    discount: int
    sku: str | None = None
    product_id: str | None = None
    category: str | None = None


@dataclass(frozen=True)
class NewAmounts:
    lines: list[NewLine]
    order_discount: int
    shipping_total: int
    tax_total: int
    taxes_included: bool
    total: int | None


@dataclass
class RevisionOutcome:
    result: RevisionResult
    detail: str
    revision: int
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class OrderEdit:
    """What an edit changed, as the store reported it (Shopify's ``orders/edited``)."""

    edit_id: str
    order_external_id: str
    at: datetime | None  # when it was committed (else created); None: unknown
    quantity_changes: tuple[tuple[str, int], ...]  # (the store's line id, units added (+) or removed (-))
    unpriced: tuple[str, ...] = ()  # changes this report cannot price, in words


def record_lines_as_of(uow: UnitOfWork, order_id: int, as_of: datetime | None) -> None:
    """Remember when the store stated the lines of an order just created."""
    if as_of is not None:
        uow.session.execute(update(Order).where(Order.id == order_id).values(lines_as_of=as_of))


def restate_lines(
    uow: UnitOfWork,
    actor: Actor,
    store_id: int,
    order_id: int,
    order: OrderIn,
    *,
    as_of: datetime | None,
    reason: str = "Updated order",
) -> RevisionOutcome:
    """Make the order's lines and amounts those of ``order`` (the store's new statement), as a revision."""
    authorize(actor, store_id, scope="orders:write", permission=None)
    stored = locked_order(uow, store_id, order_id=order_id)
    if as_of is not None and stored.lines_as_of is not None and as_of < stored.lines_as_of:
        return RevisionOutcome(
            "stale",
            f"lines not restated: this statement ({as_of.isoformat()}) is older than the stored one",
            stored.revision,
        )
    amounts = NewAmounts(
        lines=[
            NewLine(
                external_id=line.external_id,
                title=line.title,
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount=line.discount,
                sku=line.sku,
                product_id=line.product_id,
                category=line.category,
            )
            for line in order.lines
        ],
        order_discount=order.order_discount,
        shipping_total=order.shipping_total,
        tax_total=order.tax_total,
        taxes_included=order.taxes_included,
        total=order.total,
    )
    return _revise(uow, stored, amounts, as_of=as_of, reason=reason, key=None)


def apply_order_edit(uow: UnitOfWork, actor: Actor, store_id: int, edit: OrderEdit) -> RevisionOutcome:
    """Apply what can be priced of an edit report, once per edit (see the module's docstring).

    ``Conflict`` when the order has not been received yet (the store retries the delivery later)."""
    authorize(actor, store_id, scope="orders:write", permission=None)
    found = uow.session.scalar(
        select(Order.id).where(Order.store_id == store_id, Order.external_id == edit.order_external_id)
    )
    if found is None:
        raise Conflict(
            f"order {edit.order_external_id} has not been received yet; deliver it first, then retry"
        )
    order = locked_order(uow, store_id, order_id=found)
    key = f"edit:{edit.edit_id}"
    if has_note(uow, order.id, key):
        return RevisionOutcome("already_applied", f"edit {edit.edit_id} was already applied", order.revision)
    at = edit.at or uow.now()
    if order.lines_as_of is not None and at <= order.lines_as_of:
        add_order_notes(
            uow,
            store_id,
            order.id,
            [
                NoteIn(
                    OrderNoteKind.NOTE,
                    "edit",
                    f"Edit {edit.edit_id} is already in the order as the store last sent it.",
                    key=key,
                )
            ],
        )
        return RevisionOutcome("unchanged", f"edit {edit.edit_id} is already in the order", order.revision)
    lines = _lines_of(uow, order.id)
    by_external = {line.external_id: line for line in lines if line.external_id is not None}
    quantities = {line.id: line.quantity for line in lines}
    unpriced = list(edit.unpriced)
    for external_id, delta in edit.quantity_changes:
        line = by_external.get(external_id)
        if line is None:
            what = "added" if delta > 0 else "removed"
            unpriced.append(
                f"{abs(delta)} unit(s) of line {external_id} {what}, a line the order does not have yet"
            )
            continue
        quantities[line.id] = quantities[line.id] + delta
    new_lines: list[NewLine] = []
    for line in lines:
        quantity = quantities[line.id]
        if quantity <= 0:
            continue
        # Units removed take their share of the line's discount; units added come at the unit price.
        discount = line.discount * quantity // line.quantity if quantity < line.quantity else line.discount
        new_lines.append(
            NewLine(
                external_id=line.external_id,
                title=line.title,
                quantity=quantity,
                unit_price=line.unit_price,
                discount=discount,
                sku=line.sku,
                product_id=line.product_external_id,
                category=line.category,
            )
        )
    notes: list[NoteIn] = []
    if unpriced:
        notes.append(
            NoteIn(
                OrderNoteKind.WARNING,
                "edit",
                f"Edit {edit.edit_id} also changed what this notice does not price: {'; '.join(unpriced)}. "
                "It is counted when the store sends the updated order (Shopify's orders/updated).",
                key=f"{key}:unpriced",
            )
        )
    priced = any(quantities[line.id] != line.quantity for line in lines)
    if not priced:
        notes.append(NoteIn(OrderNoteKind.NOTE, "edit", f"Edit {edit.edit_id} received.", key=key))
        add_order_notes(uow, store_id, order.id, notes)
        return RevisionOutcome(
            "not_applied", f"edit {edit.edit_id}: nothing this notice prices", order.revision
        )
    old_lines_net = sum(line.total for line in lines)
    new_lines_net = sum(line.quantity * line.unit_price - line.discount for line in new_lines)
    amounts = NewAmounts(
        lines=new_lines,
        order_discount=0,
        shipping_total=order.shipping_total,
        tax_total=order.tax_total,
        taxes_included=order.taxes_included,
        # Tax and shipping are not in the notice: they stay until the store sends the updated order.
        total=max(order.total + new_lines_net - old_lines_net, 0),
    )
    outcome = _revise(uow, order, amounts, as_of=at, reason=f"Edit {edit.edit_id}", key=key)
    add_order_notes(uow, store_id, order.id, notes)
    return outcome


def _lines_of(uow: UnitOfWork, order_id: int) -> list[OrderLine]:
    return list(
        uow.session.scalars(
            select(OrderLine).where(OrderLine.order_id == order_id).order_by(OrderLine.position)
        )
    )


def _units(count: int) -> str:
    return f"{count} unit" if count == 1 else f"{count} units"


def _revise(
    uow: UnitOfWork,
    order: Order,
    amounts: NewAmounts,
    *,
    as_of: datetime | None,
    reason: str,
    key: str | None,
) -> RevisionOutcome:
    """Make ``amounts`` the order's, as its next revision, if anything changed and no refund is undone."""

    def show(minor: int) -> str:
        return format_money(minor, order.currency)

    lines = _lines_of(uow, order.id)
    totals = order_totals(
        [LineAmounts(line.quantity, line.unit_price, line.discount) for line in amounts.lines],
        order_discount=amounts.order_discount,
        shipping_total=amounts.shipping_total,
        tax_total=amounts.tax_total,
        taxes_included=amounts.taxes_included,
        total=amounts.total,
    )
    by_external = {line.external_id: line for line in lines if line.external_id is not None}
    problems: list[str] = []
    if any(line.external_id is None for line in lines):
        problems.append("the stored lines have no ids of the store's to match them by")
    matched: set[int] = set()
    plan: list[tuple[NewLine, OrderLine | None, int, int]] = []  # (new, stored, discount, total)
    for new, discount, total in zip(amounts.lines, totals.line_discounts, totals.line_totals, strict=True):
        stored = by_external.get(new.external_id) if new.external_id is not None else None
        if stored is not None:
            if stored.id in matched:
                problems.append(f"line {new.external_id} is listed twice")
                continue
            matched.add(stored.id)
            if new.quantity < stored.refunded_quantity:
                problems.append(
                    f"{stored.title} would have {_units(new.quantity)}, but "
                    f"{_units(stored.refunded_quantity)} were refunded"
                )
            elif total < stored.refunded_amount:
                problems.append(
                    f"{stored.title} would be worth {show(total)}, "
                    f"but {show(stored.refunded_amount)} was refunded"
                )
        plan.append((new, stored, discount, total))
    removed = [line for line in lines if line.id not in matched]
    for line in removed:
        if line.refunded_quantity or line.refunded_amount:
            problems.append(f"{line.title} would be removed, but it was refunded")
    if totals.total < order.refunded_total:
        problems.append(
            f"the total would be {show(totals.total)}, but {show(order.refunded_total)} was refunded"
        )
    if problems:
        add_order_notes(
            uow,
            order.store_id,
            order.id,
            [
                NoteIn(
                    OrderNoteKind.WARNING,
                    "edit",
                    f"{reason} was not applied: {'; '.join(problems)}. "
                    "The order and its points stay as they were.",
                    key=key,
                )
            ],
        )
        return RevisionOutcome("not_applied", f"{reason} not applied: {'; '.join(problems)}", order.revision)

    changes: list[str] = []
    revision = order.revision + 1
    for new, stored, discount, total in plan:
        if stored is None:
            changes.append(f"added {new.quantity} \N{MULTIPLICATION SIGN} {new.title} ({show(total)})")
            continue
        if (stored.quantity, stored.unit_price, stored.discount, stored.total) != (
            new.quantity,
            new.unit_price,
            discount,
            total,
        ):
            if stored.quantity != new.quantity:
                changes.append(f"{stored.title}: {stored.quantity} → {_units(new.quantity)}")
            else:
                changes.append(f"{stored.title}: {show(stored.total)} → {show(total)}")
    for line in removed:
        changes.append(f"removed {line.title}")
    amounts_changed = (order.shipping_total, order.tax_total, order.total) != (
        totals.shipping_total,
        totals.tax_total,
        totals.total,
    )
    if amounts_changed and not changes:
        changes.append("shipping, tax or total changed")
    later = as_of if as_of is not None else uow.now()
    if not changes:
        if order.lines_as_of is None or later > order.lines_as_of:
            order.lines_as_of = later
        return RevisionOutcome("unchanged", "lines unchanged", order.revision)

    position = max((line.position for line in lines), default=-1)
    for new, stored, discount, total in plan:
        if stored is None:
            position += 1
            uow.session.add(
                OrderLine(
                    order_id=order.id,
                    external_id=new.external_id,
                    position=position,
                    sku=new.sku,
                    product_external_id=new.product_id,
                    title=new.title,
                    category=new.category,
                    quantity=new.quantity,
                    unit_price=new.unit_price,
                    discount=discount,
                    total=total,
                    refunded_quantity=0,
                    refunded_amount=0,
                    revision=revision,
                )
            )
            continue
        if (stored.quantity, stored.unit_price, stored.discount, stored.total) != (
            new.quantity,
            new.unit_price,
            discount,
            total,
        ):
            stored.quantity, stored.unit_price = new.quantity, new.unit_price
            stored.discount, stored.total = discount, total
            stored.revision = revision
        stored.title, stored.sku, stored.category = new.title, new.sku, new.category
    for line in removed:
        uow.session.delete(line)
    total_before = order.total
    order.subtotal = totals.subtotal
    order.discount_total = totals.discount_total
    order.shipping_total = totals.shipping_total
    order.tax_total = totals.tax_total
    order.taxes_included = amounts.taxes_included
    order.total = totals.total
    order.refund_status = refund_status(order.total, order.refunded_total).value
    order.revision = revision
    order.lines_as_of = later if order.lines_as_of is None else max(order.lines_as_of, later)
    order.updated_at = uow.now()
    uow.session.flush()
    summary = "; ".join(changes)
    add_order_notes(
        uow,
        order.store_id,
        order.id,
        [
            NoteIn(
                OrderNoteKind.NOTE,
                "edit",
                f"{reason} applied (revision {revision}): {summary}. Total {show(total_before)} → "
                f"{show(order.total)}.",
                key=key or f"revision:{revision}",
            )
        ],
    )
    uow.emit(
        OrderEdited(
            store_id=order.store_id,
            customer_id=order.customer_id,
            order_id=order.id,
            number=order.number,
            revision=revision,
            total_before=total_before,
            total=order.total,
            currency=order.currency,
            changes=changes,
        )
    )
    return RevisionOutcome("revised", f"revision {revision}: {summary}", revision)
