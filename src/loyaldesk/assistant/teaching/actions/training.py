"""One training of a store's model, in three steps so that no transaction stays open while the CPU
trains: ``claim_due_training`` (a store whose retraining is due: a ``training`` row, the examples read in
the same transaction), the training itself (``jobs.train``), then ``finish_training`` (the model and its
report, or the failure with its reason; a failure leaves the previous model answering)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select, update

from loyaldesk.assistant.teaching.events import IntentModelTrained
from loyaldesk.assistant.teaching.models import IntentExample, IntentModelRow, RetrainingRequest
from loyaldesk.assistant.teaching.queries.intents import enabled_intent_names
from loyaldesk.assistant.teaching.rules import OUT_OF_SCOPE_LABEL
from loyaldesk.assistant.teaching.trainer import current_trainer
from loyaldesk.assistant.teaching.vocab import ModelStatus
from loyaldesk.kernel.db import UnitOfWork

# A training that has not finished after this long died with its process: it is marked failed.
TRAINING_GIVES_UP_AFTER = timedelta(hours=1)
MAX_ERROR_LENGTH = 2000
# Versions kept per store once a new one is ready (the history of its accuracy; older blobs go).
KEEP_VERSIONS = 5


@dataclass(frozen=True)
class TrainingClaim:
    store_id: int
    model_id: int
    version: int
    texts: tuple[str, ...]
    labels: tuple[str, ...]
    store_example_count: int


def _give_up_on_stale(uow: UnitOfWork) -> None:
    uow.session.execute(
        update(IntentModelRow)
        .where(
            IntentModelRow.status == ModelStatus.TRAINING,
            IntentModelRow.started_at < uow.now() - TRAINING_GIVES_UP_AFTER,
        )
        .values(status=ModelStatus.FAILED.value, error="the training stopped (its process ended)")
    )


def claim_due_training(uow: UnitOfWork) -> TrainingClaim | None:
    """Take one store whose retraining is due (``SKIP LOCKED`` on PostgreSQL: several workers never take
    the same one), clear its request, open a ``training`` model row, and return what to train on: the
    built-in examples of the intents the store keeps on plus the store's own examples of intents on."""
    _give_up_on_stale(uow)
    query = (
        select(RetrainingRequest)
        .where(RetrainingRequest.due_at.is_not(None), RetrainingRequest.due_at <= uow.now())
        .order_by(RetrainingRequest.due_at)
        .limit(1)
    )
    if uow.is_postgresql:
        query = query.with_for_update(skip_locked=True)
    request = uow.session.scalar(query)
    if request is None:
        return None
    store_id = request.store_id
    request.due_at = None
    enabled = enabled_intent_names(uow.session, store_id)
    # The built-in out-of-scope examples teach the model what none of the store's intents is.
    keep = enabled | {OUT_OF_SCOPE_LABEL}
    pairs = [(text, label) for text, label in current_trainer().default_examples() if label in keep]
    own = [
        (text, intent)
        for text, intent in uow.session.execute(
            select(IntentExample.text, IntentExample.intent)
            .where(IntentExample.store_id == store_id)
            .order_by(IntentExample.id)
        ).all()
        if intent in enabled
    ]
    pairs += own
    version = (
        uow.session.scalar(
            select(func.max(IntentModelRow.version)).where(IntentModelRow.store_id == store_id)
        )
        or 0
    ) + 1
    row = IntentModelRow(
        store_id=store_id,
        version=version,
        status=ModelStatus.TRAINING.value,
        blob=None,
        example_count=len(pairs),
        store_example_count=len(own),
        report={},
        error=None,
        started_at=uow.now(),
        trained_at=None,
    )
    uow.session.add(row)
    uow.session.flush()
    return TrainingClaim(
        store_id=store_id,
        model_id=row.id,
        version=version,
        texts=tuple(text for text, _ in pairs),
        labels=tuple(label for _, label in pairs),
        store_example_count=len(own),
    )


def finish_training(
    uow: UnitOfWork,
    claim: TrainingClaim,
    *,
    blob: bytes | None,
    report: dict[str, object] | None,
    error: str | None,
) -> None:
    """Record the training's outcome: ``blob`` and ``report`` (ready) or ``error`` (failed)."""
    row = uow.session.get(IntentModelRow, claim.model_id)
    if row is None:  # the store was deleted meanwhile
        return
    row.trained_at = uow.now()
    if error is not None or blob is None:
        row.status = ModelStatus.FAILED.value
        row.error = (error or "the trainer returned no model")[:MAX_ERROR_LENGTH]
    else:
        row.status = ModelStatus.READY.value
        row.blob = blob
        row.report = dict(report or {})
        uow.session.execute(
            delete(IntentModelRow).where(
                IntentModelRow.store_id == claim.store_id,
                IntentModelRow.version <= row.version - KEEP_VERSIONS,
            )
        )
    accuracy = row.report.get("overall") if row.status == ModelStatus.READY else None
    uow.emit(
        IntentModelTrained(
            store_id=claim.store_id,
            model_id=row.id,
            version=row.version,
            status=row.status,
            accuracy=accuracy if isinstance(accuracy, float) else None,
        )
    )
