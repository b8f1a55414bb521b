"""Helpers of the journeys console and API tests: message templates, customers, rules, and a stand-in
for the templates module (``journeys.actions.templates``, built elsewhere) that ``switch_on_builtin``
imports."""

from __future__ import annotations

from datetime import date
from typing import Any

from loyaldesk.customers import upsert_customer
from loyaldesk.customers.schemas import CustomerProfile
from loyaldesk.journeys.actions.rules import save_rule
from loyaldesk.journeys.builtins import BUILT_INS
from loyaldesk.journeys.models import MessageTemplate
from loyaldesk.journeys.schemas import RuleIn
from loyaldesk.kernel.db import Database, UnitOfWork
from tests.factories import StoreHandle


def make_template(
    db: Database, store_id: int, key: str, channel: str = "email", name: str | None = None
) -> None:
    def add(uow: UnitOfWork) -> None:
        now = uow.now()
        uow.session.add(
            MessageTemplate(
                store_id=store_id,
                key=key,
                channel=channel,
                name=name or key.replace("_", " ").capitalize(),
                subject=f"Hello {{{{ first_name }}}} from {key}",
                body="Hello",
                created_at=now,
                updated_at=now,
            )
        )

    db.write(add)


def builtin_templates(db: Database, store_id: int) -> None:
    """Every template the built-in journeys send, on its channel."""
    made: set[str] = set()
    for builtin in BUILT_INS:
        for step in builtin.steps:
            if step.get("kind") == "send" and step["template"] not in made:
                made.add(step["template"])
                make_template(db, store_id, step["template"], step.get("channel", "email"))


def customer(
    db: Database,
    store: StoreHandle,
    external_id: str,
    first: str,
    email: str,
    *,
    birthday: date | None = None,
    consent: bool = True,
    **more: Any,
) -> int:
    profile = CustomerProfile(
        first_name=first,
        last_name="Tester",
        email=email,
        birthday=birthday,
        marketing_consent=consent,
        **more,
    )
    return int(db.write(upsert_customer, store.actor, store.id, external_id, profile).customer.id)


def make_rule(db: Database, store: StoreHandle, **fields: Any) -> int:
    data = {
        "name": "Thanks after delivery",
        "trigger": {"kind": "event", "event": "order.delivered"},
        "conditions": {"all": [{"field": "loyalty.tier", "op": "eq", "value": "Gold"}]},
        "steps": [{"kind": "wait", "days": 2}, {"kind": "send", "channel": "email", "template": "thanks"}],
        "enabled": True,
        **fields,
    }
    return int(db.write(save_rule, store.actor, store.id, RuleIn(**data)).id)
