"""Helpers for the teaching tests: a trainer with a small built-in example set (fast with the real
classifier too), a trainer that fails, running the retraining job as the runner does, customers writing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from loyaldesk.assistant.teaching import Trainer, current_trainer, provide_trainer
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.jobs import jobs
from loyaldesk.support import actions
from loyaldesk.support.actions import contacts
from tests.factories import StoreHandle


class SmallDefaults:
    """The trainer in use, with at most ``per_intent`` built-in examples per intent (tests stay fast)."""

    def __init__(self, inner: Trainer, per_intent: int = 4) -> None:
        self.inner = inner
        self.per_intent = per_intent

    def builtin_intents(self) -> Any:
        return self.inner.builtin_intents()

    def default_examples(self) -> list[tuple[str, str]]:
        kept: Counter[str] = Counter()
        chosen = []
        for text, label in self.inner.default_examples():
            if kept[label] < self.per_intent:
                kept[label] += 1
                chosen.append((text, label))
        return chosen

    def train(self, texts: Sequence[str], labels: Sequence[str], out_of_scope_label: str | None) -> Any:
        return self.inner.train(texts, labels, out_of_scope_label)

    def cross_validate(self, texts: Sequence[str], labels: Sequence[str], folds: int) -> Any:
        return self.inner.cross_validate(texts, labels, folds)

    def load(self, blob: bytes) -> Any:
        return self.inner.load(blob)

    def default_model(self) -> Any:
        return self.inner.default_model()


class FailingTrainer(SmallDefaults):
    """Trains nothing: raises what a broken training raises."""

    def train(self, texts: Sequence[str], labels: Sequence[str], out_of_scope_label: str | None) -> Any:
        raise MemoryError("the machine ran out of memory while training")


def use_small_trainer() -> SmallDefaults:
    trainer = SmallDefaults(current_trainer())
    provide_trainer(trainer)
    return trainer


def run_retrain_job(db: Database) -> int:
    """The registered ``assistant.retrain`` job, run once as the background runner runs it."""
    job = next(job for job in jobs.all() if job.name == "assistant.retrain")
    assert not job.in_transaction
    return int(job.run(db))  # type: ignore[arg-type]


def customer_writes(db: Database, store: StoreHandle, text: str) -> tuple[int, int]:
    """A visitor writes to the store; returns (conversation id, message id)."""
    contact = db.write(contacts.identify_contact, store.id, customer_id=None, visitor_token=None)
    message = db.write(actions.post_customer_message, contact.contact_id, body=text)
    return message.conversation_id, message.id
