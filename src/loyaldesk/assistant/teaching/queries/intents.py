"""The store's intents as the console and the API show them: built-in and custom, switched on or off,
with their example counts and cross-validated accuracy; the examples of one intent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loyaldesk.assistant.teaching.models import IntentExample, IntentModelRow, RetrainingRequest, StoreIntent
from loyaldesk.assistant.teaching.trainer import current_trainer
from loyaldesk.assistant.teaching.vocab import ExampleSource, ModelStatus
from loyaldesk.kernel.errors import NotFound


@dataclass(frozen=True)
class IntentView:
    name: str
    label: str
    description: str
    builtin: bool
    enabled: bool
    example_count: int = 0  # the store's own examples
    accuracy: float | None = None  # cross-validated, from the newest ready model

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "description": self.description,
            "builtin": self.builtin,
            "enabled": self.enabled,
            "example_count": self.example_count,
            "accuracy": self.accuracy,
        }


@dataclass(frozen=True)
class ExampleView:
    id: int
    intent: str
    text: str
    source: ExampleSource
    message_id: int | None
    added_by: str | None
    created_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "intent": self.intent,
            "text": self.text,
            "source": self.source.value,
            "message_id": self.message_id,
            "added_by": self.added_by,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True)
class ModelState:
    """Where the store's model stands: the one answering (``ready``: None means the built-in model), the
    newest training if it is running or failed after it, and whether a retraining waits."""

    ready_version: int | None
    trained_at: datetime | None
    accuracy: float | None
    report: dict[str, Any]
    example_count: int
    training_since: datetime | None
    failed_at: datetime | None
    failure: str | None
    retrain_due_at: datetime | None

    @property
    def status(self) -> str:
        if self.training_since is not None:
            return ModelStatus.TRAINING.value
        if self.failed_at is not None:
            return ModelStatus.FAILED.value
        return ModelStatus.READY.value

    def as_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "version": self.ready_version,
            "uses_builtin_model": self.ready_version is None,
            "trained_at": self.trained_at.isoformat() if self.trained_at else None,
            "accuracy": self.accuracy,
            "accuracy_per_intent": self.report.get("per_intent", {}),
            "example_count": self.example_count,
            "training_since": self.training_since.isoformat() if self.training_since else None,
            "failed_at": self.failed_at.isoformat() if self.failed_at else None,
            "failure": self.failure,
            "retraining_due_at": self.retrain_due_at.isoformat() if self.retrain_due_at else None,
        }


def store_intents(session: Session, store_id: int) -> list[IntentView]:
    """Every intent of the store, built-in ones first in the product's order, then the store's own by
    label; without counts (see ``intents_overview``)."""
    rows = {
        row.name: row for row in session.scalars(select(StoreIntent).where(StoreIntent.store_id == store_id))
    }
    views = []
    for info in current_trainer().builtin_intents():
        switch = rows.get(info.name)
        enabled = switch.enabled if switch is not None and switch.builtin else True
        views.append(IntentView(info.name, info.label, info.description, True, enabled))
    builtin_names = {view.name for view in views}
    custom = [row for row in rows.values() if not row.builtin and row.name not in builtin_names]
    for row in sorted(custom, key=lambda row: row.label.casefold()):
        views.append(IntentView(row.name, row.label, row.description, False, row.enabled))
    return views


def intent_of(session: Session, store_id: int, name: str) -> IntentView:
    """One intent of the store, or ``NotFound``."""
    for view in intents_overview(session, store_id):
        if view.name == name:
            return view
    raise NotFound("no such intent")


def enabled_intent_names(session: Session, store_id: int) -> set[str]:
    return {view.name for view in store_intents(session, store_id) if view.enabled}


def label_choices(session: Session, store_id: int) -> list[tuple[str, str]]:
    """(name, label) of the intents an agent may label a message with: those switched on."""
    return [(view.name, view.label) for view in store_intents(session, store_id) if view.enabled]


def newest_ready_model(session: Session, store_id: int) -> IntentModelRow | None:
    return session.scalar(
        select(IntentModelRow)
        .where(IntentModelRow.store_id == store_id, IntentModelRow.status == ModelStatus.READY)
        .order_by(IntentModelRow.version.desc())
        .limit(1)
    )


def intents_overview(session: Session, store_id: int) -> list[IntentView]:
    """Every intent with the store's example count and its cross-validated accuracy (from the model that
    answers now; None before the store's first training or for an intent it did not include)."""
    counts = dict(
        session.execute(
            select(IntentExample.intent, func.count())
            .where(IntentExample.store_id == store_id)
            .group_by(IntentExample.intent)
        ).all()
    )
    ready = newest_ready_model(session, store_id)
    per_intent = dict((ready.report or {}).get("per_intent", {})) if ready is not None else {}
    return [
        IntentView(
            view.name,
            view.label,
            view.description,
            view.builtin,
            view.enabled,
            int(counts.get(view.name, 0)),
            per_intent.get(view.name),
        )
        for view in store_intents(session, store_id)
    ]


def examples_of(
    session: Session, store_id: int, intent: str | None = None, *, limit: int = 500
) -> list[ExampleView]:
    """The store's examples (of one intent when given), newest first."""
    from loyaldesk.stores.models import StaffAccount

    query = (
        select(IntentExample, StaffAccount.name)
        .outerjoin(StaffAccount, StaffAccount.id == IntentExample.added_by_staff_id)
        .where(IntentExample.store_id == store_id)
        .order_by(IntentExample.id.desc())
        .limit(limit)
    )
    if intent is not None:
        query = query.where(IntentExample.intent == intent)
    return [
        ExampleView(
            row.id,
            row.intent,
            row.text,
            ExampleSource(row.source),
            row.message_id,
            staff_name,
            row.created_at,
        )
        for row, staff_name in session.execute(query).all()
    ]


def model_state(session: Session, store_id: int) -> ModelState:
    """The store's model status (see ``ModelState``)."""
    ready = newest_ready_model(session, store_id)
    newest = session.scalar(
        select(IntentModelRow)
        .where(IntentModelRow.store_id == store_id)
        .order_by(IntentModelRow.version.desc())
        .limit(1)
    )
    due = session.scalar(select(RetrainingRequest.due_at).where(RetrainingRequest.store_id == store_id))
    training = newest is not None and newest.status == ModelStatus.TRAINING
    failed = newest is not None and newest.status == ModelStatus.FAILED
    report = dict(ready.report or {}) if ready is not None else {}
    return ModelState(
        ready_version=ready.version if ready is not None else None,
        trained_at=ready.trained_at if ready is not None else None,
        accuracy=report.get("overall"),
        report=report,
        example_count=ready.example_count if ready is not None else 0,
        training_since=newest.started_at if training and newest is not None else None,
        failed_at=newest.trained_at if failed and newest is not None else None,
        failure=newest.error if failed and newest is not None else None,
        retrain_due_at=due,
    )
