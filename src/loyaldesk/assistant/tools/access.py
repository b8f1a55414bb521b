"""Who may see what: the one place where the tools turn an ``Asker`` into the orders and the customer they
may read. Every read of an order or of a member by a tool goes through here.

Contracts:
- ``own_customer_id`` is the asker's customer id only when that customer belongs to the asker's store
  (a customer id of another store, forged or mixed up, counts as no identity at all).
- ``proven_order_ids`` is ``asker.verified_order_ids`` narrowed to what the conversation really proved
  (``order_proofs``): a forged ``Asker`` cannot widen it.
- ``visible_order`` finds an order by its number among the orders the asker may see, and nothing else:
  another customer's order and a number that does not exist both give None.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from loyaldesk.assistant.tools.models import OrderProof
from loyaldesk.assistant.tools.registry import Asker
from loyaldesk.commerce import Order
from loyaldesk.customers import Customer

# What a shopper types for an order number: "1001", "#1001", "order 1001" (the dialogue's slot), kept
# to the characters order numbers use; anything else is no number at all.
_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,62}")


def clean_order_number(raw: str | None) -> str | None:
    """The order number as stored without its ``#``, or None when ``raw`` is not an order number."""
    if raw is None:
        return None
    text = raw.strip().lstrip("#").strip()
    return text if _NUMBER.fullmatch(text) else None


def own_customer_id(session: Session, asker: Asker) -> int | None:
    """The asker's customer id when it is a customer of the asker's store, else None."""
    if asker.customer_id is None:
        return None
    store_id = session.scalar(select(Customer.store_id).where(Customer.id == asker.customer_id))
    return asker.customer_id if store_id == asker.store_id else None


def verified_orders(session: Session, conversation_id: int) -> frozenset[int]:
    """The orders proven with a one-time code in this conversation (for ``Asker.verified_order_ids``)."""
    return frozenset(
        session.scalars(
            select(OrderProof.order_id).where(
                OrderProof.conversation_id == conversation_id,
                OrderProof.verified_at.is_not(None),
                OrderProof.order_id.is_not(None),
            )
        )
    )


def proven_order_ids(session: Session, asker: Asker) -> frozenset[int]:
    if not asker.verified_order_ids or asker.conversation_id is None:
        return frozenset()
    return asker.verified_order_ids & verified_orders(session, asker.conversation_id)


def has_identity(session: Session, asker: Asker) -> bool:
    """Whether the asker may read orders at all: a customer of this store, or an order proven."""
    return own_customer_id(session, asker) is not None or bool(proven_order_ids(session, asker))


def _visible(session: Session, asker: Asker) -> list[object] | None:
    customer_id = own_customer_id(session, asker)
    proven = proven_order_ids(session, asker)
    conditions: list[object] = []
    if customer_id is not None:
        conditions.append(Order.customer_id == customer_id)
    if proven:
        conditions.append(Order.id.in_(sorted(proven)))
    return conditions or None


def visible_order(session: Session, asker: Asker, number: str | None) -> Order | None:
    """The asker's order with ``number`` (``#`` or not); without a number their latest order. None when
    nothing the asker may see matches, whether or not such an order exists for someone else."""
    conditions = _visible(session, asker)
    if conditions is None:
        return None
    query = select(Order).where(Order.store_id == asker.store_id, or_(*conditions))  # type: ignore[arg-type]
    if number is not None:
        query = query.where(Order.number.in_((number, f"#{number}")))
    return session.scalar(query.order_by(Order.placed_at.desc(), Order.id.desc()).limit(1))


def aware(value: datetime) -> datetime:
    from datetime import UTC

    return value if value.tzinfo else value.replace(tzinfo=UTC)
