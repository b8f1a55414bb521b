"""Tagging an answer's comment with the store's themes, on arrival.

Contract of ``tag_response(uow, response) -> list[int]``:
- The answer's comment is read by the store's model (``loaded.classifier_for_store``); the themes over
  their thresholds that the store has enabled become rows with source ``model`` and the confidence.
- Idempotent: the model's previous tags of this answer are replaced; a person's rows (source ``agent``,
  present or not) are never touched, and the model never re-adds a theme a person set or removed.
- An answer without a comment gets no theme (the model's rows, if any, are removed).
- Returns the ids of the themes the answer carries afterwards (the model's and a person's), sorted.
- Creates the store's built-in themes on first use (stores made before themes existed).

``tag_answered(uow, stored, event)`` is the handler of ``SurveyAnswered`` (registered by the
composition root): it tags in the answer's own transaction when the answer has a comment.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from loyaldesk.assistant.nlu.embeddings import default_embedder
from loyaldesk.feedback.events import SurveyAnswered
from loyaldesk.feedback.models import ResponseTheme, SurveyResponse, Theme
from loyaldesk.feedback.themes.defaults import ensure_default_themes
from loyaldesk.feedback.themes.loaded import classifier_for_store
from loyaldesk.feedback.vocab import ThemeSource
from loyaldesk.kernel.db import UnitOfWork


def predict_comment(uow: UnitOfWork, store_id: int, comment: str) -> dict[int, float]:
    """Theme id -> confidence for ``comment`` under the store's model (enabled themes only)."""
    classifier, _ = classifier_for_store(uow.session, store_id)
    found = classifier.predict_vectors(default_embedder().embed([comment]))[0]
    if not found:
        return {}
    ids = dict(
        uow.session.execute(
            select(Theme.key, Theme.id).where(
                Theme.store_id == store_id, Theme.enabled.is_(True), Theme.key.in_([key for key, _ in found])
            )
        ).all()
    )
    return {ids[key]: confidence for key, confidence in found if key in ids}


def tag_response(uow: UnitOfWork, response: SurveyResponse) -> list[int]:
    """Tag ``response`` with its themes (the module's contract)."""
    ensure_default_themes(uow, response.store_id)
    uow.session.execute(
        delete(ResponseTheme).where(
            ResponseTheme.response_id == response.id, ResponseTheme.source == ThemeSource.MODEL
        )
    )
    by_person = dict(
        uow.session.execute(
            select(ResponseTheme.theme_id, ResponseTheme.present).where(
                ResponseTheme.response_id == response.id, ResponseTheme.source == ThemeSource.AGENT
            )
        ).all()
    )
    comment = (response.comment or "").strip()
    predicted = predict_comment(uow, response.store_id, comment) if comment else {}
    now = uow.now()
    for theme_id, confidence in predicted.items():
        if theme_id in by_person:
            continue
        uow.session.add(
            ResponseTheme(
                response_id=response.id,
                theme_id=theme_id,
                store_id=response.store_id,
                source=ThemeSource.MODEL.value,
                present=True,
                confidence=round(confidence, 4),
                staff_id=None,
                at=now,
            )
        )
    if comment:
        response.themes_tagged_at = now
    uow.session.flush()
    carried = {theme_id for theme_id in predicted if theme_id not in by_person}
    carried |= {theme_id for theme_id, present in by_person.items() if present}
    return sorted(carried)


def tag_answered(uow: UnitOfWork, stored: Any, event: SurveyAnswered) -> None:
    """``SurveyAnswered`` handler: tag the answer when it has a comment."""
    if not event.has_comment:
        return
    response = uow.session.get(SurveyResponse, event.response_id)
    if response is not None:
        tag_response(uow, response)
