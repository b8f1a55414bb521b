"""The explain record: every decision the engine takes about a customer and a rule, in words."""

from __future__ import annotations

from typing import Any

from loyaldesk.journeys.models import Decision
from loyaldesk.journeys.vocab import Outcome, Reason
from loyaldesk.kernel.db import UnitOfWork


def decide(
    uow: UnitOfWork,
    *,
    store_id: int,
    rule_id: int,
    customer_id: int,
    outcome: Outcome,
    summary: str,
    reason: Reason | None = None,
    enrollment_id: int | None = None,
    send_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    uow.session.add(
        Decision(
            store_id=store_id,
            rule_id=rule_id,
            customer_id=customer_id,
            enrollment_id=enrollment_id,
            send_id=send_id,
            at=uow.now(),
            outcome=outcome.value,
            reason=reason.value if reason else None,
            summary=summary[:2000],
            details=details or {},
        )
    )
