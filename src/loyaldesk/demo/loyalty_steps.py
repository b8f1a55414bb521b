"""The demo's loyalty steps used around the replayed history: the weekly round of jobs, a reward code put
on an order, an action tried in a savepoint, and the people acting (staff and shoppers)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from loyaldesk.customers import CustomerProfile, CustomerRef
from loyaldesk.demo.catalogue import CATALOGUE
from loyaldesk.demo.generator import DemoCustomer
from loyaldesk.demo.loyalty_program import (
    retax,
)
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import DomainError
from loyaldesk.loyalty import (
    Reward,
    expire_codes,
    expire_due_lots,
    review_due_tiers,
    send_winback_rewards,
    unlock_due_lots,
)
from loyaldesk.stores import StaffAccount


def run_due_jobs(uow: UnitOfWork, *, winback: bool = True) -> int:
    """The weekly round of loyalty jobs (those the server runs every few minutes), each until done."""
    done = 0
    for job, batch in (
        (unlock_due_lots, 500),
        (expire_due_lots, 500),
        (expire_codes, 500),
        (review_due_tiers, 500),
    ):
        for _ in range(1000):
            did = job(uow)
            done += did
            if did < batch:
                break
    return done + (send_winback_rewards(uow) if winback else 0)


def apply_code(payload: dict[str, Any], code: str, reward: Reward) -> None:
    """An order (not yet sent) uses a reward code: the code and its discount go on the order."""
    payload["discount_codes"] = [*payload["discount_codes"], code]
    subtotal = sum(line["quantity"] * line["unit_price"] for line in payload["lines"])
    room = max(subtotal - payload["order_discount"] - 100, 0)
    if reward.kind in ("fixed_discount", "store_credit"):
        payload["order_discount"] += min(reward.value, room)
    elif reward.kind == "percentage_discount":
        payload["order_discount"] += min(room, (subtotal - payload["order_discount"]) * reward.value // 100)
    elif reward.kind == "free_shipping":
        payload["shipping_total"] = 0
    elif reward.kind == "free_product" and reward.product_sku:
        item = next((item for item in CATALOGUE if item.sku == reward.product_sku), None)
        if item is not None:
            payload["lines"].append(
                {
                    "external_id": f"{payload['number'][1:]}-{len(payload['lines']) + 1}",
                    "sku": item.sku,
                    "product_id": item.sku,
                    "title": item.title,
                    "category": item.category,
                    "quantity": 1,
                    "unit_price": item.price,
                    "discount": item.price,
                }
            )
    retax(payload)


def attempt(uow: UnitOfWork, action: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run an action in a savepoint; a refusal (not enough points, sold out...) rolls back only it."""
    mark = uow.mark()
    savepoint = uow.session.begin_nested()
    try:
        result = action(uow, *args, **kwargs)
        savepoint.commit()
    except DomainError:
        savepoint.rollback()
        uow.discard_since(mark)
        return None
    return result


def staff_actor(account: StaffAccount, store_id: int, role: str) -> Actor:
    """The staff member acting in the store with this role."""
    return Actor(kind="staff", id=account.id, store_id=store_id, label=account.email, role=role)


def customer_ref(person: DemoCustomer, seen: datetime) -> CustomerRef:
    """How a demo shopper is found or created: by their ids, with their whole profile."""
    return CustomerRef(
        external_id=person.external_id,
        email=person.email,
        profile=CustomerProfile(
            email=person.email,
            first_name=person.first_name,
            last_name=person.last_name,
            phone=person.phone,
            birthday=person.birthday,
            locale=person.locale,
            timezone=person.timezone,
            marketing_consent=person.marketing_consent,
            tags=person.tags,
            attributes={"country": person.country},
            preferences=person.preferences,
        ),
        first_seen_at=seen,
    )


def parse_time(text: str) -> datetime:
    """A time written in ISO 8601 (as the generated payloads carry them)."""
    return datetime.fromisoformat(text)
