"""Retraining a store's theme model, in steps so that no transaction stays open while the CPU trains:

* ``request_theme_retraining(uow, store_id)``: a correction (or a change of themes) asks for a training
  ``RETRAIN_AFTER`` from now: a ``feedback_theme_models`` row with status ``requested`` whose
  ``started_at`` is the due time. One pending request per store: a burst of corrections moves nothing
  (the earliest due time is kept), so it costs one training. ``retrain_themes_now`` (a manager) asks
  for one due now.
* ``claim_due_theme_training(uow)``: takes one due request (``SKIP LOCKED`` on PostgreSQL), turns it into
  the ``training`` row and reads what to train on in the same transaction.
* the training itself (``jobs.train_claim``), outside any transaction;
* ``finish_theme_training``: ``ready`` with the blob and the report, or ``failed`` with the reason; a
  failure leaves the previous version tagging.

What a store trains on (``TrainingClaim``): the default comments for its enabled built-in themes, plus
every answer a person labelled (``ResponseTheme`` rows with source ``agent``): ``present`` true is a
positive label, false a negative one; an answer a person corrected is also a negative for every other
theme that existed then. A theme the store made gets its positives from the store's labels only (the
default comments, written about the built-in themes, count as its negatives).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from loyaldesk.feedback.models import ResponseTheme, SurveyResponse, Theme, ThemeModel
from loyaldesk.feedback.themes.defaults import default_examples, ensure_default_themes
from loyaldesk.feedback.themes.vocab import ThemeModelStatus
from loyaldesk.feedback.vocab import ThemeSource
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.stores import Permission, authorize, record_audit

RETRAIN_AFTER = timedelta(seconds=60)
TRAINING_GIVES_UP_AFTER = timedelta(hours=1)
KEEP_VERSIONS = 5
MAX_ERROR_LENGTH = 2000


@dataclass(frozen=True)
class TrainingClaim:
    """One claimed training: the row, the themes (keys, in column order) and the labelled texts
    (``labels``: 1, 0 or -1 per theme, as ``classifier.train_theme_classifier`` takes them)."""

    store_id: int
    model_id: int
    version: int
    keys: tuple[str, ...]
    texts: tuple[str, ...]
    labels: tuple[tuple[int, ...], ...]
    store_label_count: int

    def label_array(self) -> np.ndarray:
        return np.asarray(self.labels, dtype=np.int8).reshape(len(self.texts), len(self.keys))


def _next_version(uow: UnitOfWork, store_id: int) -> int:
    newest = uow.session.scalar(select(func.max(ThemeModel.version)).where(ThemeModel.store_id == store_id))
    return int(newest or 0) + 1


def request_theme_retraining(uow: UnitOfWork, store_id: int, *, after: timedelta = RETRAIN_AFTER) -> datetime:
    """Ask for a training of the store's model due ``after`` from now, or keep the pending request if it
    is due sooner; returns when it is due. For feedback's actions (no permission of its own)."""
    due = uow.now() + after
    query = select(ThemeModel).where(
        ThemeModel.store_id == store_id, ThemeModel.status == ThemeModelStatus.REQUESTED
    )
    if uow.is_postgresql:
        query = query.with_for_update()
    row = uow.session.scalar(query)
    if row is None:
        try:
            with uow.session.begin_nested():
                uow.session.add(
                    ThemeModel(
                        store_id=store_id,
                        version=_next_version(uow, store_id),
                        status=ThemeModelStatus.REQUESTED.value,
                        report={},
                        example_count=0,
                        started_at=due,
                    )
                )
            return due
        except IntegrityError:  # another transaction asked at the same moment: its request stands
            row = uow.session.scalar(query)
            if row is None:
                return due
    if due < row.started_at:
        row.started_at = due
    return row.started_at


def retrain_themes_now(uow: UnitOfWork, actor: Actor, store_id: int) -> datetime:
    """The "Retrain now" button: the job trains the store on its next pass (within seconds)."""
    authorize(actor, store_id, scope="feedback:write", permission=Permission.MANAGE_FEEDBACK)
    due = request_theme_retraining(uow, store_id, after=timedelta(0))
    record_audit(
        uow, actor, "feedback.themes_retrain_requested", store_id=store_id, target_type="theme_model"
    )
    return due


def _give_up_on_stale(uow: UnitOfWork) -> None:
    uow.session.execute(
        update(ThemeModel)
        .where(
            ThemeModel.status == ThemeModelStatus.TRAINING,
            ThemeModel.started_at < uow.now() - TRAINING_GIVES_UP_AFTER,
        )
        .values(status=ThemeModelStatus.FAILED.value, error="the training stopped (its process ended)")
    )


def training_examples(uow: UnitOfWork, store_id: int) -> tuple[list[str], list[str], list[list[int]], int]:
    """``(keys, texts, labels, store_label_count)`` the store's model trains on (the module's rules)."""
    ensure_default_themes(uow, store_id)
    themes = list(
        uow.session.scalars(
            select(Theme).where(Theme.store_id == store_id, Theme.enabled.is_(True)).order_by(Theme.id)
        )
    )
    keys = [theme.key for theme in themes]
    column = {theme.id: index for index, theme in enumerate(themes)}
    texts: list[str] = []
    labels: list[list[int]] = []
    for text, names in default_examples():
        texts.append(text)
        # A store's own theme learns its positives from the store's labels only; the default comments,
        # written about the built-in themes, are its negatives.
        labels.append([1 if key in names else 0 for key in keys])
    rows = uow.session.execute(
        select(ResponseTheme.response_id, ResponseTheme.theme_id, ResponseTheme.present, ResponseTheme.at)
        .where(ResponseTheme.store_id == store_id, ResponseTheme.source == ThemeSource.AGENT)
        .order_by(ResponseTheme.response_id)
    ).all()
    by_response: dict[int, list[tuple[int, bool, datetime]]] = {}
    for response_id, theme_id, present, at in rows:
        by_response.setdefault(response_id, []).append((theme_id, present, at))
    comments = (
        dict(
            uow.session.execute(
                select(SurveyResponse.id, SurveyResponse.comment).where(
                    SurveyResponse.id.in_(list(by_response)), SurveyResponse.comment.is_not(None)
                )
            ).all()
        )
        if by_response
        else {}
    )
    for response_id, marks in by_response.items():
        comment = (comments.get(response_id) or "").strip()
        if not comment:
            continue
        corrected_at = max(at for _, _, at in marks)
        row = [0 if theme.created_at <= corrected_at else -1 for theme in themes]
        for theme_id, present, _ in marks:
            if theme_id in column:
                row[column[theme_id]] = 1 if present else 0
        texts.append(comment)
        labels.append(row)
    return keys, texts, labels, len(texts) - len(default_examples())


def claim_due_theme_training(uow: UnitOfWork) -> TrainingClaim | None:
    """Take one store whose theme retraining is due (see the module's contract), or None."""
    _give_up_on_stale(uow)
    query = (
        select(ThemeModel)
        .where(ThemeModel.status == ThemeModelStatus.REQUESTED, ThemeModel.started_at <= uow.now())
        .order_by(ThemeModel.started_at)
        .limit(1)
    )
    if uow.is_postgresql:
        query = query.with_for_update(skip_locked=True)
    row = uow.session.scalar(query)
    if row is None:
        return None
    keys, texts, labels, own = training_examples(uow, row.store_id)
    row.status = ThemeModelStatus.TRAINING.value
    row.started_at = uow.now()
    row.example_count = len(texts)
    uow.session.flush()
    return TrainingClaim(
        store_id=row.store_id,
        model_id=row.id,
        version=row.version,
        keys=tuple(keys),
        texts=tuple(texts),
        labels=tuple(tuple(label) for label in labels),
        store_label_count=own,
    )


def finish_theme_training(
    uow: UnitOfWork, claim: TrainingClaim, *, blob: bytes | None, report: dict | None, error: str | None
) -> None:
    """Record the outcome: ``ready`` with ``blob`` and ``report``, or ``failed`` with ``error``."""
    row = uow.session.get(ThemeModel, claim.model_id)
    if row is None:  # the store was deleted meanwhile
        return
    row.trained_at = uow.now()
    if error is not None or blob is None:
        row.status = ThemeModelStatus.FAILED.value
        row.error = (error or "the trainer returned no model")[:MAX_ERROR_LENGTH]
        return
    row.status = ThemeModelStatus.READY.value
    row.blob = blob
    row.report = {**(report or {}), "store_labels": claim.store_label_count}
    uow.session.execute(
        delete(ThemeModel).where(
            ThemeModel.store_id == claim.store_id,
            ThemeModel.version <= row.version - KEEP_VERSIONS,
            ThemeModel.status.in_([ThemeModelStatus.READY.value, ThemeModelStatus.FAILED.value]),
        )
    )
