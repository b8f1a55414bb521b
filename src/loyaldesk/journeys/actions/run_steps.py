"""Running a customer's journey: the due runs are claimed (``FOR UPDATE SKIP LOCKED`` on PostgreSQL;
the single writer on SQLite) and each goes through its steps until a wait or the end, in one
transaction per run, so that a step and the run's move past it commit together (a step is done once).

A send step only *queues* the message (``journeys.actions.deliver`` sends it); every other step acts
through its owning domain's actions (points through loyalty's granter, tags and assignment through the
desk's actions), as a system actor named after the rule.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from loyaldesk.customers import Customer, grant_goodwill_points, grant_goodwill_reward
from loyaldesk.customers.events import CustomerUpdated
from loyaldesk.journeys.actions.messaging_settings import messaging_settings
from loyaldesk.journeys.actions.record import decide
from loyaldesk.journeys.events import TaskCreated
from loyaldesk.journeys.models import Enrollment, JourneyRule, Send, TeamTask
from loyaldesk.journeys.ports import SurveyAsk, survey_asker
from loyaldesk.journeys.queries.facts import facts_for, fields_named, home_country
from loyaldesk.journeys.rules.conditions import evaluate
from loyaldesk.journeys.rules.delivery_window import recipient_zone
from loyaldesk.journeys.vocab import EnrollmentStatus, MessageCategory, Outcome, Reason, SendStatus, StepKind
from loyaldesk.kernel.actors import system_for
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.stores import Store
from loyaldesk.support import assign, post_agent_message, update_conversation

log = logging.getLogger("loyaldesk.journeys")

MAX_STEPS_PER_PASS = 40  # a run that loops through branches this often in one go is stopped
STEP_FAILURE_RETRY = timedelta(minutes=5)


def run_due(uow: UnitOfWork, limit: int = 200) -> int:
    """Advance up to ``limit`` runs whose next step is due. Returns how many were taken."""
    now = uow.now()
    query = (
        select(Enrollment)
        .where(Enrollment.status == EnrollmentStatus.DUE, Enrollment.due_at <= now)
        .order_by(Enrollment.due_at, Enrollment.id)
        .limit(limit)
    )
    if uow.is_postgresql:
        query = query.with_for_update(skip_locked=True)
    runs = list(uow.session.scalars(query))
    for enrollment in runs:
        mark = uow.mark()
        savepoint = uow.session.begin_nested()
        try:
            advance(uow, enrollment)
            savepoint.commit()
        except Exception as error:  # one run's failure must not hold back the others
            savepoint.rollback()
            uow.discard_since(mark)
            log.warning("journey run %s failed: %s", enrollment.id, error)
            enrollment.due_at = now + STEP_FAILURE_RETRY
            decide(
                uow,
                store_id=enrollment.store_id,
                rule_id=enrollment.rule_id,
                customer_id=enrollment.customer_id,
                enrollment_id=enrollment.id,
                outcome=Outcome.FAILED,
                summary=f"Step {enrollment.step_index + 1} failed, retrying in 5 minutes: {error}",
            )
        finally:
            uow.chain_depth = 0
    return len(runs)


def advance(uow: UnitOfWork, enrollment: Enrollment) -> None:
    """Run ``enrollment``'s steps from its current one until one waits or the rule ends."""
    now = uow.now()
    rule = uow.session.get(JourneyRule, enrollment.rule_id)
    customer = uow.session.get(Customer, enrollment.customer_id)
    base: dict[str, Any] = {
        "store_id": enrollment.store_id,
        "rule_id": enrollment.rule_id,
        "customer_id": enrollment.customer_id,
    }
    if rule is None or customer is None or customer.erased_at is not None or not rule.enabled:
        reason = Reason.ERASED if customer is None or customer.erased_at is not None else Reason.RULE_OFF
        _finish(uow, enrollment, EnrollmentStatus.EXITED)
        if rule is not None:
            decide(
                uow,
                **base,
                enrollment_id=enrollment.id,
                outcome=Outcome.EXITED,
                reason=reason,
                summary="Run ended early",
            )
        return
    uow.chain_depth = enrollment.depth + 1  # what the steps cause is one link further down the chain
    if enrollment.waiting_event is not None:  # due while waiting for an event: the wait timed out
        resume_waiting(uow, enrollment, event_arrived=False)
        if enrollment.status != EnrollmentStatus.DUE:
            return
    steps = rule.steps
    store = uow.session.get(Store, rule.store_id)
    assert store is not None
    for _ in range(MAX_STEPS_PER_PASS):
        index = enrollment.step_index
        if index >= len(steps):
            _finish(uow, enrollment, EnrollmentStatus.DONE)
            decide(
                uow, **base, enrollment_id=enrollment.id, outcome=Outcome.DONE, summary="Finished every step"
            )
            return
        step = steps[index]
        kind = StepKind(step["kind"])
        enrollment.steps_run += 1
        enrollment.updated_at = now
        if kind is StepKind.EXIT:
            enrollment.step_index = len(steps)
            continue
        if kind is StepKind.WAIT:
            minutes = (
                float(step.get("minutes") or 0)
                + 60 * float(step.get("hours") or 0)
                + 1440 * float(step.get("days") or 0)
            )
            return _wait(enrollment, now + timedelta(minutes=minutes))
        if kind is StepKind.WAIT_UNTIL:
            return _wait(enrollment, _next_time_of_day(uow, step, store, customer, now))
        if kind is StepKind.WAIT_FOR_EVENT:
            enrollment.waiting_event = str(step["event"])
            return _wait(enrollment, now + timedelta(hours=float(step["timeout_hours"])))
        if kind is StepKind.BRANCH:
            facts = facts_for(
                uow.session,
                store,
                [customer],
                now,
                context={customer.id: enrollment.context},
                needs=fields_named(step["if"]),
            )[customer.id]
            passed, results = evaluate(step["if"], facts)
            enrollment.step_index = index + 1 if passed else int(step.get("else_goto", len(steps)))
            decide(
                uow,
                **base,
                enrollment_id=enrollment.id,
                outcome=Outcome.STEP,
                summary=f"Step {index + 1} (branch): {'yes' if passed else 'no'}",
                details={"tests": [r.as_dict() for r in results]},
            )
            continue
        if kind is StepKind.SPLIT:
            enrollment.variant = _variant(step["variants"], rule.id, customer.id)
            decide(
                uow,
                **base,
                enrollment_id=enrollment.id,
                outcome=Outcome.STEP,
                summary=f"Step {index + 1} (split): variant {enrollment.variant}",
            )
            enrollment.step_index = index + 1
            continue
        _act(uow, rule, enrollment, customer, store, step, kind, index, now)
        enrollment.step_index = index + 1
    _finish(uow, enrollment, EnrollmentStatus.FAILED)
    decide(
        uow,
        **base,
        enrollment_id=enrollment.id,
        outcome=Outcome.FAILED,
        summary="Stopped: the steps went round in circles",
    )


def _wait(enrollment: Enrollment, until: datetime) -> None:
    enrollment.due_at = until
    enrollment.step_index += 1 if enrollment.waiting_event is None else 0


def resume_waiting(uow: UnitOfWork, enrollment: Enrollment, *, event_arrived: bool) -> None:
    """A run waiting for an event: the event arrived (``event_arrived``) or the wait timed out. Goes on
    or ends as the step says, and is due now."""
    rule = uow.session.get(JourneyRule, enrollment.rule_id)
    step = rule.steps[enrollment.step_index] if rule and enrollment.step_index < len(rule.steps) else {}
    choice = step.get("on_event" if event_arrived else "on_timeout", "continue")
    enrollment.waiting_event = None
    enrollment.updated_at = uow.now()
    decide(
        uow,
        store_id=enrollment.store_id,
        rule_id=enrollment.rule_id,
        customer_id=enrollment.customer_id,
        enrollment_id=enrollment.id,
        outcome=Outcome.STEP,
        summary=(
            f"Step {enrollment.step_index + 1}: {step.get('event')} "
            f"{'happened' if event_arrived else 'did not happen in time'}; {choice}"
        ),
    )
    if choice == "exit":
        _finish(uow, enrollment, EnrollmentStatus.EXITED)
        return
    enrollment.step_index += 1
    enrollment.due_at = uow.now()


def _finish(uow: UnitOfWork, enrollment: Enrollment, status: EnrollmentStatus) -> None:
    enrollment.status = status
    enrollment.due_at = None
    enrollment.waiting_event = None
    enrollment.finished_at = uow.now()
    enrollment.updated_at = uow.now()


def _variant(variants: dict[str, float], rule_id: int, customer_id: int) -> str:
    digest = hashlib.sha256(f"split:{rule_id}:{customer_id}".encode()).digest()
    draw = int.from_bytes(digest[:4], "big") % 10000 / 100
    total = 0.0
    for name, share in variants.items():
        total += float(share)
        if draw < total:
            return name
    return list(variants)[-1]


def _next_time_of_day(
    uow: UnitOfWork, step: dict[str, Any], store: Store, customer: Customer, now: datetime
) -> datetime:
    if step.get("timezone", "recipient") == "store":
        zone, _ = recipient_zone(None, None, None, store.timezone)
    else:
        zone, _ = recipient_zone(
            customer.timezone, customer.phone, home_country(uow.session, customer), store.timezone
        )
    local = now.astimezone(zone)
    at = datetime.combine(local.date(), time.fromisoformat(str(step["time"])), zone)
    if at <= local:
        at = datetime.combine(local.date() + timedelta(days=1), time.fromisoformat(str(step["time"])), zone)
    return at.astimezone(now.tzinfo)


def send_key(rule_id: int, index: int, customer_id: int, occurrence: str) -> str:
    """A send's idempotency key: (rule, step, customer, occurrence)."""
    return f"r{rule_id}:s{index}:c{customer_id}:{occurrence}"[:200]


def _act(
    uow: UnitOfWork,
    rule: JourneyRule,
    enrollment: Enrollment,
    customer: Customer,
    store: Store,
    step: dict[str, Any],
    kind: StepKind,
    index: int,
    now: datetime,
) -> None:
    base: dict[str, Any] = {
        "store_id": rule.store_id,
        "rule_id": rule.id,
        "customer_id": customer.id,
        "enrollment_id": enrollment.id,
    }
    key = send_key(rule.id, index, customer.id, enrollment.occurrence)
    actor = system_for(rule.store_id, f"journey: {rule.name}"[:80])
    conversation_id = enrollment.context.get("conversation_id")
    summary = f"Step {index + 1} ({kind.value})"
    if kind is StepKind.SEND:
        template = (step.get("variants") or {}).get(enrollment.variant or "") or step.get("template")
        if uow.session.scalar(select(Send.id).where(Send.idempotency_key == key)) is not None:
            decide(
                uow,
                **base,
                outcome=Outcome.SUPPRESSED,
                reason=Reason.ALREADY_SENT,
                summary=f"{summary}: already queued once",
            )
            return
        settings = messaging_settings(uow.session, rule.store_id)
        send = Send(
            store_id=rule.store_id,
            rule_id=rule.id,
            enrollment_id=enrollment.id,
            step_index=index,
            customer_id=customer.id,
            channel=step["channel"],
            category=rule.category,
            template_key=template,
            content={"context": enrollment.context},
            variant=enrollment.variant,
            idempotency_key=key,
            status=SendStatus.QUEUED,
            due_at=now,
            created_at=now,
            attempts=0,
            expires_at=now + timedelta(hours=settings.max_defer_hours)
            if rule.category == MessageCategory.MARKETING
            else None,
        )
        uow.session.add(send)
        uow.session.flush()
        decide(
            uow,
            **base,
            send_id=send.id,
            outcome=Outcome.QUEUED,
            summary=f"{summary}: {step['channel']} message {template!r} queued",
        )
        return
    if kind is StepKind.GRANT_POINTS:
        given = grant_goodwill_points(
            uow,
            rule.store_id,
            customer.id,
            points=int(step["points"]),
            note=str(step.get("reason") or rule.name)[:200],
            key=f"journey:{key}",
            reason_code="goodwill",
            actor_label=actor.label,
        )
        summary += f": {step['points']} points (balance {given.available_points})"
    elif kind is StepKind.GRANT_REWARD:
        grant_goodwill_reward(
            uow,
            rule.store_id,
            customer.id,
            reward_id=int(step["reward_id"]),
            note=rule.name[:200],
            key=f"journey:{key}",
            actor_label=actor.label,
        )
        summary += f": reward {step['reward_id']}"
    elif kind is StepKind.TAG_CUSTOMER:
        tag = str(step["tag"]).strip()
        if tag not in (customer.tags or []):
            customer.tags = [*(customer.tags or []), tag]
            customer.updated_at = now
            uow.emit(
                CustomerUpdated(store_id=customer.store_id, customer_id=customer.id, changed_fields=["tags"])
            )
        summary += f": tagged {tag!r}"
    elif kind in (StepKind.TAG_CONVERSATION, StepKind.ASSIGN, StepKind.SET_PRIORITY, StepKind.REPLY):
        if not conversation_id:
            decide(
                uow, **base, outcome=Outcome.STEP, summary=f"{summary}: skipped, no conversation in this run"
            )
            return
        conversation_id = int(conversation_id)
        if kind is StepKind.TAG_CONVERSATION:
            from loyaldesk.support import Conversation

            conversation = uow.session.get(Conversation, conversation_id)
            labels = list(conversation.labels or []) if conversation else []
            if conversation and step["tag"] not in labels:
                update_conversation(uow, actor, conversation_id, labels=[*labels, str(step["tag"])])
        elif kind is StepKind.ASSIGN:
            assign(
                uow,
                actor,
                conversation_id,
                assignee_id=step.get("staff_id"),
                **({"team_id": step["team_id"]} if step.get("team_id") else {}),
            )
        elif kind is StepKind.SET_PRIORITY:
            update_conversation(uow, actor, conversation_id, priority=str(step["priority"]))
        else:
            post_agent_message(uow, actor, conversation_id, body=str(step["text"]))
    elif kind is StepKind.CREATE_TASK:
        if uow.session.scalar(select(TeamTask.id).where(TeamTask.idempotency_key == key)) is None:
            task = TeamTask(
                store_id=rule.store_id,
                rule_id=rule.id,
                customer_id=customer.id,
                title=str(step["title"])[:300],
                details=str(step.get("details") or ""),
                status="open",
                idempotency_key=key,
                created_at=now,
                due_at=now + timedelta(hours=float(step["due_hours"])) if step.get("due_hours") else None,
            )
            uow.session.add(task)
            uow.session.flush()
            uow.emit(
                TaskCreated(store_id=rule.store_id, customer_id=customer.id, task_id=task.id, rule_id=rule.id)
            )
        summary += f": task {step['title']!r}"
    elif kind is StepKind.ASK_SURVEY:
        asker = survey_asker()
        if asker is None:
            summary += ": surveys are not set up in this process"
        else:
            summary += ": " + asker.ask(
                uow,
                SurveyAsk(
                    store_id=rule.store_id,
                    rule_id=rule.id,
                    enrollment_id=enrollment.id,
                    step_index=index,
                    customer_id=customer.id,
                    step=dict(step),
                    context=dict(enrollment.context or {}),
                    key=key,
                ),
            )
    elif kind is StepKind.CALL_WEBHOOK:
        if uow.session.scalar(select(Send.id).where(Send.idempotency_key == key)) is None:
            uow.session.add(
                Send(
                    store_id=rule.store_id,
                    rule_id=rule.id,
                    enrollment_id=enrollment.id,
                    step_index=index,
                    customer_id=customer.id,
                    channel="webhook",
                    category=MessageCategory.TRANSACTIONAL,
                    template_key=None,
                    content={"url": step["url"], "context": enrollment.context},
                    idempotency_key=key,
                    status=SendStatus.QUEUED,
                    due_at=now,
                    created_at=now,
                    attempts=0,
                )
            )
        summary += f": POST {step['url']}"
    decide(uow, **base, outcome=Outcome.STEP, summary=summary)
