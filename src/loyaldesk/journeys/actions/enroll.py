"""Entering a rule: a trigger happened for a customer; if the rule's conditions hold, the customer's run
of the rule starts (an ``Enrollment`` due now), exactly once per occurrence.

Called by the event handler (``journeys.handlers``) and by the scans of dates, segments and schedules
(``journeys.actions.scan``). Every outcome, entered or not, is written to the explain record.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from loyaldesk.customers import Customer
from loyaldesk.journeys.actions.record import decide
from loyaldesk.journeys.events import JourneyEntered, RuleLoopStopped
from loyaldesk.journeys.models import Enrollment, JourneyRule
from loyaldesk.journeys.rules.conditions import evaluate
from loyaldesk.journeys.vocab import EnrollmentStatus, Outcome, Reason
from loyaldesk.kernel.db import UnitOfWork

# Rules triggering rules: a chain this deep is a loop (A tags, B reacts to the tag and grants points, A
# reacts to the points...). The run is not started and the rule shows an alert.
MAX_CHAIN_DEPTH = 5


def in_holdout(rule: JourneyRule, customer_id: int) -> bool:
    """Whether the customer is in the rule's holdout group: a stable draw per (rule, customer), so a
    customer stays in the same group across occurrences and the groups stay comparable."""
    if rule.holdout_percent <= 0:
        return False
    digest = hashlib.sha256(f"holdout:{rule.id}:{customer_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100 < rule.holdout_percent


def _stop_loop(
    uow: UnitOfWork,
    rule: JourneyRule,
    customer: Customer,
    occurrence: str,
    depth: int,
    context: dict[str, Any],
) -> None:
    """The chain is too deep: the run is recorded as ended before its first step (so that a repeat of
    the same event stops here too, once), the rule gets an alert and the explain record says why."""
    now = uow.now()
    savepoint = uow.session.begin_nested()
    try:
        uow.session.add(
            Enrollment(
                store_id=rule.store_id,
                rule_id=rule.id,
                rule_version=rule.version,
                customer_id=customer.id,
                occurrence=occurrence[:128],
                status=EnrollmentStatus.EXITED,
                step_index=0,
                due_at=None,
                depth=depth,
                context=context,
                steps_run=0,
                created_at=now,
                updated_at=now,
                finished_at=now,
            )
        )
        uow.session.flush()
        savepoint.commit()
    except IntegrityError:
        savepoint.rollback()
        return
    rule.alert = (
        f"Stopped at {now:%Y-%m-%d %H:%M} UTC: rules triggered each other {depth} times in a row "
        "(a loop). Check which rule's steps trigger this one."
    )
    decide(
        uow,
        store_id=rule.store_id,
        rule_id=rule.id,
        customer_id=customer.id,
        outcome=Outcome.LOOP_STOPPED,
        reason=Reason.LOOP_LIMIT,
        summary=rule.alert,
    )
    uow.emit(RuleLoopStopped(store_id=rule.store_id, customer_id=customer.id, rule_id=rule.id, depth=depth))


def try_enter(
    uow: UnitOfWork,
    rule: JourneyRule,
    customer: Customer,
    facts: Mapping[str, Any],
    *,
    occurrence: str,
    context: dict[str, Any],
    depth: int = 0,
    due_at: datetime | None = None,
    trigger_summary: str = "",
) -> Enrollment | None:
    """Start ``customer``'s run of ``rule`` for ``occurrence`` if the conditions hold and it has not
    started before; returns the new run (None when it did not start, with the reason recorded)."""
    base: dict[str, Any] = {"store_id": rule.store_id, "rule_id": rule.id, "customer_id": customer.id}
    if customer.erased_at is not None:
        return None
    if rule.reentry == "once":
        occurrence = "once"
    existing = uow.session.scalar(
        select(Enrollment.id).where(
            Enrollment.rule_id == rule.id,
            Enrollment.customer_id == customer.id,
            Enrollment.occurrence == occurrence,
        )
    )
    if existing is not None:
        return None  # a duplicate event or a second scan: the run exists once, nothing to record again
    if depth >= MAX_CHAIN_DEPTH:
        _stop_loop(uow, rule, customer, occurrence, depth, context)
        return None
    passed, results = evaluate(rule.conditions, facts)
    details = {
        "tests": [result.as_dict() for result in results],
        "occurrence": occurrence,
        "trigger": trigger_summary,
    }
    if not passed:
        failed = [r for r in results if not r.passed]
        decide(
            uow,
            **base,
            outcome=Outcome.NOT_ENTERED,
            reason=Reason.NOT_MATCHED,
            summary="Did not enter: "
            + "; ".join(f"{r.field} {r.op} {r.expected!r} (was {r.actual!r})" for r in failed[:5]),
            details=details,
        )
        return None
    held_out = in_holdout(rule, customer.id)
    now = uow.now()
    enrollment = Enrollment(
        store_id=rule.store_id,
        rule_id=rule.id,
        rule_version=rule.version,
        customer_id=customer.id,
        occurrence=occurrence[:128],
        status=EnrollmentStatus.HELD_OUT if held_out else EnrollmentStatus.DUE,
        step_index=0,
        due_at=None if held_out else (due_at or now),
        depth=depth,
        context=context,
        steps_run=0,
        created_at=now,
        updated_at=now,
        finished_at=now if held_out else None,
    )
    savepoint = uow.session.begin_nested()
    try:
        uow.session.add(enrollment)
        uow.session.flush()
        savepoint.commit()
    except IntegrityError:  # another worker entered the same occurrence first (the unique key)
        savepoint.rollback()
        return None
    decide(
        uow,
        **base,
        enrollment_id=enrollment.id,
        outcome=Outcome.HELD_OUT if held_out else Outcome.ENTERED,
        reason=Reason.HOLDOUT if held_out else None,
        summary=("Held out (measured, not contacted)" if held_out else "Entered")
        + (f": {trigger_summary}" if trigger_summary else ""),
        details=details,
    )
    uow.emit(
        JourneyEntered(
            store_id=rule.store_id,
            customer_id=customer.id,
            rule_id=rule.id,
            enrollment_id=enrollment.id,
            depth=depth,
        )
    )
    return enrollment
