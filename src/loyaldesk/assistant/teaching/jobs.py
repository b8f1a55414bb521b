"""Store teaching's periodic work, registered by the composition root:

* ``assistant.retrain`` every 10 s, outside a transaction: each store whose retraining is due is trained
  (built-in examples plus the store's), cross-validated for the intents page's report, and its new model
  stored; a failed training is recorded with its reason and the previous model keeps answering.

Safe in several worker processes at once: a store is claimed with ``SKIP LOCKED`` and its request cleared
in the claiming transaction; the CPU work happens with no transaction open.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from typing import Any

from loyaldesk.assistant.teaching import rules
from loyaldesk.assistant.teaching.actions.training import TrainingClaim, claim_due_training, finish_training
from loyaldesk.assistant.teaching.trainer import current_trainer
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.jobs import JobRegistry

log = logging.getLogger("loyaldesk.assistant.teaching")

RETRAIN_EVERY_SECONDS = 10
STORES_PER_PASS = 2  # a pass trains at most this many stores, so that other jobs get their turn
CROSS_VALIDATION_FOLDS = 5


def train(claim: TrainingClaim) -> tuple[bytes, dict[str, Any]]:
    """Train the claimed examples; returns the model's bytes and the cross-validation report (as the
    model row keeps it). Raises whatever the trainer raises."""
    trainer = current_trainer()
    oos = rules.OUT_OF_SCOPE_LABEL if rules.OUT_OF_SCOPE_LABEL in claim.labels else None
    started = time.monotonic()
    model = trainer.train(claim.texts, claim.labels, oos)
    blob = model.to_bytes()
    texts, labels = rules.cross_validation_sample(claim.texts, claim.labels)
    folds = rules.cross_validation_folds(Counter(labels), CROSS_VALIDATION_FOLDS)
    try:
        report = rules.report_json(trainer.cross_validate(texts, labels, folds), folds)
    except Exception as error:  # the model is good; only its report could not be made
        log.warning("cross-validation of store %s failed: %s", claim.store_id, error)
        report = {"overall": None, "per_intent": {}, "folds": folds, "note": f"no report: {error}"}
    report["train_seconds"] = round(time.monotonic() - started, 2)
    return blob, report


def run_due_retraining(database: Database, *, limit: int = STORES_PER_PASS) -> int:
    """Train every store whose retraining is due (at most ``limit``); returns how many were trained
    (successfully or not)."""
    done = 0
    while done < limit:
        claim = database.write(claim_due_training)
        if claim is None:
            break
        try:
            blob, report = train(claim)
        except Exception as error:
            log.exception("training the intent model of store %s failed", claim.store_id)
            database.write(
                finish_training, claim, blob=None, report=None, error=f"{type(error).__name__}: {error}"
            )
        else:
            database.write(finish_training, claim, blob=blob, report=report, error=None)
        done += 1
    return done


def register(jobs: JobRegistry) -> None:
    jobs.every_outside(RETRAIN_EVERY_SECONDS, name="assistant.retrain")(run_due_retraining)
