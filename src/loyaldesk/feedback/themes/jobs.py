"""The theme retraining job (registered by the composition root as ``feedback.train_themes``, every
``RETRAIN_EVERY_SECONDS``, outside a transaction): each store whose retraining is due is claimed
(``training.claim_due_theme_training``), trained with no transaction open, and finished; a failure is
recorded with its reason and the previous model keeps tagging. Its first pass prepares the default model
when nobody did (``loyaldesk feedback prepare``)."""

from __future__ import annotations

import logging
import time
from typing import Any

from loyaldesk.assistant.nlu.embedding_cache import CachedEmbedder
from loyaldesk.feedback.themes.classifier import train_theme_classifier
from loyaldesk.feedback.themes.default_model import default_theme_model, prepared_default_theme_model
from loyaldesk.feedback.themes.training import TrainingClaim, claim_due_theme_training, finish_theme_training
from loyaldesk.kernel.db import Database

log = logging.getLogger("loyaldesk.feedback.themes")

RETRAIN_EVERY_SECONDS = 10
STORES_PER_PASS = 2  # other jobs get their turn between passes


def train_claim(claim: TrainingClaim) -> tuple[bytes, dict[str, Any]]:
    """The claimed store's model as bytes, and its cross-validated report."""
    started = time.monotonic()
    vectors = CachedEmbedder().embed(list(claim.texts))
    model, report = train_theme_classifier(vectors, claim.label_array(), claim.keys)
    report["train_seconds"] = round(time.monotonic() - started, 2)
    return model.to_bytes(), report


def run_due_theme_training(database: Database, *, limit: int = STORES_PER_PASS) -> int:
    """Train the stores whose retraining is due (at most ``limit``); returns how many were tried. The
    first pass of a process also prepares the default model if ``loyaldesk feedback prepare`` did not,
    here outside any transaction, so that the first comment's tagging does not train it."""
    if prepared_default_theme_model() is None:
        default_theme_model()
    done = 0
    while done < limit:
        claim = database.write(claim_due_theme_training)
        if claim is None:
            break
        try:
            blob, report = train_claim(claim)
        except Exception as error:
            log.exception("training the theme model of store %s failed", claim.store_id)
            database.write(
                finish_theme_training, claim, blob=None, report=None, error=f"{type(error).__name__}: {error}"
            )
        else:
            database.write(finish_theme_training, claim, blob=blob, report=report, error=None)
        done += 1
    return done
